"""Loss modules, as ``torch.nn.CrossEntropyLoss`` and friends: thin wrappers over
:mod:`convlens.functional`'s losses that hold the options."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from .. import functional as F
from .._validate import float_dtype, one_of
from ..functional.loss import REDUCTIONS
from ..tensor import Tensor
from . import _budget
from .module import Module
from .registry import builtin


def legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """torch's deprecated ``size_average``/``reduce`` pair, mapped onto ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


class _Loss(Module):
    _reductions = REDUCTIONS

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = one_of(legacy_reduction(size_average, reduce, reduction),
                                self._reductions, "reduction")

    def _options(self) -> dict[str, Any]:
        """Options other than ``reduction`` and the weights, for the repr and the config."""
        return {}

    def extra_repr(self) -> str:
        defaults = inspect.signature(type(self).__init__).parameters
        shown = {"reduction": self.reduction, **self._options()}
        return ", ".join(f"{k}={v!r}" for k, v in shown.items()
                         if k not in defaults or v != defaults[k].default)

    def get_config(self) -> dict[str, Any]:
        return {"reduction": self.reduction, **self._options()}


class _WeightedLoss(_Loss):
    """A loss with optional weight buffers (saved in ``state_dict`` as torch names them)."""

    _weights: tuple[str, ...] = ("weight",)

    def _set_weight(self, name: str, weight: Any) -> None:
        if weight is not None and not isinstance(weight, Tensor | np.ndarray):
            raise TypeError(f"{name} must be a convlens Tensor, an ndarray or None; got "
                            f"{type(weight).__name__}")
        if weight is not None:
            float_dtype(np.asarray(weight).dtype, name, type(self).__name__)
        self.register_buffer(name, weight)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        for name in self._weights:
            value = getattr(self, name)
            config[name] = None if value is None else {"values": value.numpy().tolist(),
                                                      "dtype": str(value.dtype)}
        return config

    @classmethod
    def estimated_elements(cls, config: dict[str, Any]) -> int:
        """Parameter elements ``cls(**config)`` allocates (see ``nn._budget``)."""
        return _budget.weights(config, *cls._weights)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Module:
        config = dict(config)
        for name in cls._weights:
            value = config.get(name)
            if isinstance(value, dict):
                config[name] = Tensor(np.asarray(value["values"], np.dtype(value["dtype"])))
        return cls(**config)


@builtin
class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy of logits against class indices or probabilities.

    Parameters
    ----------
    weight : Tensor, optional
        Per-class weights (C,), a buffer in ``state_dict`` as in torch; with
        ``reduction="mean"`` the sum is divided by the summed weight of the targets.
    size_average, reduce : bool, optional
        torch's deprecated pair; when given they set ``reduction`` as in torch.
    ignore_index : int, default -100
    reduction : {"mean", "sum", "none"}, default "mean"
    label_smoothing : float, default 0.0

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import nn
    >>> criterion = nn.CrossEntropyLoss()
    >>> round(criterion(cl.tensor([[0.0, 0.0]]), cl.tensor([1])).item(), 4)
    0.6931
    """

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self._set_weight("weight", weight)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)

    def _options(self) -> dict[str, Any]:
        return {"ignore_index": self.ignore_index, "label_smoothing": self.label_smoothing}


@builtin
class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (use after ``LogSoftmax``).

    Same ``weight``, ``ignore_index`` and ``reduction`` as :class:`CrossEntropyLoss`.
    """

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self._set_weight("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)

    def _options(self) -> dict[str, Any]:
        return {"ignore_index": self.ignore_index}


@builtin
class MSELoss(_Loss):
    """Mean squared error between input and target of the same shape."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.mse_loss(input, target, reduction=self.reduction)
