"""How each supported ONNX operator becomes convlens layers: one rule per op type.

A rule reads the node's attributes and constant inputs and adds steps to the
:class:`~convlens.interop.onnx_import.Builder` (a stock layer where one exists: ``Conv2d``,
``BatchNorm2d``, ``Linear``, ...). Attribute names and defaults follow the ONNX operator
specs (https://onnx.ai/onnx/operators/).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .. import nn
from . import layers
from .errors import UnsupportedError
from .onnx_window import AUTO_PADS, OnnxConv, OnnxPool

if TYPE_CHECKING:
    from .onnx_import import Builder, Node

RULES: dict[str, Callable[[Builder, Node], None]] = {}


def op(*names: str):
    def wrap(fn):
        for name in names:
            RULES[name] = fn
        return fn

    return wrap


def _unsupported(node: Node, why: str) -> UnsupportedError:
    return UnsupportedError(f"ONNX {node.op_type} node {node.name!r}: {why}")


def _float(array: np.ndarray) -> np.ndarray:
    return array.astype(np.float64 if array.dtype == np.float64 else np.float32)


def _pairs(node: Node, nd: int) -> list[tuple[int, int]]:
    pads = list(node.attrs.get("pads", [0] * 2 * nd))
    if len(pads) != 2 * nd or any(p < 0 for p in pads):
        raise _unsupported(node, f"pads must be {2 * nd} non-negative ints; got {pads}")
    return list(zip(pads[:nd], pads[nd:]))


def _auto_pad(b: Builder, node: Node, x: str, kernel, stride, dilation, value: float) -> tuple:
    """Handle auto_pad: returns (input value, pairs) with SAME_* turned into a SamePad step."""
    mode = _auto_mode(node)
    nd = len(kernel)
    if mode == "NOTSET":
        return x, _pairs(node, nd)
    if mode == "VALID":
        return x, [(0, 0)] * nd
    if mode not in ("SAME_UPPER", "SAME_LOWER"):
        raise _unsupported(node, f"unknown auto_pad {mode!r}")
    pad = layers.SamePad(kernel, stride, dilation, lower=mode == "SAME_LOWER", value=value)
    return b.add(pad, node, [x], suffix="pad"), [(0, 0)] * nd


def _window(node: Node, kernel_key: str, nd: int) -> tuple[list, list, list]:
    kernel = list(node.attrs[kernel_key])
    stride = list(node.attrs.get("strides", [1] * nd))
    dilation = list(node.attrs.get("dilations", [1] * nd))
    if nd not in (1, 2, 3) or len(kernel) != nd or len(stride) != nd or len(dilation) != nd:
        raise _unsupported(node, f"convlens supports 1-D to 3-D windows; got kernel {kernel}, "
                                 f"strides {stride}, dilations {dilation}")
    if min(kernel + stride + dilation) < 1:
        raise _unsupported(node, "kernel_shape, strides and dilations must be positive")
    return kernel, stride, dilation


def _torch_padding(pairs: list[tuple[int, int]]):
    return tuple(lo for lo, _ in pairs) if all(lo == hi for lo, hi in pairs) else tuple(pairs)


def _auto_mode(node: Node) -> str:
    mode = node.attrs.get("auto_pad", b"NOTSET")
    return mode.decode("utf-8", "replace") if isinstance(mode, bytes) else str(mode)


def _computed_conv(b: Builder, node: Node) -> None:
    """Conv whose weight or bias the graph computes: ``F.conv*d`` with tensor weights."""
    nd = len(node.attrs["kernel_shape"]) if "kernel_shape" in node.attrs else None
    pads = node.attrs.get("pads")
    if pads is not None and nd is None:
        nd = len(pads) // 2
    layer = OnnxConv(node.attrs.get("strides", ()), _pairs(node, nd) if pads else (),
                     node.attrs.get("dilations", ()), int(node.attrs.get("group", 1)),
                     _auto_mode(node))
    b.add(layer, node, [name for name in node.inputs[:3] if name])


@op("Conv")
def _conv(b: Builder, node: Node) -> None:
    if b.constant(b.input(node, 1)) is None or (
            b.input(node, 2) and b.constant(b.input(node, 2)) is None):
        _computed_conv(b, node)
        return
    weight = _float(b.constant_input(node, 1, "the weight"))
    bias = b.constant_input(node, 2, "the bias", optional=True)
    nd = weight.ndim - 2
    node.attrs.setdefault("kernel_shape", list(weight.shape[2:]))
    kernel, stride, dilation = _window(node, "kernel_shape", nd)
    if list(kernel) != list(weight.shape[2:]):  # the weight is the truth; never allocate more
        raise _unsupported(node, f"kernel_shape {list(kernel)} does not match the weight's "
                                 f"shape {list(weight.shape)}")
    if bias is not None and bias.size != weight.shape[0]:
        raise _unsupported(node, f"the bias has {bias.size} values for {weight.shape[0]} "
                                 "filters")
    group = int(node.attrs.get("group", 1))
    if group < 1 or weight.shape[0] % group:
        raise _unsupported(node, f"group (={group}) must divide the {weight.shape[0]} filters")
    if _auto_mode(node) == "SAME_UPPER":  # convlens's "same" is SAME_UPPER at any stride
        x, padding = node.inputs[0], "same"
    else:
        x, pairs = _auto_pad(b, node, node.inputs[0], kernel, stride, dilation, 0.0)
        padding = _torch_padding(pairs)
    cls = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[nd - 1]
    conv = cls(weight.shape[1] * group, weight.shape[0], kernel, stride, padding, dilation,
               group, bias is not None, dtype=weight.dtype, generator=0)
    conv.weight.data = weight
    if bias is not None:
        conv.bias.data = bias.astype(weight.dtype).reshape(-1)
    b.add(conv, node, [x])


def _stock_pool(node: Node, nd: int, kernel, stride, dilation, pairs) -> nn.Module | None:
    """A stock pooling layer when one computes exactly what ONNX asks, else None."""
    if nd not in (1, 2, 3) or any(lo != hi or lo > k // 2 for (lo, hi), k in zip(pairs, kernel)):
        return None
    ceil, padding = bool(node.attrs.get("ceil_mode", 0)), tuple(lo for lo, _ in pairs)
    if node.op_type == "MaxPool":
        cls = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)[nd - 1]
        return cls(tuple(kernel), tuple(stride), padding, tuple(dilation), ceil_mode=ceil)
    include_pad = bool(node.attrs.get("count_include_pad", 0))
    if any(d != 1 for d in dilation) or (ceil and not include_pad and any(padding)):
        return None
    cls = (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)[nd - 1]
    return cls(tuple(kernel), tuple(stride), padding, ceil, include_pad)


@op("MaxPool", "AveragePool")
def _pool(b: Builder, node: Node) -> None:
    indices = len(node.outputs) > 1 and node.outputs[1]
    nd = len(node.attrs.get("kernel_shape", ()))
    kernel, stride, dilation = _window(node, "kernel_shape", nd)
    mode = _auto_mode(node)
    if mode not in AUTO_PADS:
        raise _unsupported(node, f"unknown auto_pad {mode!r}")
    pairs = _pairs(node, nd) if mode == "NOTSET" else [(0, 0)] * nd
    layer = _stock_pool(node, nd, kernel, stride, dilation, pairs) if mode in (
        "NOTSET", "VALID") else None
    if layer is None:
        layer = OnnxPool("max" if node.op_type == "MaxPool" else "avg", kernel, stride, pairs,
                         dilation, mode, bool(node.attrs.get("ceil_mode", 0)),
                         bool(node.attrs.get("count_include_pad", 0)))
    b.add(layer, node, node.inputs[:1])
    if indices:  # a second step computes the Indices output
        from .onnx_import import Node  # noqa: PLC0415 - onnx_import imports this module

        layer = OnnxPool("argmax", kernel, stride, pairs, dilation, mode,
                         bool(node.attrs.get("ceil_mode", 0)),
                         column_major=bool(node.attrs.get("storage_order", 0)))
        b.add(layer, Node(node.op_type, f"{node.name}_indices", node.inputs[:1],
                          node.outputs[1:2]), node.inputs[:1])


@op("GlobalAveragePool", "GlobalMaxPool")
def _global_pool(b: Builder, node: Node) -> None:
    if node.op_type == "GlobalMaxPool":
        b.add(layers.GlobalMaxPool(), node, node.inputs[:1])
    elif b.rank(node.inputs[0]) == 3:
        b.add(nn.AdaptiveAvgPool1d(1), node, node.inputs[:1])
    elif b.rank(node.inputs[0]) in (4, None):
        b.add(nn.AdaptiveAvgPool2d(1), node, node.inputs[:1])
    elif b.rank(node.inputs[0]) == 5:
        b.add(nn.AdaptiveAvgPool3d(1), node, node.inputs[:1])
    else:
        raise _unsupported(node, "convlens pools 3-D to 5-D inputs only")


def _linear(weight: np.ndarray, bias: np.ndarray | None) -> nn.Linear:
    layer = nn.Linear(weight.shape[1], weight.shape[0], bias is not None, dtype=weight.dtype,
                      generator=0)
    layer.weight.data = np.ascontiguousarray(weight)
    if bias is not None:
        layer.bias.data = bias
    return layer


def _linear_bias(weight: np.ndarray | None, c_name: str, c: np.ndarray | None,
                 trans_b: bool) -> bool:
    """Whether Gemm's B and C are constants that fit ``nn.Linear`` (C one value per output)."""
    if weight is None or weight.ndim != 2:
        return False
    outputs = weight.shape[0 if trans_b else 1]
    return not c_name or (c is not None and c.size in (1, outputs) and (
        c.ndim < 2 or (c.ndim == 2 and c.shape[0] == 1)))


@op("Gemm")
def _gemm(b: Builder, node: Node) -> None:
    alpha, beta = float(node.attrs.get("alpha", 1.0)), float(node.attrs.get("beta", 1.0))
    trans_a, trans_b = bool(node.attrs.get("transA", 0)), bool(node.attrs.get("transB", 0))
    weight, c_name = b.constant(node.inputs[1]), b.input(node, 2)
    c = b.constant(c_name) if c_name else None
    if not _linear_bias(weight, c_name, c, trans_b):
        b.add(layers.Gemm(alpha, beta, trans_a, trans_b), node,
              [name for name in node.inputs if name])
        return
    weight = _float(weight)
    with np.errstate(over="ignore", invalid="ignore"):  # a huge alpha gives inf, as ORT's
        weight = (weight if trans_b else weight.T) * weight.dtype.type(alpha)
        bias = None
        if c is not None:
            bias = np.broadcast_to(_float(c).reshape(-1) * beta, weight.shape[:1]).astype(
                weight.dtype)
    x = node.inputs[0]
    if trans_a:
        x = b.add(layers.Permute((1, 0)), node, [x], suffix="transpose")
    b.add(_linear(weight, bias), node, [x])


@op("MatMul")
def _matmul(b: Builder, node: Node) -> None:
    weight = b.constant(node.inputs[1])
    if weight is not None and weight.ndim == 2 and b.constant(node.inputs[0]) is None:
        b.add(_linear(_float(weight).T, None), node, node.inputs[:1])
    else:
        b.add(layers.MatMul(), node, node.inputs[:2])


@op("Add", "Sum")
def _add(b: Builder, node: Node) -> None:
    b.add(layers.Add(), node, [name for name in node.inputs if name])


@op("Mul")
def _mul(b: Builder, node: Node) -> None:
    b.add(layers.Mul(), node, node.inputs[:2])


@op("Concat")
def _concat(b: Builder, node: Node) -> None:
    b.add(layers.Cat(int(node.attrs["axis"])), node, [name for name in node.inputs if name])


def _simple(factory):
    def rule(b: Builder, node: Node) -> None:
        b.add(factory(node), node, node.inputs[:1])

    return rule


for _name, _factory in (
        ("Relu", lambda node: nn.ReLU()), ("Sigmoid", lambda node: nn.Sigmoid()),
        ("Tanh", lambda node: nn.Tanh()), ("Identity", lambda node: nn.Identity()),
        ("LeakyRelu", lambda node: nn.LeakyReLU(float(node.attrs.get("alpha", 0.01)))),
        ("LRN", lambda node: layers.LRN(int(node.attrs["size"]),
                                        float(node.attrs.get("alpha", 1e-4)),
                                        float(node.attrs.get("beta", 0.75)),
                                        float(node.attrs.get("bias", 1.0))))):
    op(_name)(_simple(_factory))


def _axis(b: Builder, node: Node, default: int) -> int:
    axis = int(node.attrs.get("axis", default))
    rank = b.rank(node.inputs[0])
    if axis < 0 and rank is not None:
        axis += rank
    return axis


@op("Softmax")
def _softmax(b: Builder, node: Node) -> None:
    if b.opset >= 13:
        layer = nn.Softmax(dim=int(node.attrs.get("axis", -1)))
    else:  # before opset 13 Softmax flattened every dim from axis on
        axis, rank = _axis(b, node, 1), b.rank(node.inputs[0])
        if rank is not None and axis == rank - 1:
            layer = nn.Softmax(dim=-1)
        elif axis < 0:
            raise _unsupported(node, "a negative axis needs the input's rank, which is unknown")
        else:
            layer = layers.FlatSoftmax(axis)
    b.add(layer, node, node.inputs[:1])


@op("Flatten")
def _flatten(b: Builder, node: Node) -> None:
    axis = _axis(b, node, 1)
    layer = nn.Flatten() if axis == 1 else layers.FlattenTo2d(axis)
    b.add(layer, node, node.inputs[:1], rank=2)


@op("Reshape")
def _reshape(b: Builder, node: Node) -> None:
    shape = b.constant_input(node, 1, "the target shape").astype(np.int64).reshape(-1)
    b.add(layers.Reshape(shape.tolist(), bool(node.attrs.get("allowzero", 0))), node,
          node.inputs[:1], rank=len(shape))


@op("Transpose")
def _transpose(b: Builder, node: Node) -> None:
    rank = b.rank(node.inputs[0])
    perm = node.attrs.get("perm")
    if perm is None:
        if rank is None:
            raise _unsupported(node, "Transpose without perm needs the input's rank")
        perm = list(range(rank))[::-1]
    b.add(layers.Permute(perm), node, node.inputs[:1])


@op("BatchNormalization")
def _batch_norm(b: Builder, node: Node) -> None:
    if node.attrs.get("training_mode", 0) or len([o for o in node.outputs if o]) > 1:
        raise _unsupported(node, "only inference-mode BatchNormalization is supported")
    if node.attrs.get("spatial", 1) != 1:
        raise _unsupported(node, "spatial=0 is not supported")
    scale, shift, mean, var = (_float(b.constant_input(node, i, what)) for i, what in
                               ((1, "scale"), (2, "B"), (3, "mean"), (4, "var")))
    if scale.ndim != 1 or any(v.shape != scale.shape for v in (shift, mean, var)):
        raise _unsupported(node, f"scale, B, mean and var must be 1-D and the same length; "
                                 f"got shapes {[list(v.shape) for v in (scale, shift, mean, var)]}")
    rank = b.rank(node.inputs[0])
    if rank not in (2, 3, 4):
        raise _unsupported(node, f"convlens batch-normalises 2-D, 3-D and 4-D inputs; the "
                                 f"input rank is {rank}")
    cls = nn.BatchNorm2d if rank == 4 else nn.BatchNorm1d
    momentum = 1.0 - float(node.attrs.get("momentum", 0.9))  # ONNX weights the old value
    layer = cls(scale.shape[0], float(node.attrs.get("epsilon", 1e-5)),
                min(max(momentum, 0.0), 1.0), dtype=scale.dtype)
    layer.weight.data, layer.bias.data = scale, shift.astype(scale.dtype)
    layer.running_mean.data, layer.running_var.data = mean.astype(scale.dtype), var.astype(
        scale.dtype)
    b.add(layer, node, node.inputs[:1])


@op("Dropout")
def _dropout(b: Builder, node: Node) -> None:
    if len(node.outputs) > 1 and node.outputs[1]:
        raise _unsupported(node, "the mask output is not supported")
    ratio = node.attrs.get("ratio", 0.5)
    if b.input(node, 1):
        ratio = float(b.constant_input(node, 1, "the ratio"))
    b.add(nn.Dropout(min(max(float(ratio), 0.0), 1.0)), node, node.inputs[:1])


@op("Constant")
def _constant(b: Builder, node: Node) -> None:
    attrs = node.attrs
    for key, dtype in (("value", None), ("value_float", np.float32),
                       ("value_floats", np.float32), ("value_int", np.int64),
                       ("value_ints", np.int64)):
        if key in attrs:
            b.fold(node.outputs[0], np.array(attrs[key], dtype))
            return
    raise _unsupported(node, f"a Constant needs value, value_float(s) or value_int(s); got "
                             f"{sorted(attrs)}")


@op("Pad")
def _pad(b: Builder, node: Node) -> None:
    mode = node.attrs.get("mode", b"constant")
    mode = mode.decode("utf-8", "replace") if isinstance(mode, bytes) else str(mode)
    if mode not in layers.PAD_MODES:
        raise _unsupported(node, f"unknown mode {mode!r}")
    if b.opset < 11:
        pads, value = list(node.attrs.get("pads", [])), float(node.attrs.get("value", 0.0))
    else:
        pads = b.constant_input(node, 1, "pads").astype(np.int64).reshape(-1).tolist()
        fill = b.constant_input(node, 2, "constant_value", optional=True)
        value = 0.0 if fill is None or fill.size == 0 else float(fill.reshape(-1)[0])
    rank = b.rank(node.inputs[0])
    axes = b.constant_input(node, 3, "axes", optional=True)
    count = rank if axes is None else axes.size
    if count is None or len(pads) != 2 * count or min(pads, default=0) < 0:
        raise _unsupported(node, f"pads must hold 2 * rank non-negative ints for an input of "
                                 f"known rank; got {pads} (rank {rank})")
    pairs = list(zip(pads[:count], pads[count:]))
    if axes is not None:
        if rank is None:
            raise _unsupported(node, "Pad with axes needs the input's rank")
        full = [(0, 0)] * rank
        for axis, pair in zip(axes.reshape(-1).tolist(), pairs):
            full[int(axis) % rank] = pair
        pairs = full
    b.add(layers.Pad(pairs, mode, value), node, node.inputs[:1])
# Rules in other modules register themselves here (they import ``op`` from this module).
from . import onnx_ops_activation, onnx_ops_more, onnx_ops_resize  # noqa: E402, F401, I001
from . import onnx_ops_stock  # noqa: E402, F401, I001 - after the rules it wraps
