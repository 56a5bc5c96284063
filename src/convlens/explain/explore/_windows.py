"""What the page needs to redo a conv or pool layer's arithmetic: kernels, bias and the padded
input, all float32, so that the dot product it shows sums to the value the layer computed.

Padding is applied here, with the layer's own mode (zeros, reflect, replicate, circular; -inf
ahead of a max pool), so the page only ever slides a window over a ready-made array.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _validate, nn
from ...conv import geometry as conv_geometry
from ...conv import padding as conv_padding
from ...nn.conv import _ConvNd
from ...nn.pooling import _AvgPoolNd, _MaxPoolNd
from ._arrays import as_maps, packed, spatial_pair
from ._graph import Node


def _hi_pads(in_size: tuple[int, ...], out_size: tuple[int, ...], lows: tuple[int, ...],
             kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]
             ) -> tuple[int, ...]:
    """High padding that lets every output's window fit (ceil_mode can reach past the end)."""
    return tuple(max(0, (o - 1) * s + d * (k - 1) + 1 - (n + lo))
                 for n, o, lo, k, s, d in zip(in_size, out_size, lows, kernel, stride, dilation))


def conv_op(node: Node, nd: int, shown: int) -> dict[str, Any]:
    """Kernels of the first ``shown`` filters, the bias and the padded input of a conv call."""
    module: _ConvNd = node.module
    x = node.sources[0]
    pairs = conv_geometry.resolve_padding(module.padding, x.shape[2:], module.kernel_size,
                                          module.stride, module.dilation)
    lows = tuple(lo for lo, _ in pairs)
    mode = module.padding_mode
    padded = conv_padding.pad(x, tuple(pairs), mode)
    weight = module.weight._data[:shown]
    if nd == 1:
        weight = weight[:, :, None, :]
    bias = None if module.bias is None else packed(module.bias._data[:shown], "float32")
    return {"op": "conv", "weight": packed(weight, "float32"), "bias": bias,
            "stride": spatial_pair(module.stride, nd, 1),
            "dilation": spatial_pair(module.dilation, nd, 1),
            "pad": spatial_pair(lows, nd, 0), "groups": module.groups,
            "padding_mode": mode, "x": packed(as_maps(padded, nd), "float32")}


def pool_op(node: Node, nd: int, shown: int) -> dict[str, Any]:
    """Window sizes and the padded input of a max or average pool call (first ``shown``
    channels)."""
    module = node.module
    kernel = _validate.int_tuple(module.kernel_size, nd, "kernel_size")
    stride = _validate.int_tuple(module.stride, nd, "stride")
    lows = _validate.int_tuple(module.padding, nd, "padding", minimum=0)
    dilation = _validate.int_tuple(getattr(module, "dilation", 1), nd, "dilation")
    x = node.sources[0][:, :shown]
    highs = _hi_pads(x.shape[2:], node.output.shape[2:], lows, kernel, stride, dilation)
    is_max = isinstance(module, _MaxPoolNd)
    padded = conv_padding.pad(x, tuple(zip(lows, highs)), "zeros",
                              value=-np.inf if is_max else 0.0)
    return {"op": "maxpool" if is_max else "avgpool", "kernel": spatial_pair(kernel, nd, 1),
            "stride": spatial_pair(stride, nd, 1), "dilation": spatial_pair(dilation, nd, 1),
            "pad": spatial_pair(lows, nd, 0), "in_size": spatial_pair(x.shape[2:], nd, 1),
            "count_include_pad": bool(getattr(module, "count_include_pad", True)),
            "x": packed(as_maps(padded, nd), "float32")}


def window_op(node: Node, nd: int, shown: int) -> dict[str, Any] | None:
    """The arithmetic of ``node`` for the page, or None for layers it does not redo."""
    if node.module is None or len(node.sources) != 1 or node.sources[0].ndim != nd + 2:
        return None
    # Conv1d/Conv2d only: a transposed conv (if a subclass of _ConvNd) slides differently.
    if isinstance(node.module, nn.Conv1d | nn.Conv2d) and node.module._nd == nd:
        return conv_op(node, nd, shown)
    if isinstance(node.module, _MaxPoolNd | _AvgPoolNd) and node.module._nd == nd:
        return pool_op(node, nd, shown)
    return None
