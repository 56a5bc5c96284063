"""Loss modules, as ``torch.nn.CrossEntropyLoss`` and friends: thin wrappers over
:mod:`convlens.functional`'s losses that hold the options."""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .._validate import one_of
from ..functional.loss import REDUCTIONS
from ..tensor import Tensor
from .module import Module
from .registry import builtin


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = one_of(reduction, REDUCTIONS, "reduction")

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""

    def get_config(self) -> dict[str, Any]:
        return {"reduction": self.reduction}


@builtin
class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits against class indices or probabilities.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import nn
    >>> criterion = nn.CrossEntropyLoss()
    >>> round(criterion(cl.tensor([[0.0, 0.0]]), cl.tensor([1])).item(), 4)
    0.6931
    """

    def __init__(self, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.cross_entropy(input, target, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "ignore_index": self.ignore_index,
                "label_smoothing": self.label_smoothing}


@builtin
class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (use after ``LogSoftmax``)."""

    def __init__(self, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.nll_loss(input, target, ignore_index=self.ignore_index,
                          reduction=self.reduction)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "ignore_index": self.ignore_index}


@builtin
class MSELoss(_Loss):
    """Mean squared error between input and target of the same shape."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.mse_loss(input, target, reduction=self.reduction)
