"""Piecewise and gated activation layers: ``Threshold``, ``Hardshrink``, ``Softshrink``,
``RReLU``, ``GLU`` and ``Softmax2d``, wrapping :mod:`convlens.functional`, with torch's
arguments and reprs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validate
from ..functional import activation_piecewise as _pw
from ..functional.activation import softmax
from ..random import as_generator
from ..tensor import Tensor
from .activation_extra import _Pointwise
from .module import Module
from .registry import builtin


@builtin
class Threshold(_Pointwise):
    """``x`` where ``x > threshold``, else ``value``, as ``torch.nn.Threshold``.

    Examples
    --------
    >>> from convlens import nn
    >>> nn.Threshold(0.1, 20)
    Threshold(threshold=0.1, value=20)
    """

    _options = ("threshold", "value", "inplace")
    _shown = ("threshold", "value")

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        _validate.any_real(threshold, "threshold")
        _validate.any_real(value, "value")
        self._set(threshold=threshold, value=value, inplace=inplace)

    def _call(self, x: Tensor) -> Tensor:
        return _pw.threshold(x, self.threshold, self.value)


class _Shrink(_Pointwise):
    _options = ("lambd",)

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self._set(lambd=_validate.real_number(lambd, "lambd"))

    def extra_repr(self) -> str:
        return f"{self.lambd}"


@builtin
class Hardshrink(_Shrink):
    """``x`` where ``|x| > lambd``, else 0, as ``torch.nn.Hardshrink``."""

    def _call(self, x: Tensor) -> Tensor:
        return _pw.hardshrink(x, self.lambd)


@builtin
class Softshrink(_Shrink):
    """Shrink towards 0 by ``lambd``, as ``torch.nn.Softshrink``."""

    def _call(self, x: Tensor) -> Tensor:
        return _pw.softshrink(x, self.lambd)


@builtin
class RReLU(_Pointwise):
    """Randomized leaky ReLU, as ``torch.nn.RReLU``: random slopes in training, their mean in
    eval. ``generator`` (keyword-only) is the source of the slopes, as in ``Dropout``."""

    _options = ("lower", "upper", "inplace")
    _shown = ("lower", "upper")

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False,
                 *, generator: np.random.Generator | int | None = None) -> None:
        super().__init__()
        self._set(lower=_validate.real_number(lower, "lower"),
                  upper=_validate.real_number(upper, "upper"), inplace=inplace)
        self.generator = None if generator is None else as_generator(generator)

    def _call(self, x: Tensor) -> Tensor:
        return _pw.rrelu(x, self.lower, self.upper, self.training, generator=self.generator)


@builtin
class GLU(_Pointwise):
    """Gated linear unit over the halves of ``dim``, as ``torch.nn.GLU``."""

    _options = _shown = ("dim",)

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        if not isinstance(dim, int) or isinstance(dim, bool):
            raise TypeError(f"dim must be an int; got {type(dim).__name__} {dim!r}")
        self.dim = dim

    def _call(self, x: Tensor) -> Tensor:
        return _pw.glu(x, self.dim)


@builtin
class Softmax2d(Module):
    """Softmax over the channels of (N, C, H, W) or (C, H, W) input, as ``torch.nn.Softmax2d``."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        x = _validate.float_tensor(input, "input", "Softmax2d")
        _validate.rank(x.shape, {3: "(C, H, W)", 4: "(N, C, H, W)"}, "input", "Softmax2d")
        return softmax(x, -3)

    def get_config(self) -> dict[str, Any]:
        return {}
