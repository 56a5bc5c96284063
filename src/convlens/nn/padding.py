"""Padding layers: ``ZeroPad``, ``ConstantPad``, ``ReflectionPad``, ``ReplicationPad`` and
``CircularPad``, each a thin layer over :func:`convlens.functional.pad`.

``padding`` is an int (the same on every side) or torch's flat tuple, last dimension first:
``(left, right)`` in 1-D, ``(left, right, top, bottom)`` in 2-D, and
``(left, right, top, bottom, front, back)`` in 3-D.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral
from typing import Any

from .. import _validate
from .. import functional as F
from ..functional._pool_common import LAYOUTS
from ..tensor import Tensor
from .module import Module
from .registry import builtin


def _flat_padding(padding: Any, nd: int) -> tuple[int, ...]:
    """An int or a tuple of ``2 * nd`` ints, as the flat tuple torch stores."""
    def is_int(v: Any) -> bool:
        return isinstance(v, Integral) and not isinstance(v, bool)

    if is_int(padding):
        return (int(padding),) * (2 * nd)
    if isinstance(padding, Sequence) and not isinstance(padding, str) and len(
            padding) == 2 * nd and all(is_int(v) for v in padding):
        return tuple(int(v) for v in padding)
    raise TypeError(f"padding must be an int or a tuple of {2 * nd} ints; got {padding!r}")


class _PadNd(Module):
    _nd = 0
    _mode = "constant"

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = _flat_padding(padding, self._nd)

    def _pad(self, input: Tensor, value: float | None = None) -> Tensor:  # noqa: A002
        x = _validate.float_tensor(input, "input", type(self).__name__)
        if self._mode != "constant":  # torch: one or two leading dims (C, or N and C)
            single, batched = LAYOUTS[self._nd]
            _validate.rank(x.shape, {self._nd + 1: single, self._nd + 2: batched}, "input",
                           type(self).__name__)
        return F.pad(x, self.padding, self._mode, value)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return self._pad(input)

    def extra_repr(self) -> str:
        return f"{self.padding}"

    def get_config(self) -> dict[str, Any]:
        return {"padding": self.padding}


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        _validate.any_real(value, "value")
        self.value = value

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return self._pad(input, float(self.value))

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"

    def get_config(self) -> dict[str, Any]:
        return {"padding": self.padding, "value": self.value}


@builtin
class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``, as ``torch.nn.ConstantPad1d(padding, value)``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import nn
    >>> nn.ConstantPad1d((1, 2), 9.0)(cl.tensor([[1.0, 2.0]])).tolist()
    [[9.0, 1.0, 2.0, 9.0, 9.0]]
    """

    _nd = 1


@builtin
class ConstantPad2d(_ConstantPadNd):
    """Pad the last 2 dims with ``value``, as ``torch.nn.ConstantPad2d(padding, value)``."""

    _nd = 2


@builtin
class ConstantPad3d(_ConstantPadNd):
    """Pad the last 3 dims with ``value``, as ``torch.nn.ConstantPad3d(padding, value)``."""

    _nd = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"

    def get_config(self) -> dict[str, Any]:
        return {"padding": self.padding}


@builtin
class ZeroPad1d(_ZeroPadNd):
    """Pad the last dim with zeros, as ``torch.nn.ZeroPad1d``."""

    _nd = 1


@builtin
class ZeroPad2d(_ZeroPadNd):
    """Pad the last 2 dims with zeros, as ``torch.nn.ZeroPad2d``.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> nn.ZeroPad2d((1, 0, 0, 2))
    ZeroPad2d((1, 0, 0, 2))
    >>> nn.ZeroPad2d((1, 0, 0, 2))(cl.tensor(np.ones((1, 1, 2, 2)))).shape
    (1, 1, 4, 3)
    """

    _nd = 2


@builtin
class ReflectionPad1d(_PadNd):
    """Mirror the last dim without repeating its edge, as ``torch.nn.ReflectionPad1d``.

    Each pad must be smaller than the padded dim.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import nn
    >>> nn.ReflectionPad1d(2)(cl.tensor([[[1.0, 2.0, 3.0]]])).tolist()
    [[[3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]]]
    """

    _nd = 1
    _mode = "reflect"


@builtin
class ReflectionPad2d(_PadNd):
    """Mirror the last 2 dims, as ``torch.nn.ReflectionPad2d``; (C, H, W) or (N, C, H, W)."""

    _nd = 2
    _mode = "reflect"


@builtin
class ReplicationPad1d(_PadNd):
    """Repeat the edge of the last dim, as ``torch.nn.ReplicationPad1d``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import nn
    >>> nn.ReplicationPad1d((2, 1))(cl.tensor([[[1.0, 2.0]]])).tolist()
    [[[1.0, 1.0, 1.0, 2.0, 2.0]]]
    """

    _nd = 1
    _mode = "replicate"


@builtin
class ReplicationPad2d(_PadNd):
    """Repeat the edges of the last 2 dims, as ``torch.nn.ReplicationPad2d``."""

    _nd = 2
    _mode = "replicate"


@builtin
class CircularPad1d(_PadNd):
    """Wrap the last dim around, as ``torch.nn.CircularPad1d``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import nn
    >>> nn.CircularPad1d(1)(cl.tensor([[[1.0, 2.0, 3.0]]])).tolist()
    [[[3.0, 1.0, 2.0, 3.0, 1.0]]]
    """

    _nd = 1
    _mode = "circular"


@builtin
class CircularPad2d(_PadNd):
    """Wrap the last 2 dims around, as ``torch.nn.CircularPad2d``; circular, stride-1
    convolution after it is exactly shift-equivariant."""

    _nd = 2
    _mode = "circular"
