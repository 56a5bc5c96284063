"""Losses: ``cross_entropy``, ``nll_loss`` and ``mse_loss``, with torch's reductions."""

from __future__ import annotations

import numpy as np

from .. import _validate
from ..tensor import Tensor
from .activation import log_softmax

REDUCTIONS = ("mean", "sum", "none")


def _class_last(x: np.ndarray) -> np.ndarray:
    """(N, C, *d) -> (N * prod(d), C)."""
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _class_back(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of :func:`_class_last` for an array of ``shape``."""
    moved = (shape[0], *shape[2:], shape[1])
    return np.moveaxis(x.reshape(moved), -1, 1)


def _check_target_indices(target: Tensor, logp: Tensor, ignore_index: int, op: str) -> np.ndarray:
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op} expects target of class indices (an integer dtype) or class "
                        f"probabilities shaped like input; got dtype {target.dtype}, shape "
                        f"{target.shape}")
    expected = (logp.shape[0], *logp.shape[2:])
    if target.shape != expected:
        raise ValueError(f"{op} expects target of shape {expected} for input of shape "
                         f"{logp.shape}; got {target.shape}")
    t = target.data.reshape(-1).astype(np.int64)
    classes = logp.shape[1]
    bad = (t != ignore_index) & ((t < 0) | (t >= classes))
    if bad.any():
        raise ValueError(f"{op} expects target class indices in [0, {classes}); got {t[bad][0]}")
    return t


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
             ignore_index: int = -100, reduction: str = "mean",
             label_smoothing: float = 0.0) -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` (N, C, *d), as torch's ``nll_loss``.

    ``label_smoothing`` (not a torch ``nll_loss`` argument) lets :func:`cross_entropy` share
    this code: the target puts ``1 - eps`` on its class and ``eps / C`` on every class.
    """
    op = "cross_entropy"
    logp = _validate.float_tensor(input, "input", op)
    target = _validate.as_tensor(target, "target", op)
    _validate.one_of(reduction, REDUCTIONS, "reduction")
    eps = _validate.real_number(label_smoothing, "label_smoothing", low=0.0, high=1.0)
    if logp.ndim < 2:
        raise ValueError(f"{op} expects input of shape (N, C) or (N, C, *d); got {logp.shape}")
    classes = logp.shape[1]
    w = np.ones(classes, logp.dtype) if weight is None else np.asarray(
        _validate.float_tensor(weight, "weight", op).data, logp.dtype)
    if w.shape != (classes,):
        raise ValueError(f"{op} expects weight of shape ({classes},); got {w.shape}")
    lp = _class_last(logp.data)                                              # (M, C)
    if target.dtype.kind == "f":
        if target.shape != logp.shape:
            raise ValueError(f"{op} expects probability targets shaped like input {logp.shape}; "
                             f"got {target.shape}")
        coef = ((1 - eps) * _class_last(target.data) + eps / classes) * w    # (M, C)
        denominator = lp.shape[0]
        per_row_shape = (logp.shape[0], *logp.shape[2:])
    else:
        t = _check_target_indices(target, logp, ignore_index, op)
        valid = t != ignore_index
        coef = np.zeros_like(lp)
        rows = np.nonzero(valid)[0]
        coef[rows, t[rows]] = (1 - eps) * w[t[rows]]
        coef += (eps / classes) * w * valid[:, None]
        denominator = w[t[rows]].sum()
        per_row_shape = target.shape
    per_row = -(coef * lp).sum(axis=1)
    if reduction == "none":
        out = per_row.reshape(per_row_shape)
    elif reduction == "sum":
        out = per_row.sum()
    else:
        out = per_row.sum() / denominator

    def backward(g):
        if reduction == "none":
            scale = g.reshape(-1, 1)
        else:
            scale = g / denominator if reduction == "mean" else g
        return (_class_back(-coef * scale, logp.shape).astype(logp.dtype), None)

    return Tensor._from_op(np.asarray(out, logp.dtype), (logp, target), backward, "NllLoss")


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy between logits and targets, as ``torch.nn.functional.cross_entropy``.

    Parameters
    ----------
    input : Tensor
        Logits, (N, C) or (N, C, *d).
    target : Tensor
        Class indices (N,) or (N, *d) of an integer dtype, or class probabilities shaped like
        ``input``.
    weight : Tensor, optional
        Per-class weights (C,).
    ignore_index : int, default -100
        Targets equal to this contribute nothing (class-index targets only).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` divides by the summed weight of the non-ignored targets, as torch does.
    label_smoothing : float, default 0.0
        In [0, 1]; mixes the target with the uniform distribution.

    Returns
    -------
    Tensor
        A scalar, or per-element losses (N, *d) for ``reduction="none"``.

    Raises
    ------
    ValueError
        Mismatched shapes, class indices out of range, unknown ``reduction``.
    TypeError
        Non-float input or targets of an unsupported dtype.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> logits = cl.tensor([[0.0, 0.0]])
    >>> round(F.cross_entropy(logits, cl.tensor([1])).item(), 4)
    0.6931
    """
    x = _validate.float_tensor(input, "input", "cross_entropy")
    if x.ndim < 2:
        raise ValueError(f"cross_entropy expects input of shape (N, C) or (N, C, *d); "
                         f"got {x.shape}")
    return nll_loss(log_softmax(x, dim=1), target, weight, ignore_index, reduction,
                    label_smoothing)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean squared error, as ``torch.nn.functional.mse_loss`` (shapes must match)."""
    x = _validate.float_tensor(input, "input", "mse_loss")
    y = _validate.float_tensor(target, "target", "mse_loss")
    _validate.one_of(reduction, REDUCTIONS, "reduction")
    if x.shape != y.shape:
        raise ValueError(f"mse_loss expects target of the input's shape {x.shape}; got {y.shape}")
    diff = x.data - y.data
    count = max(diff.size, 1)
    out = {"none": diff * diff, "sum": (diff * diff).sum(),
           "mean": (diff * diff).sum() / count}[reduction]

    def backward(g):
        scale = 2 * g / count if reduction == "mean" else 2 * g
        return scale * diff, -scale * diff

    return Tensor._from_op(np.asarray(out, x.dtype), (x, y), backward, "MseLoss")
