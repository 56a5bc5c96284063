"""The ONNX rule of each convlens layer: ``rule(exporter, module, inputs, path) -> Value``.

Leaf rules run the layer on the probe to get the output (and so its shape); container rules
export their children, whose probes flow through. Attribute names and defaults are ONNX's
(https://onnx.ai/onnx/operators/).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import _validate, nn
from ..conv import geometry
from . import layers
from .errors import UnsupportedError
from .graph import Graph
from .onnx_export import Exporter, Value

Rule = Callable[[Exporter, nn.Module, list, str], Value]
RULES: dict[type, Rule] = {}
_INT64_MAX = 2**63 - 1


def rule(*types: type) -> Callable[[Rule], Rule]:
    def wrap(fn: Rule) -> Rule:
        for cls in types:
            RULES[cls] = fn
        return fn

    return wrap


def rule_for(module: nn.Module) -> Rule | None:
    return RULES.get(type(module))


def _leaf(ex: Exporter, module: nn.Module, inputs: list[Value], op: str, path: str,
          extra: list[str] = (), **attributes) -> Value:
    probe = module(*(v.probe for v in inputs))
    return Value(ex.node(op, [v.name for v in inputs] + list(extra), path, **attributes), probe)


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# -- containers --------------------------------------------------------------------------
@rule(nn.Sequential)
def _sequential(ex: Exporter, module: nn.Sequential, inputs: list[Value], path: str) -> Value:
    for name, child in module._modules.items():
        inputs = [ex.export(child, inputs, _child(path, name))]
    return inputs[0]


@rule(nn.Residual)
def _residual(ex: Exporter, module: nn.Residual, inputs: list[Value], path: str) -> Value:
    body = ex.export(module.body, inputs, _child(path, "body"))
    skip = inputs[0] if module.shortcut is None else ex.export(
        module.shortcut, inputs, _child(path, "shortcut"))
    if body.shape != skip.shape:
        raise ValueError(f"Residual at {path!r}: body output {body.shape} and shortcut "
                         f"{skip.shape} differ in shape")
    return Value(ex.node("Add", [body.name, skip.name], path), body.probe + skip.probe)


@rule(nn.Concat)
def _concat(ex: Exporter, module: nn.Concat, inputs: list[Value], path: str) -> Value:
    outs = [ex.export(branch, inputs, _child(path, name))
            for name, branch in module._modules.items()]
    cat = layers.Cat(module.dim)
    return _leaf(ex, cat, outs, "Concat", path, axis=module.dim)


@rule(Graph)
def _graph(ex: Exporter, module: Graph, inputs: list[Value], path: str) -> Value:
    if len(inputs) != len(module.inputs) or len(module.outputs) != 1:
        raise UnsupportedError("to_onnx exports a Graph with one input and one output")
    values = dict(zip(module.inputs, inputs))
    for layer, reads, writes in module.steps:
        values[writes] = ex.export(module._modules[layer], [values[n] for n in reads],
                                   _child(path, layer))
    return values[module.outputs[0]]


# -- convolution and pooling ---------------------------------------------------------------
def _pad_node(ex: Exporter, x: Value, pairs: tuple, mode: str, path: str) -> str:
    """Explicit padding of the spatial axes in a mode ONNX Conv lacks."""
    if mode == "circular" and ex.opset < 19:  # Pad's "wrap" mode arrived in opset 19
        name, rank = x.name, len(x.shape)
        for axis, (lo, hi) in enumerate(pairs, start=rank - len(pairs)):
            parts = [ex.node("Slice", [name, ex.ints("start", [-lo]), ex.ints("end", [_INT64_MAX]),
                                       ex.ints("axes", [axis])], path)] if lo else []
            parts.append(name)
            if hi:
                parts.append(ex.node("Slice", [name, ex.ints("start", [0]), ex.ints("end", [hi]),
                                               ex.ints("axes", [axis])], path))
            name = ex.node("Concat", parts, path, axis=axis) if len(parts) > 1 else name
        return name
    onnx_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    lead = [0] * (len(x.shape) - len(pairs))
    pads = lead + [lo for lo, _ in pairs] + lead + [hi for _, hi in pairs]
    return ex.node("Pad", [x.name, ex.ints(f"{path}.pads", pads)], path, mode=onnx_mode)


@rule(nn.Conv1d, nn.Conv2d)
def _conv(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    (x,) = inputs
    probe = module(x.probe)
    pairs = geometry.resolve_padding(module.padding, x.shape[2:], module.kernel_size,
                                     module.stride, module.dilation)
    source = x.name
    if module.padding_mode != "zeros" and any(lo or hi for lo, hi in pairs):
        source = _pad_node(ex, x, pairs, module.padding_mode, path)
        pairs = ((0, 0),) * len(pairs)
    weights = [ex.constant(f"{path}.weight", module.weight._data)]
    if module.bias is not None:
        weights.append(ex.constant(f"{path}.bias", module.bias._data))
    out = ex.node("Conv", [source, *weights], path, kernel_shape=list(module.kernel_size),
                  strides=list(module.stride), dilations=list(module.dilation),
                  group=module.groups, pads=[lo for lo, _ in pairs] + [hi for _, hi in pairs])
    return Value(out, probe)


def _pool_sizes(module, nd: int) -> tuple[list[int], list[int], list[int]]:
    kernel = _validate.int_tuple(module.kernel_size, nd, "kernel_size")
    stride = _validate.int_tuple(module.stride, nd, "stride")
    padding = _validate.int_tuple(module.padding, nd, "padding", minimum=0)
    return list(kernel), list(stride), list(padding) * 2


@rule(nn.MaxPool1d, nn.MaxPool2d)
def _max_pool(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    if module.return_indices:
        raise UnsupportedError(f"to_onnx cannot export MaxPool with return_indices=True "
                               f"(at {path!r})")
    nd = module._nd
    kernel, stride, pads = _pool_sizes(module, nd)
    dilation = list(_validate.int_tuple(module.dilation, nd, "dilation"))
    return _leaf(ex, module, inputs, "MaxPool", path, kernel_shape=kernel, strides=stride,
                 pads=pads, dilations=dilation, ceil_mode=int(module.ceil_mode))


@rule(nn.AvgPool1d, nn.AvgPool2d)
def _avg_pool(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    if getattr(module, "divisor_override", None) is not None:
        raise UnsupportedError(f"to_onnx cannot export AvgPool2d with divisor_override "
                               f"(at {path!r}): ONNX AveragePool has no such attribute")
    kernel, stride, pads = _pool_sizes(module, module._nd)
    return _leaf(ex, module, inputs, "AveragePool", path, kernel_shape=kernel, strides=stride,
                 pads=pads, ceil_mode=int(module.ceil_mode),
                 count_include_pad=int(module.count_include_pad))


@rule(nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)
def _adaptive_avg_pool(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    in_size = inputs[0].shape[2:]
    out_size = _validate.optional_sizes(module.output_size, len(in_size), "output_size", in_size)
    if all(n == 1 for n in out_size):
        return _leaf(ex, module, inputs, "GlobalAveragePool", path)
    if any(o == 0 or n % o for n, o in zip(in_size, out_size)):
        raise UnsupportedError(
            f"to_onnx can export {type(module).__name__}({module.output_size}) (at {path!r}) "
            f"only when each input size is a multiple of the output size; got input "
            f"{in_size} for output {out_size}")
    kernel = [n // o for n, o in zip(in_size, out_size)]
    return _leaf(ex, module, inputs, "AveragePool", path, kernel_shape=kernel, strides=kernel)


# -- dense, normalisation, activations, shapes ---------------------------------------------
@rule(nn.Linear)
def _linear(ex: Exporter, module: nn.Linear, inputs: list[Value], path: str) -> Value:
    (x,) = inputs
    bias = [] if module.bias is None else [ex.constant(f"{path}.bias", module.bias._data)]
    if len(x.shape) == 2:
        weight = ex.constant(f"{path}.weight", module.weight._data)
        return _leaf(ex, module, inputs, "Gemm", path, extra=[weight, *bias], transB=1)
    weight_t = ex.constant(f"{path}.weight_t", module.weight._data.T)
    out = _leaf(ex, module, inputs, "MatMul", path, extra=[weight_t])
    if bias:
        out = Value(ex.node("Add", [out.name, *bias], path), out.probe)
    return out


@rule(nn.BatchNorm1d, nn.BatchNorm2d)
def _batch_norm(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    if module.running_mean is None:
        raise UnsupportedError(f"to_onnx needs running statistics for {type(module).__name__} "
                               f"(at {path!r}); it was built with track_running_stats=False")
    channels, dtype = module.num_features, module.running_mean.dtype
    scale = np.ones(channels, dtype) if module.weight is None else module.weight._data
    shift = np.zeros(channels, dtype) if module.bias is None else module.bias._data
    extra = [ex.constant(f"{path}.{name}", value) for name, value in
             (("weight", scale), ("bias", shift), ("running_mean", module.running_mean._data),
              ("running_var", module.running_var._data))]
    return _leaf(ex, module, inputs, "BatchNormalization", path, extra=extra,
                 epsilon=float(module.eps))


def _simple(op: str) -> Rule:
    def export(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
        return _leaf(ex, module, inputs, op, path)

    return export


for _cls, _op in ((nn.ReLU, "Relu"), (nn.Sigmoid, "Sigmoid"), (nn.Tanh, "Tanh"),
                  (nn.Identity, "Identity"), (nn.Dropout, "Identity"), (layers.Add, "Sum"),
                  (layers.Mul, "Mul"), (layers.MatMul, "MatMul"),
                  (layers.GlobalMaxPool, "GlobalMaxPool")):
    rule(_cls)(_simple(_op))


@rule(nn.LeakyReLU)
def _leaky_relu(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return _leaf(ex, module, inputs, "LeakyRelu", path, alpha=float(module.negative_slope))


@rule(nn.Softmax)
def _softmax(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    rank = len(inputs[0].shape)
    dim = module.dim if module.dim is not None else (0 if rank in (0, 1, 3) else 1)
    return _leaf(ex, module, inputs, "Softmax", path, axis=dim)


@rule(nn.Flatten)
def _flatten(ex: Exporter, module: nn.Flatten, inputs: list[Value], path: str) -> Value:
    shape = inputs[0].shape
    start, end = module.start_dim % len(shape), module.end_dim % len(shape)
    if start == 1 and end == len(shape) - 1:
        return _leaf(ex, module, inputs, "Flatten", path, axis=1)
    if start == 0:
        raise UnsupportedError(f"to_onnx cannot export Flatten(start_dim=0) (at {path!r}): it "
                               "merges the batch dimension")
    target = [0] * start + [-1] + list(shape[end + 1:])  # 0 keeps the (dynamic) batch size
    return _leaf(ex, module, inputs, "Reshape", path, extra=[ex.ints(f"{path}.shape", target)])


@rule(layers.Cat)
def _cat(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return _leaf(ex, module, inputs, "Concat", path, axis=module.dim)


@rule(layers.Permute)
def _permute(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return _leaf(ex, module, inputs, "Transpose", path, perm=list(module.dims))


@rule(layers.Reshape)
def _reshape(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    shape = ex.ints(f"{path}.shape", list(module.shape))
    return _leaf(ex, module, inputs, "Reshape", path, extra=[shape],
                 **({"allowzero": 1} if module.allowzero else {}))


@rule(layers.FlattenTo2d)
def _flatten_2d(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return _leaf(ex, module, inputs, "Flatten", path, axis=module.axis)


@rule(layers.LRN)
def _lrn(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return _leaf(ex, module, inputs, "LRN", path, size=module.size, alpha=module.alpha,
                 beta=module.beta, bias=module.bias)


@rule(layers.Pad)
def _pad(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    pads = [lo for lo, _ in module.pads] + [hi for _, hi in module.pads]
    extra = [ex.ints(f"{path}.pads", pads)]
    if module.mode == "constant":
        extra.append(ex.constant(f"{path}.value", np.asarray(module.value, inputs[0].probe.dtype)))
    return _leaf(ex, module, inputs, "Pad", path, extra=extra, mode=module.mode)


@rule(layers.Constant)
def _constant(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return Value(ex.constant(path, module.value._data), module())


@rule(layers.Gemm)
def _gemm(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return _leaf(ex, module, inputs, "Gemm", path, alpha=module.alpha, beta=module.beta,
                 transA=int(module.trans_a), transB=int(module.trans_b))


@rule(layers.FlatSoftmax)
def _flat_softmax(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    shape = ex.ints(f"{path}.shape", [0, *inputs[0].shape[1:]])  # 0 keeps the batch size
    flat = ex.node("Flatten", [inputs[0].name], path, axis=module.axis)
    soft = ex.node("Softmax", [flat], path, axis=1)
    return Value(ex.node("Reshape", [soft, shape], path), module(inputs[0].probe))


@rule(layers.SamePad)
def _same_pad(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    probe = module(inputs[0].probe)
    lead = len(inputs[0].shape) - len(module.kernel_size)
    grown = [o - i for o, i in zip(probe.shape, inputs[0].shape)]
    pairs = [geometry.same_padding(n, k, s, d) for n, k, s, d in zip(
        inputs[0].shape[lead:], module.kernel_size, module.stride, module.dilation)]
    low = [0] * lead + [hi if module.lower else lo for lo, hi in pairs]
    pads = low + [g - lo for g, lo in zip(grown, low)]
    value = ex.constant(f"{path}.value", np.asarray(module.value, inputs[0].probe.dtype))
    return Value(ex.node("Pad", [inputs[0].name, ex.ints(f"{path}.pads", pads), value], path,
                         mode="constant"), probe)

# Rules in another module register themselves here (they import ``rule`` from this module).
from . import _export_rules_more  # noqa: E402, F401, I001
from . import _export_rules_nn  # noqa: E402, F401, I001
from . import _export_rules_extra  # noqa: E402, F401, I001
