"""Import rules for ConvTranspose, and for Reshape and Pad on computed shapes and pads.

Registered into :data:`convlens.interop.onnx_ops.RULES` when that module loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import nn
from .layers import PAD_MODES
from .layers_dynamic import DynamicPad, DynamicReshape, KeepMask
from .onnx_ops import RULES, _auto_mode, _float, _pairs, _unsupported, op
from .onnx_window import OnnxConvTranspose

if TYPE_CHECKING:
    from .onnx_import import Builder, Node

_STOCK_TRANSPOSES = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


def _stock_transpose(b: Builder, node: Node) -> nn.Module | None:
    """A stock ``nn.ConvTranspose*d`` holding the constant weight, when it computes what
    ONNX asks (symmetric pads, no auto_pad or output_shape), else None."""
    weight, bias_name = b.constant(b.input(node, 1)), b.input(node, 2)
    bias = b.constant(bias_name)
    if weight is None or (bias_name and bias is None) or not 3 <= weight.ndim <= 5 or \
            _auto_mode(node) != "NOTSET" or "output_shape" in node.attrs:
        return None
    nd, weight = weight.ndim - 2, _float(weight)
    pairs = _pairs(node, nd)
    if any(lo != hi for lo, hi in pairs):
        return None
    kernel = list(node.attrs.get("kernel_shape", weight.shape[2:]))
    if kernel != list(weight.shape[2:]):
        raise _unsupported(node, f"kernel_shape {kernel} does not match the weight's shape "
                                 f"{list(weight.shape)}")
    group = int(node.attrs.get("group", 1))
    if bias is not None and bias.size != weight.shape[1] * group:
        raise _unsupported(node, f"the bias has {bias.size} values for "
                                 f"{weight.shape[1] * group} output channels")
    layer = _STOCK_TRANSPOSES[nd - 1](
        weight.shape[0], weight.shape[1] * group, tuple(kernel),
        tuple(node.attrs.get("strides", [1] * nd)), tuple(lo for lo, _ in pairs),
        tuple(node.attrs.get("output_padding", [0] * nd)), group, bias is not None,
        tuple(node.attrs.get("dilations", [1] * nd)), dtype=weight.dtype, generator=0)
    layer.weight.data = weight
    if bias is not None:
        layer.bias.data = bias.astype(weight.dtype).reshape(-1)
    return layer


@op("ConvTranspose")
def _conv_transpose(b: Builder, node: Node) -> None:
    layer = _stock_transpose(b, node)
    if layer is not None:
        b.add(layer, node, node.inputs[:1])
        return
    nd = None
    if "kernel_shape" in node.attrs:
        nd = len(node.attrs["kernel_shape"])
    pads = node.attrs.get("pads")
    layer = OnnxConvTranspose(
        node.attrs.get("strides", ()), _pairs(node, len(pads) // 2 if nd is None else nd)
        if pads else (), node.attrs.get("dilations", ()), int(node.attrs.get("group", 1)),
        _auto_mode(node), node.attrs.get("output_padding", ()),
        node.attrs.get("output_shape", ()))
    b.add(layer, node, [name for name in node.inputs[:3] if name])


_constant_reshape, _constant_pad = RULES["Reshape"], RULES["Pad"]


@op("Reshape")
def _reshape(b: Builder, node: Node) -> None:
    """A constant target shape makes ``layers.Reshape``; a computed one ``DynamicReshape``."""
    if b.constant(b.input(node, 1)) is not None:
        _constant_reshape(b, node)
        return
    b.add(DynamicReshape(bool(node.attrs.get("allowzero", 0))), node, node.inputs[:2],
          rank=None)


@op("Pad")
def _pad(b: Builder, node: Node) -> None:
    """Constant pads make ``layers.Pad``; computed ones (opset 11+) ``DynamicPad``."""
    optional = [b.input(node, 2), b.input(node, 3)]
    if b.opset < 11 or all(b.constant(name) is not None
                           for name in [b.input(node, 1)] + [n for n in optional if n]):
        _constant_pad(b, node)
        return
    mode = node.attrs.get("mode", b"constant")
    mode = mode.decode("utf-8", "replace") if isinstance(mode, bytes) else str(mode)
    if mode not in PAD_MODES:
        raise _unsupported(node, f"unknown mode {mode!r}")
    names = [key for key, name in zip(("value", "axes"), optional) if name]
    b.add(DynamicPad(mode, tuple(names)), node,
          [node.inputs[0], node.inputs[1], *(name for name in optional if name)])


@op("Dropout")
def _dropout(b: Builder, node: Node) -> None:
    """Inference Dropout; a computed ratio (ignored outside training) keeps p=0.5; the mask
    output, if asked for, is all True."""
    mode = b.constant(b.input(node, 2))
    if b.input(node, 2) and (mode is None or mode.reshape(-1)[:1].any()):
        raise _unsupported(node, "training_mode must be a constant false; convlens imports "
                                 "for inference")
    ratio = b.constant(b.input(node, 1))
    ratio = float(node.attrs.get("ratio", 0.5)) if ratio is None else float(ratio)
    b.add(nn.Dropout(min(max(ratio, 0.0), 1.0)), node, node.inputs[:1])
    if len(node.outputs) > 1 and node.outputs[1]:
        from .onnx_import import Node  # noqa: PLC0415 - onnx_import imports this module

        mask = Node(node.op_type, f"{node.name}_mask", node.inputs[:1], node.outputs[1:2])
        b.add(KeepMask(), mask, node.inputs[:1])
