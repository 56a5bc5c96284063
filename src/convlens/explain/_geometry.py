"""Receptive-field geometry of one layer: how its output grid sits on the input's pixels.

Every layer with a spatial output carries, per spatial axis, three numbers (Araujo, Norris and
Sim, "Computing Receptive Fields of Convolutional Neural Networks", Distill 2019):

- ``size``: how many input pixels one output unit sees;
- ``jump``: how far apart, in input pixels, two neighbouring output units are (the product of
  all strides so far, the cumulative stride);
- ``start``: the input coordinate of the centre of the first output unit's field.

A window layer (conv or pool) with kernel ``k``, stride ``s``, low padding ``p`` and dilation
``d`` (effective kernel ``k' = d (k - 1) + 1``) maps them as::

    size_out  = size_in + (k' - 1) * jump_in
    jump_out  = jump_in * s
    start_out = start_in + ((k' - 1) / 2 - p) * jump_in
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import nn
from ..conv import geometry as conv_geometry
from ..functional._pool_common import window_args
from ..nn.conv import _ConvNd
from ..nn.pooling import _AdaptiveAvgPoolNd, _AvgPoolNd, _MaxPoolNd

# Layers that act on each position separately: the output grid is the input grid.
POINTWISE = (nn.ReLU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.Dropout, nn.BatchNorm1d,
             nn.BatchNorm2d, nn.Identity)


@dataclass(frozen=True)
class Geometry:
    """Receptive field ``size``, ``jump`` (cumulative stride) and ``start``, per spatial axis."""

    size: tuple[int, ...]
    jump: tuple[int, ...]
    start: tuple[float, ...]

    @classmethod
    def identity(cls, nd: int) -> Geometry:
        """The input itself: each pixel sees one pixel, neighbours one pixel apart."""
        return cls((1,) * nd, (1,) * nd, (0.0,) * nd)

    def window(self, kernel: tuple[int, ...], stride: tuple[int, ...], low: tuple[int, ...],
               dilation: tuple[int, ...]) -> Geometry:
        """The geometry after a conv or pool window (see the module docstring)."""
        span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
        return Geometry(
            tuple(r + (e - 1) * j for r, e, j in zip(self.size, span, self.jump)),
            tuple(j * s for j, s in zip(self.jump, stride)),
            tuple(st + ((e - 1) / 2 - p) * j
                  for st, e, p, j in zip(self.start, span, low, self.jump)),
        )


def _conv(module: _ConvNd, g: Geometry, in_size: tuple[int, ...]) -> Geometry:
    pairs = conv_geometry.resolve_padding(module.padding, in_size, module.kernel_size,
                                          module.stride, module.dilation)
    return g.window(module.kernel_size, module.stride, tuple(lo for lo, _ in pairs),
                    module.dilation)


def _pool(module: _MaxPoolNd | _AvgPoolNd, g: Geometry) -> Geometry:
    """The pool's window as the pool itself reads its arguments: per-side (low, high) padding
    pairs (only the low side moves the centres), ``stride=None`` meaning the kernel size."""
    kernel, stride, pairs, dilation = window_args(
        type(module).__name__, len(g.size), module.kernel_size, module.stride, module.padding,
        getattr(module, "dilation", 1))
    return g.window(kernel, stride, tuple(lo for lo, _ in pairs), dilation)


def _adaptive(g: Geometry, in_size: tuple[int, ...], out_size: tuple[int, ...]
              ) -> Geometry | None:
    # Adaptive pooling is a plain pool when the bins tile the input evenly; otherwise its
    # windows differ in size and no single (size, jump) describes them.
    if any(n % m for n, m in zip(in_size, out_size)):
        return None
    kernel = tuple(n // m for n, m in zip(in_size, out_size))
    return g.window(kernel, kernel, (0,) * len(kernel), (1,) * len(kernel))


def layer_geometry(module: nn.Module, g: Geometry | None, in_size: tuple[int, ...],
                   out_size: tuple[int, ...]) -> Geometry | None:
    """The output geometry of leaf ``module`` given its input's, or None when unknown.

    ``in_size`` and ``out_size`` are the spatial sizes of the input and output (no batch or
    channel axes).
    """
    if g is None or len(out_size) != len(g.size):
        return None
    if isinstance(module, _ConvNd):
        return _conv(module, g, in_size)
    if isinstance(module, _MaxPoolNd | _AvgPoolNd):
        return _pool(module, g)
    if isinstance(module, _AdaptiveAvgPoolNd):
        return _adaptive(g, in_size, out_size)
    if isinstance(module, POINTWISE) and in_size == out_size:
        return g
    if isinstance(module, nn.Softmax) and module.dim == 1 and in_size == out_size:
        return g
    return None
