"""Convolution layers: one N-d implementation (``_ConvNd``), ``Conv1d`` and ``Conv2d`` wrap it.

A convolution layer holds ``out_channels`` learnable filters, each small in space but spanning
the full depth of its input group: ``weight`` has shape (out_channels, in_channels / groups,
*kernel_size). What it computes is a cross-correlation (the filter is not flipped), as in
every NN library.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from .. import _validate
from .. import functional as F
from ..conv import geometry
from ..conv.padding import PADDING_MODES
from ..tensor import Tensor
from . import _args, init
from .module import Module
from .registry import builtin

# The submodule, not the function of the same name that convlens.conv re-exports.
_choose = importlib.import_module("convlens.conv.choose")

_LAYOUTS = {1: ("(N, {C}, L) or ({C}, L)", "L"), 2: ("(N, {C}, H, W) or ({C}, H, W)", "H, W"),
            3: ("(N, {C}, D, H, W) or ({C}, D, H, W)", "D, H, W")}


def _padding(padding: Any, nd: int, kernel: tuple[int, ...], stride: tuple[int, ...],
             dilation: tuple[int, ...]) -> str | tuple:
    """Validate ``padding`` now (not at the first call) and store it the way torch does."""
    geometry.resolve_padding(padding, kernel, kernel, stride, dilation)
    if isinstance(padding, str):
        return padding
    if isinstance(padding, tuple | list) and padding and isinstance(padding[0], tuple | list):
        return tuple((int(lo), int(hi)) for lo, hi in padding)
    return _validate.int_tuple(padding, nd, "padding", minimum=0)


class _ConvNd(Module):
    """The shared body of Conv1d/Conv2d; see :class:`Conv2d` for the parameters."""

    _nd = 0

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", *, algorithm: str = "auto",
                 dtype: Any = np.float32,
                 generator: np.random.Generator | int | None = None) -> None:
        super().__init__()
        nd = self._nd
        self.in_channels, self.out_channels, self.groups = _args.grouped_channels(
            in_channels, out_channels, groups)
        self.kernel_size = _validate.int_tuple(kernel_size, nd, "kernel_size")
        self.stride = _validate.int_tuple(stride, nd, "stride")
        self.dilation = _validate.int_tuple(dilation, nd, "dilation")
        self.padding = _padding(padding, nd, self.kernel_size, self.stride, self.dilation)
        self.padding_mode = _validate.one_of(padding_mode, PADDING_MODES, "padding_mode")
        self.algorithm = _validate.one_of(algorithm, _choose.ALGORITHMS, "algorithm")
        _args.weight_and_bias(
            self, (self.out_channels, self.in_channels // self.groups, *self.kernel_size),
            self.out_channels, bias, _args.float_dtype(dtype),
            f"kernel_size={kernel_size!r} with in_channels={in_channels} and "
            f"out_channels={out_channels}")
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | int | None = None) -> None:
        """Re-draw weight and bias with PyTorch's default init (see :func:`init.default_init_`)."""
        init.default_init_(self.weight, self.bias, generator=generator)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's argument name
        name, nd = type(self).__name__, self._nd
        layouts, spatial = _LAYOUTS[nd]
        x = _args.input_tensor(name, input, {nd + 1: f"(C, {spatial})",
                                             nd + 2: f"(N, C, {spatial})"})
        _args.channels(name, x, self.in_channels, x.ndim - nd - 1,
                       layouts.format(C=self.in_channels))
        conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]
        return conv(x, self.weight, self.bias, stride=self.stride, padding=self.padding,
                    dilation=self.dilation, groups=self.groups, padding_mode=self.padding_mode,
                    algorithm=self.algorithm)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if isinstance(self.padding, str) or any(
            p != 0 for p in np.ravel(np.asarray(self.padding, dtype=object)).tolist()
        ):
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self._nd:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        if self.algorithm != "auto":
            text += f", algorithm={self.algorithm}"
        return text

    def get_config(self) -> dict[str, Any]:
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": self.kernel_size, "stride": self.stride,
                "padding": self.padding, "dilation": self.dilation, "groups": self.groups,
                "bias": self.bias is not None, "padding_mode": self.padding_mode,
                "algorithm": self.algorithm, "dtype": str(self.weight.dtype)}


@builtin
class Conv1d(_ConvNd):
    """1-D convolution layer over (N, C_in, L) input, as ``torch.nn.Conv1d``.

    Same parameters as :class:`Conv2d`, with ints or 1-tuples for the sizes.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> conv = nn.Conv1d(2, 4, kernel_size=5, padding=2, generator=0)
    >>> conv(cl.tensor(np.zeros((3, 2, 40), np.float32))).shape
    (3, 4, 40)
    """

    _nd = 1


@builtin
class Conv2d(_ConvNd):
    """2-D convolution layer over (N, C_in, H, W) input, as ``torch.nn.Conv2d``.

    Parameters
    ----------
    in_channels, out_channels : int
        Must be divisible by ``groups``.
    kernel_size : int or tuple of 2 ints
    stride, dilation : int or tuple of 2 ints, default 1
    padding : int, tuple, ((top, bottom), (left, right)) or {"valid", "same", "full"}, default 0
        As in :func:`convlens.functional.conv2d`.
    groups : int, default 1
    bias : bool, default True
    padding_mode : {"zeros", "reflect", "replicate", "circular"}, default "zeros"
    algorithm : str, default "auto"
        Passed to :func:`convlens.functional.conv2d`; the engine that computes the layer.
    dtype : {np.float32, np.float64}, default np.float32
    generator : numpy.random.Generator or int, optional
        Source of the initial weights; the default generator (see :func:`convlens.manual_seed`)
        if None.

    Notes
    -----
    ``weight`` is (out_channels, in_channels / groups, kH, kW) and ``bias`` (out_channels,),
    both drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with ``fan_in = in_channels / groups *
    kH * kW`` (PyTorch's default). The output is (N, out_channels, H_out, W_out) with
    ``H_out = floor((H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0]) + 1``.

    Raises
    ------
    TypeError, ValueError
        For malformed hyperparameters (named in the message), and at call time for an input
        of the wrong rank or channel count.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> conv = nn.Conv2d(1, 6, kernel_size=5, padding=2)
    >>> conv
    Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
    >>> conv(cl.tensor(np.zeros((8, 1, 28, 28), np.float32))).shape
    (8, 6, 28, 28)
    """

    _nd = 2


@builtin
class Conv3d(_ConvNd):
    """3-D convolution layer over (N, C_in, D, H, W) input (volumes, video), as
    ``torch.nn.Conv3d``; same parameters as :class:`Conv2d`, with 3-tuples for the sizes.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> conv = nn.Conv3d(1, 2, kernel_size=3, padding=1, generator=0)
    >>> conv(cl.tensor(np.zeros((1, 1, 4, 5, 6), np.float32))).shape
    (1, 2, 4, 5, 6)
    """

    _nd = 3
