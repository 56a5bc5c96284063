"""Binary, multi-label and margin losses: ``binary_cross_entropy``,
``binary_cross_entropy_with_logits``, ``multilabel_soft_margin_loss``, ``margin_ranking_loss``
and ``cosine_embedding_loss``, with torch's formulas, gradients and reductions.
"""

from __future__ import annotations

import numpy as np

from .. import _ops, _validate
from ..tensor import Tensor
from .activation_extra import logsigmoid
from .loss_regression import REDUCTIONS, pair, reduce


def _weight(weight, x: Tensor, name: str, op: str) -> Tensor | None:
    """An optional float weight that broadcasts to ``x``'s shape."""
    if weight is None:
        return None
    w = _validate.float_tensor(weight, name, op)
    try:
        shape = np.broadcast_shapes(w.shape, x.shape)
    except ValueError:
        shape = None
    if shape != x.shape:
        raise ValueError(f"{op} expects {name} that broadcasts to the input's shape {x.shape}; "
                         f"got {w.shape}")
    return w


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                         reduction: str = "mean") -> Tensor:
    """``-(target * log(input) + (1 - target) * log(1 - input))``, optionally weighted.

    As ``torch.nn.functional.binary_cross_entropy``: the logs are clamped at -100 so an input
    of exactly 0 or 1 gives a finite loss, and the gradient divides by
    ``max(input * (1 - input), 1e-12)``.

    Parameters
    ----------
    input : Tensor
        Probabilities in [0, 1], for example from :func:`sigmoid`.
    target : Tensor
        Same shape as ``input``; values in [0, 1].
    weight : Tensor, optional
        Broadcasts to the input's shape; scales each element's loss.
    reduction : {"mean", "sum", "none"}, default "mean"

    Raises
    ------
    ValueError
        Mismatched shapes, or input values outside [0, 1].

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> round(F.binary_cross_entropy(cl.tensor([0.8]), cl.tensor([1.0])).item(), 4)
    0.2231
    """
    p, y = pair(input, target, "binary_cross_entropy", reduction)
    w = _weight(weight, p, "weight", "binary_cross_entropy")
    if ((p._data < 0) | (p._data > 1)).any():
        raise ValueError("binary_cross_entropy expects input values in [0, 1] (probabilities; "
                         "use binary_cross_entropy_with_logits for logits)")
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p._data), -100)
        log_q = np.maximum(np.log1p(-p._data), -100)
    value = -(y._data * log_p + (1 - y._data) * log_q)

    def backward(g):
        grad_p = g * (p._data - y._data) / np.maximum(p._data * (1 - p._data), 1e-12)
        return grad_p, g * (log_q - log_p)

    loss = Tensor._from_op(value.astype(p.dtype), (p, y), backward, "BCELoss")
    return reduce(loss if w is None else loss * w, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,  # noqa: A002
                                     weight: Tensor | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid and binary cross-entropy in one stable step, as torch's function of that name.

    ``-(pos_weight * target * log(sigmoid(x)) + (1 - target) * log(1 - sigmoid(x)))``,
    times ``weight``.

    Parameters
    ----------
    input : Tensor
        Logits.
    target : Tensor
        Same shape as ``input``.
    weight : Tensor, optional
        Broadcasts to the input's shape.
    reduction : {"mean", "sum", "none"}, default "mean"
    pos_weight : Tensor, optional
        Weight of the positive term, broadcast along the last (class) dimension, e.g. (C,)
        for (N, C) input: ``num_negatives / num_positives`` balances a class.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> round(F.binary_cross_entropy_with_logits(cl.tensor([0.0]), cl.tensor([1.0])).item(), 4)
    0.6931
    """
    op = "binary_cross_entropy_with_logits"
    x, y = pair(input, target, op, reduction)
    w = _weight(weight, x, "weight", op)
    pw = _weight(pos_weight, x, "pos_weight", op)
    log_weight = 1.0 if pw is None else (pw - 1) * y + 1
    loss = (1 - y) * x - log_weight * logsigmoid(x)
    return reduce(loss if w is None else loss * w, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor,  # noqa: A002
                                weight: Tensor | None = None,
                                reduction: str = "mean") -> Tensor:
    """Per-class logistic loss averaged over the C classes of (N, C) input, as torch.

    ``-mean_c(w_c * (y * log(sigmoid(x)) + (1 - y) * log(sigmoid(-x))))`` per sample, then
    ``reduction`` over the samples.
    """
    op = "multilabel_soft_margin_loss"
    x, y = pair(input, target, op, reduction)
    if x.ndim not in (1, 2):
        raise ValueError(f"{op} expects input of shape (C,) or (N, C); got {x.shape}")
    w = _weight(weight, x, "weight", op)
    loss = -(y * logsigmoid(x) + (1 - y) * logsigmoid(-x))
    if w is not None:
        loss = loss * w
    return reduce(loss.sum(dim=-1) / x.shape[-1], reduction)


def _triplet(x1, x2, target, op: str, reduction: str) -> tuple[Tensor, Tensor, Tensor]:
    a = _validate.float_tensor(x1, "input1", op)
    b = _validate.float_tensor(x2, "input2", op)
    t = _validate.as_tensor(target, "target", op)
    _validate.one_of(reduction, REDUCTIONS, "reduction")
    return a, b, t


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor,
                        margin: float = 0.0, reduction: str = "mean") -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``, as ``torch.nn.functional`` has it.

    ``target`` holds 1 (``input1`` should rank higher) or -1; the three tensors have the same
    number of dimensions and broadcast together.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.margin_ranking_loss(cl.tensor([1.0, 1.0]), cl.tensor([0.0, 2.0]),
    ...                       cl.tensor([1.0, 1.0]), reduction="none").tolist()
    [0.0, 1.0]
    """
    op = "margin_ranking_loss"
    a, b, t = _triplet(input1, input2, target, op, reduction)
    if not a.ndim == b.ndim == t.ndim:
        raise ValueError(f"{op} expects input1, input2 and target of the same number of "
                         f"dimensions; got shapes {a.shape}, {b.shape} and {t.shape}")
    margin = _validate.real_number(margin, "margin")
    return reduce((-t * (a - b) + margin).clamp(min=0.0), reduction)


_COSINE_EPS = 1e-12  # torch's EPSILON inside cosine_embedding_loss


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor,
                          margin: float = 0.0, reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos(x1, x2) - margin)`` where -1.

    As ``torch.nn.functional.cosine_embedding_loss``: input (N, D) with target (N,), or
    unbatched (D,) with a 0-d target; the cosine is taken along D.
    """
    op = "cosine_embedding_loss"
    a, b, t = _triplet(input1, input2, target, op, reduction)
    if a.shape != b.shape or a.ndim not in (1, 2) or t.shape != a.shape[:-1]:
        raise ValueError(f"{op} expects input1 and input2 of shape (N, D) with target (N,), "
                         f"or (D,) with a 0-d target; got {a.shape}, {b.shape} and {t.shape}")
    margin = _validate.real_number(margin, "margin")
    dot = (a * b).sum(dim=-1)
    norms = ((a * a).sum(dim=-1) + _COSINE_EPS) * ((b * b).sum(dim=-1) + _COSINE_EPS)
    cos = dot / norms.sqrt()
    labels = t._data
    loss = _ops.where(labels == 1, 1 - cos, 0.0) + _ops.where(
        labels == -1, (cos - margin).clamp(min=0.0), 0.0)
    return reduce(loss, reduction)
