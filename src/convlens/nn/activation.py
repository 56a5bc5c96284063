"""Activation layers: ``ReLU``, ``LeakyReLU``, ``Sigmoid``, ``Tanh`` and ``Softmax``.

Each wraps the function of the same name in :mod:`convlens.functional`. ``inplace`` is
accepted for compatibility with PyTorch code and shown in the repr, but convlens never
overwrites its input: the result is always a new tensor (same values either way).
"""

from __future__ import annotations

from typing import Any

from .. import _validate
from ..functional import activation as _act
from ..tensor import Tensor
from . import _args
from .module import Module
from .registry import builtin


class _Inplace(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = _args.boolean(inplace, "inplace")

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""

    def get_config(self) -> dict[str, Any]:
        return {"inplace": self.inplace}


@builtin
class ReLU(_Inplace):
    """max(x, 0) elementwise, as ``torch.nn.ReLU``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import nn
    >>> nn.ReLU()(cl.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's argument name
        return _act.relu(input)


@builtin
class LeakyReLU(Module):
    """x for x > 0, ``negative_slope * x`` otherwise, as ``torch.nn.LeakyReLU``.

    Parameters
    ----------
    negative_slope : float, default 0.01
    inplace : bool, default False
        Accepted for compatibility; has no effect.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import nn
    >>> nn.LeakyReLU(0.1)(cl.tensor([-1.0, 2.0])).tolist()
    [-0.10000000149011612, 2.0]
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = _validate.real_number(negative_slope, "negative_slope")
        self.inplace = _args.boolean(inplace, "inplace")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return _act.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace
                                                          else "")

    def get_config(self) -> dict[str, Any]:
        return {"negative_slope": self.negative_slope, "inplace": self.inplace}


@builtin
class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise, as ``torch.nn.Sigmoid``."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return _act.sigmoid(input)

    def get_config(self) -> dict[str, Any]:
        return {}


@builtin
class Tanh(Module):
    """tanh(x) elementwise, as ``torch.nn.Tanh``."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return _act.tanh(input)

    def get_config(self) -> dict[str, Any]:
        return {}


@builtin
class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``dim``, as ``torch.nn.Softmax``.

    Parameters
    ----------
    dim : int, optional
        The axis that sums to 1. None keeps torch's legacy rule (deprecated there too): axis 0
        for 0-, 1- and 3-D input, axis 1 otherwise. Pass it explicitly.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import nn
    >>> nn.Softmax(dim=1)(cl.tensor([[0.0, 0.0]])).tolist()
    [[0.5, 0.5]]
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool)):
            raise TypeError(f"dim must be an int or None; got {type(dim).__name__} {dim!r}")
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        dim = self.dim
        if dim is None:
            x = _validate.float_tensor(input, "input", "Softmax")
            dim = 0 if x.ndim in (0, 1, 3) else 1
        return _act.softmax(input, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"

    def get_config(self) -> dict[str, Any]:
        return {"dim": self.dim}
