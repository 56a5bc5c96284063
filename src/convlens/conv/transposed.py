"""Transposed convolution as the engines' ``grad_input``: geometry and the three passes.

A transposed convolution with weight ``w`` (C_in, C_out/G, *K) maps x (N, C_in, *S_in) to
the gradient, with respect to its input, of the convolution with the same ``w`` read as
(O, C/G, *K) = (C_in, C_out/G, *K) that maps (N, C_out, *S_out) to (N, C_in, *S_in).
So its forward is that convolution's ``grad_input``, the gradient with respect to ``x`` is
the convolution's ``forward`` of grad_output, and the gradient with respect to ``w`` is its
``grad_weight`` with the roles of input and grad_output swapped. No new engine is needed, and
:func:`convlens.conv.choose` decides as for any convolution.

Output size per spatial dim (PyTorch's formula)::

    S_out = (S_in - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1

The convolution runs with padding ``(padding, padding - output_padding + output_padding %
stride)`` so that its output has exactly ``S_in`` pixels. Where that high padding is negative,
the last ``-hi`` output pixels are ones no input reaches: the engines compute the rest and
those are zeros.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _validate
from .context import ConvContext
from .geometry import ConvSpec, check_allocation


@dataclass(frozen=True)
class TransposedGeometry:
    """The convolution whose ``grad_input`` a transposed convolution is.

    ``spec`` is that convolution's spec, ``conv_size`` the spatial size its input has (the
    part of the output the engines compute), ``out_size`` the full output size.
    """

    spec: ConvSpec
    conv_size: tuple[int, ...]
    out_size: tuple[int, ...]

    def conv_input_shape(self, batch: int, out_channels: int) -> tuple[int, ...]:
        return (batch, out_channels, *self.conv_size)

    @property
    def empty(self) -> bool:
        """Whether no input pixel reaches the output at all (then it is all zeros)."""
        return 0 in self.conv_size


def transposed_geometry(op: str, x_shape: tuple[int, ...], w_shape: tuple[int, ...],
                        stride: object, padding: object, output_padding: object,
                        groups: object, dilation: object, itemsize: int = 8
                        ) -> TransposedGeometry:
    """Validate the arguments of a batched transposed convolution and return its geometry."""
    nd = len(x_shape) - 2
    stride_t = _validate.int_tuple(stride, nd, "stride")
    dilation_t = _validate.int_tuple(dilation, nd, "dilation")
    padding_t = _validate.int_tuple(padding, nd, "padding", minimum=0)
    extra = _validate.int_tuple(output_padding, nd, "output_padding", minimum=0)
    groups = _validate.positive_int(groups, "groups")
    _check_channels(op, x_shape, w_shape, groups)
    if any(o >= s and o >= d for o, s, d in zip(extra, stride_t, dilation_t)):
        raise ValueError(f"{op}: output_padding must be smaller than either stride or "
                         f"dilation along each dim; got output_padding={extra}, "
                         f"stride={stride_t}, dilation={dilation_t}")
    in_size, kernel = tuple(x_shape[2:]), tuple(w_shape[2:])
    out_size = tuple((n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, s, p, d, k, o in
                     zip(in_size, stride_t, padding_t, dilation_t, kernel, extra))
    if any(n < 1 for n in out_size):
        raise ValueError(f"{op}: the output would be empty: input size {in_size}, kernel "
                         f"{kernel}, stride {stride_t}, padding {padding_t}, dilation "
                         f"{dilation_t} and output_padding {extra} give output size "
                         f"{out_size}; reduce padding")
    _check_output(op, x_shape, w_shape, groups, out_size, itemsize,
                  (stride_t, dilation_t, extra), (stride, dilation, output_padding))
    highs = tuple(p - o + o % s for p, o, s in zip(padding_t, extra, stride_t))
    spec = ConvSpec(stride_t, tuple((p, max(h, 0)) for p, h in zip(padding_t, highs)),
                    dilation_t, groups)
    conv_size = tuple(max(n + min(h, 0), 0) for n, h in zip(out_size, highs))
    return TransposedGeometry(spec, conv_size, out_size)


def _check_channels(op: str, x_shape, w_shape, groups: int) -> None:
    channels = x_shape[1]
    if w_shape[0] != channels:
        raise ValueError(f"{op} expects input with weight.shape[0] = {w_shape[0]} channels "
                         f"(weight of shape {tuple(w_shape)} is (C_in, C_out/groups, *kernel)); "
                         f"got {channels} channels in input of shape {tuple(x_shape)}")
    if channels % groups:
        raise ValueError(f"in_channels (={channels}) must be divisible by groups (={groups})")


def _check_output(op, x_shape, w_shape, groups, out_size, itemsize, values, given) -> None:
    """Refuse an output that cannot fit in memory, naming the argument that made it large."""
    terms = {"stride": max((n - 1) * s for n, s in zip(x_shape[2:], values[0])),
             "dilation": max(d * (k - 1) for d, k in zip(values[1], w_shape[2:])),
             "output_padding": max(values[2])}
    culprit = max(terms, key=terms.get)
    value = given[("stride", "dilation", "output_padding").index(culprit)]
    check_allocation(op, "the output", (x_shape[0], w_shape[1] * groups, *out_size), itemsize,
                     f"{culprit}={value!r}")


def _crop(a: np.ndarray, geometry: TransposedGeometry) -> np.ndarray:
    if tuple(a.shape[2:]) == geometry.conv_size:
        return a
    return np.ascontiguousarray(a[(..., *(slice(0, n) for n in geometry.conv_size))])


def forward(run, x: np.ndarray, w: np.ndarray, geometry: TransposedGeometry,
            ctx: ConvContext | None) -> np.ndarray:
    """(N, C_in, *S_in) -> (N, C_out, *S_out) with ``run`` the engine's ``grad_input``."""
    out_channels = w.shape[1] * geometry.spec.groups
    out = np.zeros((x.shape[0], out_channels, *geometry.out_size), dtype=x.dtype)
    if geometry.empty or x.size == 0 or w.size == 0:
        return out
    core = run(x, w, geometry.conv_input_shape(x.shape[0], out_channels), geometry.spec,
               ctx=ctx)
    if core.shape == out.shape:
        return core
    out[(..., *(slice(0, n) for n in geometry.conv_size))] = core
    return out


def grad_input(run, grad_output: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...],
               geometry: TransposedGeometry, ctx: ConvContext | None) -> np.ndarray:
    """d loss / d x: the convolution's ``forward`` (``run``) of grad_output."""
    if geometry.empty or grad_output.size == 0:
        return np.zeros(x_shape, dtype=grad_output.dtype)
    return run(_crop(grad_output, geometry), w, geometry.spec, ctx=ctx)


def grad_weight(run, grad_output: np.ndarray, x: np.ndarray, w_shape: tuple[int, ...],
                geometry: TransposedGeometry, ctx: ConvContext | None) -> np.ndarray:
    """d loss / d w: the convolution's ``grad_weight`` (``run``), x in grad_output's place."""
    if geometry.empty or grad_output.size == 0 or x.size == 0:
        return np.zeros(w_shape, dtype=x.dtype)
    return run(x, _crop(grad_output, geometry), w_shape, geometry.spec, ctx=ctx)
