"""Pooling layers: max and average in 1-D, 2-D and 3-D, and the adaptive pools' base.

Each wraps the function of the same name in :mod:`convlens.functional` (looked up at call
time) and checks its hyperparameters when it is built, so a bad ``kernel_size`` fails where the
model is defined rather than at the first batch. Pooling summarises small patches, which makes
the output nearly invariant to shifts of the input by a pixel or two.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import _validate
from .. import functional as F
from ..functional import _pool_common
from ..tensor import Tensor
from . import _args
from .module import Module
from .registry import builtin


def _window(layer: str, nd: int, kernel_size: Any, stride: Any, padding: Any,
            dilation: Any = 1) -> None:
    """The functional pools' own checks (1-tuples and per-side padding pairs included)."""
    _pool_common.window_args(layer, nd, kernel_size, stride, padding, dilation)


def _stored(value: Any, nd: int = 0) -> Any:
    """Keep ints as given (torch's repr); turn sequences (e.g. JSON lists, nested for per-side
    padding) into tuples, and a 1-tuple into ``nd`` copies so every reader sees one per dim."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        return value
    value = tuple(_stored(v) for v in value)
    return value * nd if nd > 1 and len(value) == 1 else value


class _MaxPoolNd(Module):
    _nd = 0

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        _window(type(self).__name__, self._nd, kernel_size, stride, padding, dilation)
        self.kernel_size = _stored(kernel_size, self._nd)
        self.stride = self.kernel_size if stride is None else _stored(stride, self._nd)
        self.padding = _stored(padding, self._nd)
        self.dilation = _stored(dilation, self._nd)
        self.return_indices = _args.boolean(return_indices, "return_indices")
        self.ceil_mode = _args.boolean(ceil_mode, "ceil_mode")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's argument name
        pool = getattr(F, f"max_pool{self._nd}d")
        return pool(input, self.kernel_size, self.stride, self.padding, self.dilation,
                    ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")

    def get_config(self) -> dict[str, Any]:
        return {"kernel_size": self.kernel_size, "stride": self.stride,
                "padding": self.padding, "dilation": self.dilation,
                "return_indices": self.return_indices, "ceil_mode": self.ceil_mode}


@builtin
class MaxPool1d(_MaxPoolNd):
    """1-D max pooling over (N, C, L) input, as ``torch.nn.MaxPool1d``; see :class:`MaxPool2d`.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import nn
    >>> nn.MaxPool1d(2)(cl.tensor([[[1.0, 3.0, 2.0, 5.0]]])).tolist()
    [[[3.0, 5.0]]]
    """

    _nd = 1


@builtin
class MaxPool2d(_MaxPoolNd):
    """2-D max pooling, as ``torch.nn.MaxPool2d``.

    Parameters
    ----------
    kernel_size : int or tuple of 2 ints
    stride : int or tuple of 2 ints, optional
        Defaults to ``kernel_size``.
    padding : int, tuple of 2 ints, or 2 (low, high) pairs, default 0
        At most half the kernel size; per-side pairs are a convlens addition.
    dilation : int or tuple of 2 ints, default 1
    return_indices : bool, default False
        Also return the flat argmax index of each window.
    ceil_mode : bool, default False
        Round the output size up instead of down.

    Notes
    -----
    Output size ``floor((H + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1``
    per dimension (see :func:`convlens.functional.max_pool2d`).

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> nn.MaxPool2d(2)
    MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    >>> nn.MaxPool2d(2)(cl.tensor(np.zeros((1, 6, 28, 28), np.float32))).shape
    (1, 6, 14, 14)
    """

    _nd = 2


@builtin
class MaxPool3d(_MaxPoolNd):
    """3-D max pooling over (N, C, D, H, W) input, as ``torch.nn.MaxPool3d``.

    Parameters as :class:`MaxPool2d`, with 3 values per tuple.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> nn.MaxPool3d(2, stride=1)(cl.tensor(np.zeros((1, 2, 3, 4, 5), np.float32))).shape
    (1, 2, 2, 3, 4)
    """

    _nd = 3


class _AvgPoolNd(Module):
    _nd = 0

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        _window(type(self).__name__, self._nd, kernel_size, stride, padding)
        self.kernel_size = _stored(kernel_size, self._nd)
        self.stride = self.kernel_size if stride is None else _stored(stride, self._nd)
        self.padding = _stored(padding, self._nd)
        if self._nd == 1:  # torch keeps AvgPool1d's sizes as 1-tuples (and prints them so)
            self.kernel_size, self.stride, self.padding = (
                (v,) if isinstance(v, int) else v
                for v in (self.kernel_size, self.stride, self.padding))
        self.ceil_mode = _args.boolean(ceil_mode, "ceil_mode")
        self.count_include_pad = _args.boolean(count_include_pad, "count_include_pad")

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def get_config(self) -> dict[str, Any]:
        return {"kernel_size": self.kernel_size, "stride": self.stride,
                "padding": self.padding, "ceil_mode": self.ceil_mode,
                "count_include_pad": self.count_include_pad}


@builtin
class AvgPool1d(_AvgPoolNd):
    """1-D average pooling over (N, C, L) input, as ``torch.nn.AvgPool1d``.

    Parameters as :class:`AvgPool2d`, without ``divisor_override``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import nn
    >>> nn.AvgPool1d(2)(cl.tensor([[[1.0, 3.0, 2.0, 6.0]]])).tolist()
    [[[2.0, 4.0]]]
    """

    _nd = 1

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding,
                            self.ceil_mode, self.count_include_pad)


class _DivisorAvgPoolNd(_AvgPoolNd):
    """2-D and 3-D average pooling, which also take ``divisor_override``."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = None if divisor_override is None else _validate.positive_int(
            divisor_override, "divisor_override")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return getattr(F, f"avg_pool{self._nd}d")(
            input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
            self.count_include_pad, self.divisor_override)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "divisor_override": self.divisor_override}


@builtin
class AvgPool2d(_DivisorAvgPoolNd):
    """2-D average pooling, as ``torch.nn.AvgPool2d``.

    Parameters
    ----------
    kernel_size : int or tuple of 2 ints
    stride : int or tuple of 2 ints, optional
        Defaults to ``kernel_size``.
    padding : int, tuple of 2 ints, or 2 (low, high) pairs, default 0
        Zero padding, at most half the kernel size; per-side pairs are a convlens addition.
    ceil_mode : bool, default False
    count_include_pad : bool, default True
        Count the padded zeros in the divisor.
    divisor_override : int, optional
        Divide every window sum by this instead.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> nn.AvgPool2d(2)(cl.tensor(np.ones((1, 1, 4, 4), np.float32))).tolist()
    [[[[1.0, 1.0], [1.0, 1.0]]]]
    """

    _nd = 2


@builtin
class AvgPool3d(_DivisorAvgPoolNd):
    """3-D average pooling over (N, C, D, H, W) input, as ``torch.nn.AvgPool3d``.

    Parameters as :class:`AvgPool2d`, with 3 values per tuple.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> nn.AvgPool3d(2)(cl.tensor(np.ones((1, 2, 4, 4, 4), np.float32))).shape
    (1, 2, 2, 2, 2)
    """

    _nd = 3


class _AdaptivePoolNd(Module):
    """Adaptive pools (average and max): one ``output_size``, bins as in the functions."""

    _nd = 0
    _kind = "avg"

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        sizes = output_size if isinstance(output_size, Sequence) and not isinstance(
            output_size, str) else [output_size] * self._nd
        if len(sizes) != self._nd or not all(
            s is None or (isinstance(s, int) and not isinstance(s, bool) and s >= 1)
            for s in sizes
        ):
            raise ValueError(f"output_size must be a positive int or a tuple of {self._nd} "
                             f"positive ints or None; got {output_size!r}")
        self.output_size = _stored(output_size)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return getattr(F, f"adaptive_{self._kind}_pool{self._nd}d")(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"

    def get_config(self) -> dict[str, Any]:
        return {"output_size": self.output_size}


# The name that summary() and explain import: every adaptive pool (average or max) has the
# same bins, so the same receptive-field geometry.
_AdaptiveAvgPoolNd = _AdaptivePoolNd


@builtin
class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """Average (N, C, L) input over ``output_size`` bins, as ``torch.nn.AdaptiveAvgPool1d``."""

    _nd = 1


@builtin
class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """Average over an ``output_size`` grid of bins, as ``torch.nn.AdaptiveAvgPool2d``.

    Parameters
    ----------
    output_size : int or tuple of 2 (int or None)
        (H_out, W_out); None keeps that input size; 1 is global average pooling.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> nn.AdaptiveAvgPool2d(1)(cl.tensor(np.ones((2, 8, 5, 5), np.float32))).shape
    (2, 8, 1, 1)
    """

    _nd = 2


@builtin
class AdaptiveAvgPool3d(_AdaptivePoolNd):
    """Average (N, C, D, H, W) input over an ``output_size`` grid of bins, as
    ``torch.nn.AdaptiveAvgPool3d``.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> nn.AdaptiveAvgPool3d((1, 2, None))(cl.tensor(np.ones((2, 3, 4, 4, 5)))).shape
    (2, 3, 1, 2, 5)
    """

    _nd = 3
