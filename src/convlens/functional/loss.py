"""Losses: ``cross_entropy``, ``nll_loss`` and ``mse_loss``, with torch's reductions."""

from __future__ import annotations

import numpy as np

from .. import _validate
from ..tensor import Tensor
from .activation import log_softmax

REDUCTIONS = ("mean", "sum", "none")


def _class_last(x: np.ndarray) -> np.ndarray:
    """(N, C, *d) -> (N * prod(d), C)."""
    if x.ndim == 2 and x.shape[1]:  # already (N, C): skip moveaxis's bookkeeping
        return x
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _class_back(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of :func:`_class_last` for an array of ``shape``."""
    if len(shape) == 2:
        return x.reshape(shape)
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
    t = target._data.reshape(-1).astype(np.int64)
    classes = logp.shape[1]
    bad = (t != ignore_index) & ((t < 0) | (t >= classes))
    if bad.any():
        raise ValueError(f"{op} expects target class indices in [0, {classes}); got {t[bad][0]}")
    return t


def _probability_coefficients(op: str, logp: Tensor, target: Tensor, w: np.ndarray,
                              ignore_index: int, eps: float
                              ) -> tuple[np.ndarray, float, tuple[int, ...]]:
    """Probability targets: the loss is ``-(coef * logp).sum(class axis)`` per row.

    Returns ``coef`` (M, C) with M = N * prod(d), the divisor of ``reduction="mean"`` (M) and
    the shape of the per-row losses. As in torch, a zero probability times a log-probability
    of -inf is NaN. The smoothed target is ``(1 - eps) * target + eps / C``.
    """
    if ignore_index != -100:
        raise ValueError(f"{op} supports ignore_index only with class-index targets; got "
                         f"ignore_index={ignore_index} with probability targets")
    if target.shape != logp.shape:
        raise ValueError(f"{op} expects probability targets shaped like input {logp.shape}; "
                         f"got {target.shape}")
    coef = ((1 - eps) * _class_last(target._data) + eps / logp.shape[1]) * w    # (M, C)
    return coef, coef.shape[0], (logp.shape[0], *logp.shape[2:])


class _IndexTargets:
    """Class-index targets: the rows that count, their classes and weights.

    The loss of a kept row is ``-((1 - eps) * w[t] * logp[t] + eps / C * sum_c w_c logp_c)``
    (torch's label smoothing); only the target's log-probability is read when ``eps`` is 0,
    so a -inf elsewhere (a masked logit) leaves the loss finite, as in torch. "mean" divides
    by the summed weight of the kept targets.
    """

    def __init__(self, op: str, logp: Tensor, target: Tensor, w: np.ndarray,
                 ignore_index: int, eps: float):
        t = _check_target_indices(target, logp, ignore_index, op)
        kept = t != ignore_index
        self.every_row = bool(kept.all())
        self.rows = slice(None) if self.every_row else np.flatnonzero(kept)
        self.classes = t[self.rows]
        self.weights = w[self.classes]
        self.denominator = self.weights.sum()
        self.size, self.w, self.eps = t.size, w, eps
        self.row_shape = target.shape

    def _picked(self) -> tuple[np.ndarray, np.ndarray]:
        """(row indices, class indices) of the kept targets' entries."""
        rows = np.arange(self.size) if self.every_row else self.rows
        return rows, self.classes

    def losses(self, lp: np.ndarray) -> np.ndarray:
        """Per-row losses (M,) of log-probabilities ``lp`` (M, C); ignored rows are 0."""
        kept = -(1 - self.eps) * self.weights * lp[self._picked()]
        if self.eps:
            kept -= (self.eps / lp.shape[1]) * (lp[self.rows] @ self.w)
        if self.every_row:
            return kept
        per_row = np.zeros(self.size, dtype=lp.dtype)
        per_row[self.rows] = kept
        return per_row

    def grad(self, scale: np.ndarray, shape: tuple[int, int], dtype) -> np.ndarray:
        """d loss / d lp (M, C) for the upstream gradient ``scale``: one per row, or one."""
        grad = np.zeros(shape, dtype=dtype)
        scale = np.reshape(scale, -1)
        if scale.size > 1:
            scale = scale[self.rows]
        grad[self._picked()] = -(1 - self.eps) * self.weights * scale
        if self.eps:
            grad[self.rows] -= (self.eps / shape[1]) * scale[:, None] * self.w
        return grad


def _nll(op: str, input, target, weight, ignore_index: int, reduction: str,  # noqa: A002
         label_smoothing: float) -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C, *d), shared by both losses."""
    logp = _validate.float_tensor(input, "input", op)
    target = _validate.as_tensor(target, "target", op)
    _validate.one_of(reduction, REDUCTIONS, "reduction")
    ignore_index = _validate.positive_int(ignore_index, "ignore_index", minimum=-(2**63))
    eps = _validate.real_number(label_smoothing, "label_smoothing", low=0.0, high=1.0)
    if logp.ndim < 2:
        raise ValueError(f"{op} expects input of shape (N, C) or (N, C, *d); got {logp.shape}")
    classes = logp.shape[1]
    w = np.ones(classes, logp.dtype) if weight is None else np.asarray(
        _validate.float_tensor(weight, "weight", op)._data, logp.dtype)
    if w.shape != (classes,):
        raise ValueError(f"{op} expects weight of shape ({classes},); got {w.shape}")
    lp = _class_last(logp._data)                                              # (M, C)
    if target.dtype.kind == "f":
        coef, denominator, row_shape = _probability_coefficients(op, logp, target, w,
                                                                 ignore_index, eps)
        with np.errstate(invalid="ignore"):     # 0 * -inf is NaN, as torch's
            per_row = -(coef * lp).sum(axis=1)
        counted = per_row.size
    else:
        indices = _IndexTargets(op, logp, target, w, ignore_index, eps)
        denominator, row_shape = indices.denominator, indices.row_shape
        per_row = indices.losses(lp)
        counted = indices.classes.size                                  # kept targets
    with np.errstate(divide="ignore", invalid="ignore"):  # an all-ignored mean is nan, as torch
        out = {"none": lambda: per_row.reshape(row_shape), "sum": per_row.sum,
               "mean": lambda: per_row.sum() / denominator}[reduction]()

    def backward(g):
        if reduction == "none":
            scale = g.reshape(-1, 1)
        elif reduction == "mean":
            # torch: with every target ignored (nothing to average) the loss is nan but the
            # gradients are 0; with kept targets whose weights are all 0 they are nan too.
            if denominator or counted == 0:
                scale = g / denominator if denominator else np.zeros_like(g)
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    scale = g / denominator
        else:
            scale = g
        if target.dtype.kind != "f":
            with np.errstate(invalid="ignore"):     # 0 * inf: weights 0, nothing to average
                grad = indices.grad(scale, lp.shape, logp.dtype)
            return _class_back(grad, logp.shape), None
        grad_logp = _class_back(-coef * scale, logp.shape).astype(logp.dtype)
        if not target.requires_grad:
            return grad_logp, None
        return grad_logp, _class_back(-(1 - eps) * w * lp * scale, logp.shape)

    return Tensor._from_op(np.asarray(out, logp.dtype), (logp, target), backward, "NllLoss")


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities, as ``torch.nn.functional.nll_loss``.

    Takes the same arguments as :func:`cross_entropy` (without ``label_smoothing``), but
    ``input`` holds log-probabilities, for example from :func:`log_softmax`: (N, C),
    (N, C, *d), or unbatched (C,) with a 0-d target.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.nll_loss(cl.tensor([[-1.0, -2.0]]), cl.tensor([1])).item()
    2.0
    """
    logp = _validate.float_tensor(input, "input", "nll_loss")
    target = _validate.as_tensor(target, "target", "nll_loss")
    if logp.ndim == 1:  # unbatched (C,) with a 0-d target, as torch: a batch of one
        return _unbatched(nll_loss, logp, target, reduction, weight=weight,
                          ignore_index=ignore_index)
    return _nll("nll_loss", logp, target, weight, ignore_index, reduction, 0.0)


def _unbatched(fn, x: Tensor, target: Tensor, reduction: str, **kwargs) -> Tensor:
    """Run a loss on unbatched (C,) input as a batch of one; 'none' gives a 0-d result.

    Class indices may be 0-d or, as torch allows, of shape (1,).
    """
    if target.dtype.kind in "iu" and target.ndim > 0:
        if target.shape != (1,):
            raise ValueError(f"{fn.__name__} expects a 0-d target (or one of shape (1,)) of "
                             f"class indices for unbatched input of shape {x.shape}; got "
                             f"target of shape {target.shape}")
        target = target.reshape(())
    out = fn(x.reshape((1, -1)), target.reshape((1, *target.shape)), reduction=reduction,
             **kwargs)
    return out.reshape(()) if reduction == "none" else out


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy between logits and targets, as ``torch.nn.functional.cross_entropy``.

    Parameters
    ----------
    input : Tensor
        Logits, (N, C) or (N, C, *d), or unbatched (C,).
    target : Tensor
        Class indices (N,) or (N, *d) of an integer dtype, or class probabilities shaped like
        ``input`` (float; they get a gradient too).
    weight : Tensor, optional
        Per-class weights (C,).
    ignore_index : int, default -100
        Targets equal to this contribute nothing. Class-index targets only: with probability
        targets any other value than -100 is refused, as torch refuses it.
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
    target = _validate.as_tensor(target, "target", "cross_entropy")
    if x.ndim == 1:  # unbatched (C,), as torch: treat it as a batch of one
        return _unbatched(cross_entropy, x, target, reduction, weight=weight,
                          ignore_index=ignore_index, label_smoothing=label_smoothing)
    if x.ndim < 2:
        raise ValueError(f"cross_entropy expects input of shape (C,), (N, C) or (N, C, *d); "
                         f"got {x.shape}")
    return _nll("cross_entropy", log_softmax(x, dim=1), target, weight, ignore_index,
                reduction, label_smoothing)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Squared error ``(input - target)**2``, as ``torch.nn.functional.mse_loss``.

    Parameters
    ----------
    input, target : Tensor
        Float tensors of the same shape (torch broadcasts them with a warning; convlens
        refuses instead).
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    Tensor
        A scalar, or the elementwise losses for ``reduction="none"``. The mean of an empty
        input is nan, as in torch.

    Raises
    ------
    ValueError
        Mismatched shapes or an unknown ``reduction``.
    TypeError
        Non-float tensors.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.mse_loss(cl.tensor([1.0, 3.0]), cl.tensor([0.0, 0.0])).item()
    5.0
    """
    x = _validate.float_tensor(input, "input", "mse_loss")
    y = _validate.float_tensor(target, "target", "mse_loss")
    _validate.one_of(reduction, REDUCTIONS, "reduction")
    if x.shape != y.shape:
        raise ValueError(f"mse_loss expects target of the input's shape {x.shape}; got {y.shape}")
    diff = x._data - y._data
    squared = diff * diff
    with np.errstate(divide="ignore", invalid="ignore"):  # the mean of nothing is nan
        out = {"none": squared, "sum": squared.sum(),
               "mean": squared.sum() / diff.size}[reduction]

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = 2 * g / diff.size if reduction == "mean" else 2 * g
        return scale * diff, -scale * diff

    return Tensor._from_op(np.asarray(out, x.dtype), (x, y), backward, "MseLoss")
