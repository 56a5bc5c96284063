"""Gradient clipping by total norm or by value, as ``torch.nn.utils``."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ... import _validate
from ...tensor import Tensor


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _norm(values: np.ndarray, norm_type: float) -> np.ndarray:
    """The vector norm of ``values`` (flattened), as ``torch.linalg.vector_norm``."""
    flat = values.reshape(-1)
    if flat.size == 0:
        return np.zeros((), values.dtype)
    return np.asarray(np.linalg.norm(flat, ord=norm_type), dtype=values.dtype)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    r"""Scale the gradients of ``parameters`` in place so their total norm is at most ``max_norm``.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Parameters whose ``.grad`` is clipped (those without a gradient are skipped).
    max_norm : float
        Largest allowed total norm.
    norm_type : float, default 2.0
        Order of the norm; ``float("inf")`` (or ``"inf"``) for the largest absolute value.
    error_if_nonfinite : bool, default False
        Raise if the total norm is NaN or infinite instead of scaling by it.
    foreach : bool, optional
        Accepted for compatibility; ignored.

    Returns
    -------
    Tensor
        The total norm of the gradients before clipping, a 0-d tensor (``0.0`` when no
        parameter has a gradient).

    Raises
    ------
    RuntimeError
        If ``error_if_nonfinite`` and the total norm is not finite (torch's message).

    Notes
    -----
    The total norm is the norm of the per-gradient norms. Every gradient is multiplied by
    :math:`\min(1, \text{max\_norm} / (\text{total} + 10^{-6}))`, as in torch (so a gradient
    whose norm is below ``max_norm`` is still multiplied, by exactly 1).

    Examples
    --------
    >>> import convlens as cl
    >>> w = cl.tensor([0.0, 0.0], requires_grad=True)
    >>> w.grad = cl.tensor([3.0, 4.0])
    >>> clip_grad_norm_([w], max_norm=1.0).item()
    5.0
    >>> [round(g, 4) for g in w.grad.tolist()]
    [0.6, 0.8]
    """
    max_norm = _validate.real_number(max_norm, "max_norm")
    norm_type = float(norm_type)
    grads = _grads(parameters)
    if not grads:
        return Tensor(np.asarray(0.0, dtype=np.float32))
    norms = [_norm(g._data, norm_type) for g in grads]
    total = _norm(np.stack(np.broadcast_arrays(*norms)).astype(np.result_type(*norms)),
                  norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable "
                           "this error and scale the gradients by the non-finite norm anyway, "
                           "set `error_if_nonfinite=False`")
    coef = np.minimum(np.asarray(max_norm, total.dtype) / (total + total.dtype.type(1e-6)),
                      total.dtype.type(1.0))
    for g in grads:
        g.mul_(coef.astype(g.dtype))
    return Tensor(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient of ``parameters`` in place to ``[-clip_value, clip_value]``.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Parameters whose ``.grad`` is clipped (those without a gradient are skipped).
    clip_value : float
        Bound of the gradients' absolute values.
    foreach : bool, optional
        Accepted for compatibility; ignored.

    Examples
    --------
    >>> import convlens as cl
    >>> w = cl.tensor([0.0, 0.0, 0.0], requires_grad=True)
    >>> w.grad = cl.tensor([-3.0, 0.5, 4.0])
    >>> clip_grad_value_(w, 1.0)
    >>> w.grad.tolist()
    [-1.0, 0.5, 1.0]
    """
    clip_value = float(_validate.real_number(clip_value, "clip_value"))
    for g in _grads(parameters):
        g.copy_(np.clip(g._data, -clip_value, clip_value))
