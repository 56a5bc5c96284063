"""Layers for ONNX's elementwise, reduction and normalisation operators.

Written with convlens tensor ops, so autograd differentiates them; each is a registered
``nn.Module`` with ``get_config()`` (an imported model saves and loads). Semantics are
ONNX's (https://onnx.ai/onnx/operators/).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import special

from .. import nn
from .._ops import clamp, exp, log, maximum, minimum
from ..tensor import Tensor


def erf(x: Tensor) -> Tensor:
    """The error function, with its gradient ``2 / sqrt(pi) * exp(-x**2)``."""
    data = x._data

    def backward(grad_output: np.ndarray) -> tuple[np.ndarray]:
        return (grad_output * (2.0 / math.sqrt(math.pi)) * np.exp(-data * data),)

    return Tensor._from_op(special.erf(data).astype(data.dtype), (x,), backward, "Erf")


def _elu(x: Tensor, alpha: float) -> Tensor:
    return maximum(x, 0.0) + (exp(minimum(x, 0.0)) - 1.0) * alpha


def _softplus(x: Tensor) -> Tensor:  # log(1 + exp(x)) without overflow
    return maximum(x, 0.0) + log(exp(-x.abs()) + 1.0)


def _gelu(x: Tensor, approximate: float) -> Tensor:
    if approximate:
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * 0.5 * (inner.tanh() + 1.0)
    return x * 0.5 * (erf(x * (1.0 / math.sqrt(2.0))) + 1.0)


_UNARY = {
    "Elu": lambda x, a, b: _elu(x, a),
    "Selu": lambda x, a, b: _elu(x, a) * b,
    "Softplus": lambda x, a, b: _softplus(x),
    "HardSigmoid": lambda x, a, b: clamp(x * a + b, 0.0, 1.0),
    "HardSwish": lambda x, a, b: x * clamp(x * (1.0 / 6.0) + 0.5, 0.0, 1.0),
    "Gelu": lambda x, a, b: _gelu(x, a),
    "Erf": lambda x, a, b: erf(x),
    "Celu": lambda x, a, b: maximum(x, 0.0) + minimum((exp(x * (1.0 / a)) - 1.0) * a, 0.0),
    "Softsign": lambda x, a, b: x / (x.abs() + 1.0),
    "Sqrt": lambda x, a, b: x.sqrt(),
    "Exp": lambda x, a, b: exp(x),
    "Neg": lambda x, a, b: -x,
    "Abs": lambda x, a, b: x.abs(),
}
_BINARY = {"Sub": lambda a, b: a - b, "Div": lambda a, b: a / b, "Pow": lambda a, b: a ** b}


@nn.register
class Elementwise(nn.Module):
    """An ONNX unary operator ``kind`` with its ``alpha``/``beta`` attributes
    (``Gelu`` reads ``alpha`` as 1 for ``approximate="tanh"``).

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens.interop.layers_elementwise import Elementwise
    >>> Elementwise("HardSigmoid", 0.2, 0.5)(cl.tensor([-5.0, 0.0, 5.0])).tolist()
    [0.0, 0.5, 1.0]
    """

    def __init__(self, kind: str, alpha: float = 0.0, beta: float = 0.0) -> None:
        super().__init__()
        if kind not in _UNARY:
            raise ValueError(f"kind must be one of {sorted(_UNARY)}; got {kind!r}")
        self.kind, self.alpha, self.beta = kind, float(alpha), float(beta)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's argument name
        return _UNARY[self.kind](input, self.alpha, self.beta)

    def extra_repr(self) -> str:
        return f"kind={self.kind!r}, alpha={self.alpha}, beta={self.beta}"

    def get_config(self) -> dict[str, Any]:
        return {"kind": self.kind, "alpha": self.alpha, "beta": self.beta}


@nn.register
class Binary(nn.Module):
    """ONNX ``Sub``, ``Div`` or ``Pow`` of two inputs, with broadcasting."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        if kind not in _BINARY:
            raise ValueError(f"kind must be one of {sorted(_BINARY)}; got {kind!r}")
        self.kind = kind

    def forward(self, a: Tensor, b: Tensor) -> Tensor:
        if self.kind == "Div" and a.dtype.kind in "iu" and b.dtype.kind in "iu":
            x, y = np.broadcast_arrays(a._data, b._data)  # ONNX truncates toward zero
            quotient = np.abs(x) // np.abs(y) if a.dtype.kind == "i" else x // y
            return Tensor(np.where((x < 0) != (y < 0), -quotient, quotient).astype(a.dtype))
        if self.kind == "Pow" and b.dtype != a.dtype:
            b = Tensor(b._data.astype(a.dtype))
        return _BINARY[self.kind](a, b)

    def get_config(self) -> dict[str, Any]:
        return {"kind": self.kind}


@nn.register
class Clip(nn.Module):
    """ONNX ``Clip``: fixed ``low``/``high`` bounds, or bounds given as inputs:
    ``computed`` names which (``"low"``, ``"high"``), in the order ``forward`` takes them."""

    def __init__(self, low: float | None = None, high: float | None = None,
                 computed: Sequence[str] = ()) -> None:
        super().__init__()
        self.low, self.high = low, high
        self.computed = tuple(computed)
        if not set(self.computed) <= {"low", "high"}:
            raise ValueError(f"computed may name 'low' and 'high'; got {computed!r}")

    def forward(self, input: Tensor, *bounds: Tensor) -> Tensor:  # noqa: A002
        given = dict(zip(self.computed, bounds))
        low, high = given.get("low", self.low), given.get("high", self.high)
        if low is None and high is None:
            return input
        return clamp(input, low, high)

    def get_config(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "computed": list(self.computed)}


@nn.register
class PRelu(nn.Module):
    """ONNX ``PRelu``: ``max(x, 0) + slope * min(x, 0)``, the slope an input (broadcast)."""

    def forward(self, input: Tensor, slope: Tensor) -> Tensor:  # noqa: A002
        return maximum(input, 0.0) + minimum(input, 0.0) * slope

    def get_config(self) -> dict[str, Any]:
        return {}


@nn.register
class ReduceMean(nn.Module):
    """ONNX ``ReduceMean`` over ``axes`` (all when empty, or none with ``noop=True``)."""

    def __init__(self, axes: Sequence[int] = (), keepdims: bool = True,
                 noop: bool = False) -> None:
        super().__init__()
        self.axes, self.keepdims = tuple(int(a) for a in axes), bool(keepdims)
        self.noop = bool(noop)

    def forward(self, input: Tensor, axes: Tensor | None = None) -> Tensor:  # noqa: A002
        dims = self.axes if axes is None else tuple(int(a) for a in axes.numpy().reshape(-1))
        if not dims and self.noop:
            return input
        dims = dims or tuple(range(input.ndim))
        return input.mean(dim=tuple(d % input.ndim for d in dims), keepdim=self.keepdims)

    def get_config(self) -> dict[str, Any]:
        return {"axes": list(self.axes), "keepdims": self.keepdims, "noop": self.noop}
