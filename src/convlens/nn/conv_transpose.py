"""Transposed convolution layers: one N-d implementation, ``ConvTranspose1d/2d/3d`` wrap it.

``weight`` has shape (in_channels, out_channels / groups, *kernel_size), input channels first,
as in PyTorch, so a torch ``state_dict`` loads unchanged. The layer upsamples by ``stride``
with learned filters (decoders, U-Nets, GAN generators); see
:func:`convlens.functional.conv_transpose2d` for what it computes.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from .. import _validate
from .. import functional as F
from ..tensor import Tensor
from . import _args, init
from .module import Module
from .registry import builtin

_choose = importlib.import_module("convlens.conv.choose")
_SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}


class _ConvTransposeNd(Module):
    """The shared body of ConvTranspose1d/2d/3d; see :class:`ConvTranspose2d`."""

    _nd = 0

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", *, algorithm: str = "auto",
                 dtype: Any = np.float32,
                 generator: np.random.Generator | int | None = None) -> None:
        super().__init__()
        nd = self._nd
        self.in_channels, self.out_channels, self.groups = _args.grouped_channels(
            in_channels, out_channels, groups)
        self.kernel_size = _validate.int_tuple(kernel_size, nd, "kernel_size")
        self.stride = _validate.int_tuple(stride, nd, "stride")
        self.padding = _validate.int_tuple(padding, nd, "padding", minimum=0)
        self.output_padding = _validate.int_tuple(output_padding, nd, "output_padding",
                                                  minimum=0)
        self.dilation = _validate.int_tuple(dilation, nd, "dilation")
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding_mode is supported for '
                             f"{type(self).__name__}; got {padding_mode!r}")
        self.padding_mode = padding_mode
        self.algorithm = _validate.one_of(algorithm, _choose.ALGORITHMS, "algorithm")
        _args.weight_and_bias(
            self, (self.in_channels, self.out_channels // self.groups, *self.kernel_size),
            self.out_channels, bias, _args.float_dtype(dtype),
            f"kernel_size={kernel_size!r} with in_channels={in_channels} and "
            f"out_channels={out_channels}")
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | int | None = None) -> None:
        """PyTorch's default init; fan_in is ``weight.shape[1] * prod(kernel_size)``."""
        init.default_init_(self.weight, self.bias, generator=generator)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        name, nd = type(self).__name__, self._nd
        x = _args.input_tensor(name, input, {nd + 1: f"(C, {_SPATIAL[nd]})",
                                             nd + 2: f"(N, C, {_SPATIAL[nd]})"})
        _args.channels(name, x, self.in_channels, x.ndim - nd - 1,
                       f"(N, {self.in_channels}, {_SPATIAL[nd]}) or "
                       f"({self.in_channels}, {_SPATIAL[nd]})")
        output_padding = self._output_padding(x, output_size)
        conv = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[nd]
        return conv(x, self.weight, self.bias, stride=self.stride, padding=self.padding,
                    output_padding=output_padding, groups=self.groups,
                    dilation=self.dilation, algorithm=self.algorithm)

    def _output_padding(self, x: Tensor, output_size: Any) -> tuple[int, ...]:
        """``output_padding``, or the one that gives ``output_size`` (torch's rule)."""
        if output_size is None:
            return self.output_padding
        nd, lead = self._nd, x.ndim - self._nd
        size = list(output_size.shape if hasattr(output_size, "shape") and
                    not isinstance(output_size, tuple | list) else output_size)
        if len(size) == nd + lead:
            size = size[lead:]
        if len(size) != nd or not all(isinstance(n, int | np.integer) for n in size):
            raise ValueError(f"{type(self).__name__}: output_size must have {nd} or "
                             f"{nd + lead} ints for a {x.ndim}-D input; got {output_size!r}")
        smallest = [(n - 1) * s - 2 * p + d * (k - 1) + 1 for n, s, p, d, k in zip(
            x.shape[lead:], self.stride, self.padding, self.dilation, self.kernel_size)]
        largest = [m + s - 1 for m, s in zip(smallest, self.stride)]
        if any(not lo <= n <= hi for n, lo, hi in zip(size, smallest, largest)):
            raise ValueError(f"requested an output size of {tuple(size)}, but valid sizes "
                             f"range from {tuple(smallest)} to {tuple(largest)} (for an "
                             f"input of {tuple(x.shape[lead:])})")
        return tuple(int(n) - m for n, m in zip(size, smallest))

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        for name, default in (("padding", 0), ("dilation", 1), ("output_padding", 0)):
            if getattr(self, name) != (default,) * self._nd:
                text += f", {name}={getattr(self, name)}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.algorithm != "auto":
            text += f", algorithm={self.algorithm}"
        return text

    def get_config(self) -> dict[str, Any]:
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": self.kernel_size, "stride": self.stride,
                "padding": self.padding, "output_padding": self.output_padding,
                "groups": self.groups, "bias": self.bias is not None,
                "dilation": self.dilation, "padding_mode": self.padding_mode,
                "algorithm": self.algorithm, "dtype": str(self.weight.dtype)}


@builtin
class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution layer over (N, C_in, L), as ``torch.nn.ConvTranspose1d``;
    same parameters as :class:`ConvTranspose2d`, with ints or 1-tuples for the sizes.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> up = nn.ConvTranspose1d(4, 2, kernel_size=4, stride=2, padding=1, generator=0)
    >>> up(cl.tensor(np.zeros((3, 4, 20), np.float32))).shape
    (3, 2, 40)
    """

    _nd = 1


@builtin
class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution layer over (N, C_in, H, W), as ``torch.nn.ConvTranspose2d``.

    Parameters
    ----------
    in_channels, out_channels : int
        Must be divisible by ``groups``.
    kernel_size : int or tuple of 2 ints
    stride, dilation : int or tuple of 2 ints, default 1
    padding : int or tuple of 2 ints, default 0
        Pixels cropped from each side of the full output.
    output_padding : int or tuple of 2 ints, default 0
        Pixels added to the bottom/right of the output; smaller than stride or dilation.
    groups : int, default 1
    bias : bool, default True
    padding_mode : {"zeros"}, default "zeros"
        The only mode PyTorch supports for transposed convolutions.
    algorithm : str, default "auto"
        Passed to :func:`convlens.functional.conv_transpose2d`.
    dtype : {np.float32, np.float64}, default np.float32
    generator : numpy.random.Generator or int, optional
        Source of the initial weights.

    Notes
    -----
    ``weight`` is (in_channels, out_channels / groups, kH, kW) and ``bias`` (out_channels,),
    both U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with ``fan_in = out_channels / groups * kH * kW``
    (PyTorch computes it from the weight's second dim). ``forward(input, output_size=None)``:
    ``output_size`` ((H_out, W_out), or with N and C) picks the output_padding that gives
    that size, as in PyTorch. ``H_out = (H - 1) * stride[0] - 2 * padding[0] + dilation[0] *
    (kH - 1) + output_padding[0] + 1``.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> up = nn.ConvTranspose2d(8, 4, kernel_size=3, stride=2, padding=1)
    >>> up
    ConvTranspose2d(8, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))
    >>> x = cl.tensor(np.zeros((1, 8, 7, 7), np.float32))
    >>> up(x).shape, up(x, output_size=(14, 14)).shape
    ((1, 4, 13, 13), (1, 4, 14, 14))
    """

    _nd = 2


@builtin
class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution layer over (N, C_in, D, H, W), as
    ``torch.nn.ConvTranspose3d``; same parameters as :class:`ConvTranspose2d`, 3-tuples.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> up = nn.ConvTranspose3d(2, 1, kernel_size=2, stride=2, generator=0)
    >>> up(cl.tensor(np.zeros((1, 2, 3, 4, 5), np.float32))).shape
    (1, 1, 6, 8, 10)
    """

    _nd = 3
