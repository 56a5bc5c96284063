"""Regression and distribution losses: ``l1_loss``, ``smooth_l1_loss``, ``huber_loss``,
``kl_div``, ``poisson_nll_loss`` and ``gaussian_nll_loss``, with torch's formulas and reductions.

Every loss computes per-element values as one graph node (or from Tensor ops), then reduces:
``"none"`` keeps them, ``"sum"`` adds them, ``"mean"`` averages them (nan for an empty input,
as in torch). As :func:`mse_loss`, input and target must have the same shape: torch broadcasts
mismatched shapes with a warning, convlens refuses them.
"""

from __future__ import annotations

import numpy as np

from .. import _ops, _validate
from ..tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")


def reduce(loss: Tensor, reduction: str) -> Tensor:
    """Apply a validated ``reduction`` to per-element losses."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    with np.errstate(divide="ignore", invalid="ignore"):  # the mean of nothing is nan
        return loss.mean() if loss._data.size else loss.sum() / 0.0


def pair(input, target, op: str, reduction: str) -> tuple[Tensor, Tensor]:  # noqa: A002
    """Float input and target of one shape, and a known ``reduction``."""
    x = _validate.float_tensor(input, "input", op)
    y = _validate.float_tensor(target, "target", op)
    _validate.one_of(reduction, REDUCTIONS, "reduction")
    if x.shape != y.shape:
        raise ValueError(f"{op} expects target of the input's shape {x.shape}; got {y.shape}")
    _validate.same_dtype(x.dtype, y.dtype, ("input", "target"), op)
    return x, y


def _difference_loss(x: Tensor, y: Tensor, value: np.ndarray, slope: np.ndarray,
                     name: str) -> Tensor:
    """A loss of ``d = x - y`` with derivative ``slope``: +slope for x, -slope for y."""
    return Tensor._from_op(value.astype(x.dtype), (x, y),
                           lambda g: (g * slope, -g * slope), name)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    """``|input - target|``, as ``torch.nn.functional.l1_loss``; the gradient at 0 is 0.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.l1_loss(cl.tensor([1.0, -3.0]), cl.tensor([0.0, 0.0])).item()
    2.0
    """
    x, y = pair(input, target, "l1_loss", reduction)
    d = x._data - y._data
    return reduce(_difference_loss(x, y, np.abs(d), np.sign(d), "L1Loss"), reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean",  # noqa: A002
                   beta: float = 1.0) -> Tensor:
    """``0.5 * d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta`` (d = input - target).

    As ``torch.nn.functional.smooth_l1_loss``; ``beta=0`` is the L1 loss.

    Raises
    ------
    ValueError
        If ``beta`` is negative.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.smooth_l1_loss(cl.tensor([0.5, 3.0]), cl.tensor([0.0, 0.0]), reduction="none").tolist()
    [0.125, 2.5]
    """
    x, y = pair(input, target, "smooth_l1_loss", reduction)
    beta = _validate.real_number(beta, "beta", low=0.0)
    d = x._data - y._data
    if beta == 0:
        return l1_loss(x, y, reduction)
    small = np.abs(d) < beta
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # tiny beta
        value = np.where(small, 0.5 * d * d / beta, np.abs(d) - 0.5 * beta)
        slope = np.where(small, d / beta, np.sign(d))
    return reduce(_difference_loss(x, y, value, slope, "SmoothL1Loss"), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",  # noqa: A002
               delta: float = 1.0) -> Tensor:
    """``0.5 * d**2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 * delta)``.

    As ``torch.nn.functional.huber_loss``: ``smooth_l1_loss`` times ``beta`` for ``beta = delta``.

    Raises
    ------
    ValueError
        If ``delta`` is not positive.
    """
    x, y = pair(input, target, "huber_loss", reduction)
    delta = _validate.real_number(delta, "delta", low=0.0)
    if delta == 0:
        raise ValueError("huber_loss needs delta > 0; got delta=0.0")
    d = x._data - y._data
    small = np.abs(d) <= delta
    value = np.where(small, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))
    slope = np.where(small, d, delta * np.sign(d))
    return reduce(_difference_loss(x, y, value, slope, "HuberLoss"), reduction)


def kl_div(input: Tensor, target: Tensor, reduction: str = "mean",  # noqa: A002
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence ``target * (log(target) - input)``, input holding log-probs.

    As ``torch.nn.functional.kl_div``.

    Parameters
    ----------
    input : Tensor
        Log-probabilities, for example from :func:`log_softmax`.
    target : Tensor
        Probabilities (0 contributes 0), or log-probabilities with ``log_target=True``.
    reduction : {"mean", "batchmean", "sum", "none"}, default "mean"
        ``"batchmean"`` divides the sum by ``input.shape[0]`` (the true KL divergence per
        sample); ``"mean"`` averages over every element, as torch does (and warns about).
    log_target : bool, default False

    Notes
    -----
    ``target`` gets a gradient too. Where ``target == 0`` (without ``log_target``) it is 0;
    torch gives nan there.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> logq = F.log_softmax(cl.tensor([[0.0, 0.0]]), dim=1)
    >>> round(F.kl_div(logq, cl.tensor([[0.9, 0.1]]), reduction="batchmean").item(), 4)
    0.3681
    """
    _validate.one_of(reduction, (*REDUCTIONS, "batchmean"), "reduction")
    x, y = pair(input, target, "kl_div", "none")
    if not isinstance(log_target, bool):
        raise TypeError(f"log_target must be a bool; got {type(log_target).__name__}")
    if log_target:
        p = np.exp(y._data)
        value = p * (y._data - x._data)
        grad_y = p * (y._data - x._data + 1)
    else:
        p, positive = y._data, y._data > 0
        log_p = np.log(np.where(positive, y._data, 1))
        value = np.where(positive, y._data * (log_p - x._data), 0)
        grad_y = np.where(positive, log_p - x._data + 1, 0)

    def grads(g):
        return -g * p, g * grad_y

    loss = Tensor._from_op(value.astype(x.dtype), (x, y), grads, "KLDivLoss")
    if reduction == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    return reduce(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True,  # noqa: A002
                     full: bool = False, eps: float = 1e-8,
                     reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood, as ``torch.nn.functional.poisson_nll_loss``.

    ``exp(input) - target * input`` with ``log_input``, else ``input - target * log(input +
    eps)``. ``full`` adds Stirling's ``target * log(target) - target + 0.5 * log(2 pi target)``
    where ``target > 1``. Its gradient with respect to ``target`` is 0 where ``target <= 1``
    (torch gives nan where ``target == 0``).
    """
    x, y = pair(input, target, "poisson_nll_loss", reduction)
    eps = _validate.real_number(eps, "eps", low=0.0)
    loss = x.exp() - y * x if log_input else x - y * (x + eps).log()
    if full:
        big = y._data > 1
        safe = _ops.where(big, y, 1.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * np.pi * safe).log()
        loss = loss + _ops.where(big, stirling, 0.0)
    return reduce(loss, reduction)


def _gaussian_var(var, x: Tensor, eps: float) -> Tensor:
    """``var`` broadcastable to ``x`` as torch allows it, clamped to ``eps`` in the forward only."""
    if not isinstance(var, Tensor | np.ndarray):
        var = Tensor(np.full(x.shape, _validate.real_number(var, "var"), x.dtype))
    v = _validate.float_tensor(var, "var", "gaussian_nll_loss")
    if v.shape != x.shape:
        mismatched = [m for n, m in zip(x.shape, v.shape) if n != m]
        if v.shape == x.shape[:-1]:
            v = v.unsqueeze(-1)
        elif not (v.ndim == x.ndim and mismatched == [1]):  # torch: one dimension of size 1
            raise ValueError(f"gaussian_nll_loss expects var of the input's shape {x.shape}, "
                             f"or with one dimension 1, or the last dropped; got {v.shape}")
    if (v._data < 0).any():
        raise ValueError("gaussian_nll_loss expects a non-negative var; got negative entries")
    # torch clamps under no_grad: the value changes, the gradient passes as if it had not.
    return v + Tensor(np.maximum(v._data, eps) - v._data)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False,  # noqa: A002
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood, as ``torch.nn.functional.gaussian_nll_loss``.

    ``0.5 * (log(var) + (input - target)**2 / var)``, plus ``0.5 * log(2 pi)`` with ``full``.
    ``var`` (clamped to at least ``eps``) has the input's shape, or one dimension of size 1,
    or the last dimension dropped (one variance per sample), or is a number. ``target``
    broadcasts against ``input``, as in torch.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.gaussian_nll_loss(cl.tensor([1.0]), cl.tensor([0.0]), cl.tensor([1.0])).item()
    0.5
    """
    op = "gaussian_nll_loss"
    x = _validate.float_tensor(input, "input", op)
    y = _validate.float_tensor(target, "target", op)
    _validate.one_of(reduction, REDUCTIONS, "reduction")
    try:  # torch lets the target broadcast against the input
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise ValueError(f"{op} expects a target that broadcasts against the input "
                         f"{x.shape}; got {y.shape}") from None
    eps = _validate.real_number(eps, "eps", low=0.0)
    v = _gaussian_var(var, x, eps)
    diff = x - y
    loss = 0.5 * (v.log() + diff * diff / v)
    if full:
        loss = loss + 0.5 * np.log(2 * np.pi)
    return reduce(loss, reduction)
