"""More loss modules, thin wrappers over :mod:`convlens.functional`'s losses that hold the
options, with ``torch.nn``'s constructor arguments (the deprecated ``size_average``/``reduce``
pair included) and weight buffers named as torch names them in ``state_dict``.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .._validate import real_number
from ..tensor import Tensor
from .loss import REDUCTIONS, _Loss, _WeightedLoss
from .registry import builtin


@builtin
class L1Loss(_Loss):
    """Mean absolute error, as ``torch.nn.L1Loss``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import nn
    >>> nn.L1Loss()(cl.tensor([1.0, -3.0]), cl.tensor([0.0, 0.0])).item()
    2.0
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.l1_loss(input, target, self.reduction)


@builtin
class SmoothL1Loss(_Loss):
    """Quadratic below ``beta``, linear above, as ``torch.nn.SmoothL1Loss``."""

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = real_number(beta, "beta", low=0.0)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.smooth_l1_loss(input, target, self.reduction, self.beta)

    def _options(self) -> dict[str, Any]:
        return {"beta": self.beta}


@builtin
class HuberLoss(_Loss):
    """Quadratic below ``delta``, ``delta``-scaled linear above, as ``torch.nn.HuberLoss``."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = real_number(delta, "delta", low=0.0)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.huber_loss(input, target, self.reduction, self.delta)

    def _options(self) -> dict[str, Any]:
        return {"delta": self.delta}


@builtin
class KLDivLoss(_Loss):
    """KL divergence of log-probabilities from a target, as ``torch.nn.KLDivLoss``.

    ``reduction`` also takes ``"batchmean"`` (the mathematically correct per-sample mean).
    """

    _reductions = (*REDUCTIONS, "batchmean")

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        if not isinstance(log_target, bool):
            raise TypeError(f"log_target must be a bool; got {type(log_target).__name__}")
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.kl_div(input, target, self.reduction, self.log_target)

    def _options(self) -> dict[str, Any]:
        return {"log_target": self.log_target}


@builtin
class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities, as ``torch.nn.BCELoss`` (``weight`` a buffer)."""

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self._set_weight("weight", weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


@builtin
class BCEWithLogitsLoss(_WeightedLoss):
    """Sigmoid plus binary cross-entropy, stably, as ``torch.nn.BCEWithLogitsLoss``.

    ``weight`` and ``pos_weight`` are buffers in ``state_dict``, as in torch.

    Examples
    --------
    >>> import numpy as np
    >>> from convlens import nn
    >>> list(nn.BCEWithLogitsLoss(pos_weight=np.ones(3)).state_dict())
    ['pos_weight']
    """

    _weights = ("weight", "pos_weight")

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean",
                 pos_weight: Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self._set_weight("weight", weight)
        self._set_weight("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                  self.pos_weight)


@builtin
class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Per-class logistic loss averaged over classes, as ``torch.nn.MultiLabelSoftMarginLoss``."""

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self._set_weight("weight", weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.multilabel_soft_margin_loss(input, target, self.weight, self.reduction)


class _MarginLoss(_Loss):
    def __init__(self, margin: float = 0.0, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = real_number(margin, "margin")

    def _options(self) -> dict[str, Any]:
        return {"margin": self.margin}


@builtin
class MarginRankingLoss(_MarginLoss):
    """``max(0, -y * (x1 - x2) + margin)``, as ``torch.nn.MarginRankingLoss``."""

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, self.margin, self.reduction)


@builtin
class CosineEmbeddingLoss(_MarginLoss):
    """``1 - cos`` for similar pairs, ``max(0, cos - margin)`` for dissimilar ones, as torch."""

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.cosine_embedding_loss(input1, input2, target, self.margin, self.reduction)


@builtin
class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood, as ``torch.nn.PoissonNLLLoss``."""

    def __init__(self, log_input: bool = True, full: bool = False,
                 size_average: bool | None = None, eps: float = 1e-8,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full = bool(log_input), bool(full)
        self.eps = real_number(eps, "eps", low=0.0)

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return F.poisson_nll_loss(log_input, target, self.log_input, self.full, eps=self.eps,
                                  reduction=self.reduction)

    def _options(self) -> dict[str, Any]:
        return {"log_input": self.log_input, "full": self.full, "eps": self.eps}


@builtin
class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood with predicted variances, as torch's."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6,
                 reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.full = bool(full)
        self.eps = real_number(eps, "eps", low=0.0)

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:  # noqa: A002
        return F.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)

    def _options(self) -> dict[str, Any]:
        return {"full": self.full, "eps": self.eps}


@builtin
class SoftMarginLoss(_Loss):
    """``log(1 + exp(-y * x))`` for targets of +-1, as ``torch.nn.SoftMarginLoss``."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.soft_margin_loss(input, target, self.reduction)


@builtin
class HingeEmbeddingLoss(_Loss):
    """``x`` for similar pairs, ``max(0, margin - x)`` for dissimilar ones, as torch."""

    def __init__(self, margin: float = 1.0, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = real_number(margin, "margin")

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.hinge_embedding_loss(input, target, self.margin, self.reduction)

    def _options(self) -> dict[str, Any]:
        return {"margin": self.margin}


@builtin
class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss, as ``torch.nn.MultiMarginLoss`` (``weight`` a buffer)."""

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                 size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        if p not in (1, 2) or isinstance(p, bool):
            raise ValueError(f"MultiMarginLoss supports p=1 or p=2; got p={p!r}")
        self.p = p
        self.margin = real_number(margin, "margin")
        self._set_weight("weight", weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.multi_margin_loss(input, target, self.p, self.margin, self.weight,
                                   self.reduction)

    def _options(self) -> dict[str, Any]:
        return {"p": self.p, "margin": self.margin}


@builtin
class TripletMarginLoss(_Loss):
    """``max(d(a, p) - d(a, n) + margin, 0)``, as ``torch.nn.TripletMarginLoss``."""

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = real_number(margin, "margin")
        if self.margin <= 0:
            raise ValueError(f"TripletMarginLoss needs margin > 0, as torch; got margin={margin}")
        self.p = real_number(p, "p", low=0.0)
        self.eps = real_number(eps, "eps")
        self.swap = bool(swap)

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps,
                                     self.swap, self.reduction)

    def _options(self) -> dict[str, Any]:
        return {"margin": self.margin, "p": self.p, "eps": self.eps, "swap": self.swap}
