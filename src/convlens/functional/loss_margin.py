"""Margin losses: ``soft_margin_loss``, ``hinge_embedding_loss``, ``multi_margin_loss`` and
``triplet_margin_loss``, written from Tensor ops with torch's formulas, so their gradients
are the ops' own.
"""

from __future__ import annotations

import numpy as np

from .. import _ops, _validate
from ..tensor import Tensor
from .activation_extra import logsigmoid
from .loss_regression import REDUCTIONS, pair, reduce


def soft_margin_loss(input: Tensor, target: Tensor,  # noqa: A002
                     reduction: str = "mean") -> Tensor:
    """``log(1 + exp(-target * input))`` for targets of +-1, as torch's ``soft_margin_loss``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> round(F.soft_margin_loss(cl.tensor([0.0]), cl.tensor([1.0])).item(), 4)
    0.6931
    """
    x, y = pair(input, target, "soft_margin_loss", reduction)
    return reduce(-logsigmoid(y * x), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,  # noqa: A002
                         reduction: str = "mean") -> Tensor:
    """``input`` where ``target == 1``, ``max(0, margin - input)`` where ``target == -1``.

    As ``torch.nn.functional.hinge_embedding_loss`` (``input`` is usually a distance). Other
    target values contribute both terms, as in torch.
    """
    x, y = pair(input, target, "hinge_embedding_loss", reduction)
    margin = _validate.real_number(margin, "margin")
    labels = y._data
    below = _ops.where(labels != 1, (margin - x).clamp(min=0.0), 0.0)
    return reduce(below + _ops.where(labels != -1, x, 0.0), reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1,  # noqa: A002
                      margin: float = 1.0, weight: Tensor | None = None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss, as ``torch.nn.functional.multi_margin_loss``.

    Per sample with class ``y``: ``sum_{i != y} w[y] * max(0, margin - x[y] + x[i]) ** p / C``.

    Parameters
    ----------
    input : Tensor
        Scores (N, C), or (C,) (a 0-d input is one score).
    target : Tensor
        Integer classes (N,), or 0-d (or one element) for unbatched input.
    p : {1, 2}, default 1
    margin : float, default 1.0
    weight : Tensor, optional
        Per-class weights (C,).
    reduction : {"mean", "sum", "none"}, default "mean"
    """
    op = "multi_margin_loss"
    x = _validate.float_tensor(input, "input", op)
    t = _validate.as_tensor(target, "target", op)
    _validate.one_of(reduction, REDUCTIONS, "reduction")
    if p not in (1, 2) or isinstance(p, bool):
        raise ValueError(f"{op} supports p=1 or p=2; got p={p!r}")
    margin = _validate.real_number(margin, "margin")
    classes = x.shape[-1] if x.ndim else 1
    rows_expected = x.shape[0] if x.ndim == 2 else 1
    if x.ndim > 2 or t.dtype.kind not in "iu" or t._data.size != rows_expected or (
            x.ndim == 2 and t.shape != (rows_expected,)):
        raise ValueError(f"{op} expects input (N, C) with integer target (N,), or (C,) with a "
                         f"0-d or one-element target; got {x.shape} and {t.shape} ({t.dtype})")
    labels = t._data.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"{op} expects target class indices in [0, {classes})")
    rows = x.reshape((-1, classes))
    flat = labels.reshape(-1)
    picked = _ops.take_along(rows, flat[:, None], 1, keepdim=True)        # (M, 1)
    hinge = (margin - picked + rows).clamp(min=0.0)
    if p == 2:
        hinge = hinge * hinge
    others = np.ones(rows.shape, dtype=bool)
    others[np.arange(len(flat)), flat] = False
    hinge = _ops.where(others, hinge, 0.0)
    if weight is not None:
        w = _validate.float_tensor(weight, "weight", op)
        if w.shape != (classes,):
            raise ValueError(f"{op} expects weight of shape ({classes},); got {w.shape}")
        hinge = hinge * Tensor(w._data[flat][:, None].astype(x.dtype))
    loss = hinge.sum(dim=1) / classes
    out_shape = x.shape[:-1] if x.ndim == 2 else t.shape  # torch keeps the target's shape
    return reduce(loss.reshape(out_shape), reduction)


def _distance(a: Tensor, b: Tensor, p: float, eps: float) -> Tensor:
    """torch's ``pairwise_distance``: ``||a - b + eps||_p`` along the last dim."""
    return ((a - b + eps).abs() ** p).sum(dim=-1) ** (1.0 / p)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                        swap: bool = False, reduction: str = "mean") -> Tensor:
    """``max(d(anchor, positive) - d(anchor, negative) + margin, 0)``, as torch.

    ``d`` is ``pairwise_distance`` (``||x - y + eps||_p`` along the last dim); with ``swap``
    the negative distance is the smaller of ``d(anchor, negative)`` and
    ``d(positive, negative)`` (Balntas et al. 2016). Inputs are (N, D) or (D,).
    """
    op = "triplet_margin_loss"
    a = _validate.float_tensor(anchor, "anchor", op)
    pos = _validate.float_tensor(positive, "positive", op)
    neg = _validate.float_tensor(negative, "negative", op)
    _validate.one_of(reduction, REDUCTIONS, "reduction")
    if not a.shape == pos.shape == neg.shape or a.ndim not in (1, 2):
        raise ValueError(f"{op} expects anchor, positive and negative of one shape, (N, D) or "
                         f"(D,); got {a.shape}, {pos.shape} and {neg.shape}")
    margin = _validate.real_number(margin, "margin")
    if margin <= 0:
        raise ValueError(f"{op} needs margin > 0, as torch; got margin={margin}")
    p = _validate.real_number(p, "p", low=0.0)
    eps = _validate.real_number(eps, "eps")
    d_pos, d_neg = _distance(a, pos, p, eps), _distance(a, neg, p, eps)
    if swap:
        d_swap = _distance(pos, neg, p, eps)
        d_neg = _ops.where(d_swap._data < d_neg._data, d_swap, d_neg)
    return reduce((d_pos - d_neg + margin).clamp(min=0.0), reduction)
