"""ONNX export rules for 3-D windows, transposed convolution, padding modules, LPPool and
the layers that ONNX import makes (``OnnxPool``, ``OnnxConv``, ``Elementwise``, ...).

Registered into :data:`convlens.interop._export_rules.RULES` when that module loads.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate, nn
from . import layers_dynamic as dyn
from . import layers_elementwise as ew
from . import layers_norm as norm
from . import onnx_window as win
from ._export_rules import (
    _adaptive_avg_pool,
    _avg_pool,
    _conv,
    _leaf,
    _max_pool,
    _pad_node,
    rule,
)
from ._export_rules_nn import gelu_nodes
from .errors import UnsupportedError
from .onnx_export import Exporter, Value

rule(nn.Conv3d)(_conv)
rule(nn.MaxPool3d)(_max_pool)
rule(nn.AvgPool3d)(_avg_pool)
rule(nn.AdaptiveAvgPool3d)(_adaptive_avg_pool)


def _flat(pairs) -> list[int]:
    return [lo for lo, _ in pairs] + [hi for _, hi in pairs]


@rule(nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
def _conv_transpose(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    nd = module._nd
    extra = [ex.constant(f"{path}.weight", module.weight._data)]
    if module.bias is not None:
        extra.append(ex.constant(f"{path}.bias", module.bias._data))
    return _leaf(ex, module, inputs, "ConvTranspose", path, extra=extra,
                 kernel_shape=list(module.kernel_size), strides=list(module.stride),
                 dilations=list(module.dilation), group=module.groups,
                 pads=list(module.padding) * 2, output_padding=list(module.output_padding)
                 if any(module.output_padding) else [0] * nd)


_PAD_MODULES = tuple(getattr(nn, f"{kind}Pad{nd}d") for kind in
                     ("Zero", "Constant", "Reflection", "Replication", "Circular")
                     for nd in (1, 2, 3) if hasattr(nn, f"{kind}Pad{nd}d"))


@rule(*_PAD_MODULES)
def _pad_module(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    (x,) = inputs
    flat = list(module.padding)
    spatial = [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)][::-1]
    pairs = [(0, 0)] * (len(x.shape) - len(spatial)) + spatial
    probe = module(x.probe)
    mode = module._mode
    if mode in ("reflect", "replicate", "circular"):
        return Value(_pad_node(ex, x, tuple(spatial), mode, path), probe)
    value = ex.constant(f"{path}.value", np.asarray(getattr(module, "value", 0.0),
                                                    x.probe.dtype))
    return Value(ex.node("Pad", [x.name, ex.ints(f"{path}.pads", _flat(pairs)), value], path,
                         mode="constant"), probe)


@rule(nn.LPPool1d, nn.LPPool2d)
def _lp_pool(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    """torch's ``(sign(s) * relu(|s|)) ** (1/p)``, that is ``s ** (1/p)``, of the window sums
    ``s`` of ``x ** p``."""
    nd, p = module._nd, float(module.norm_type)
    kernel = list(_validate.int_tuple(module.kernel_size, nd, "kernel_size"))
    stride = kernel if module.stride is None else list(
        _validate.int_tuple(module.stride, nd, "stride"))
    dtype = inputs[0].probe.dtype
    power = ex.node("Pow", [inputs[0].name, ex.constant(f"{path}.p", np.asarray(p, dtype))],
                    path)
    mean = ex.node("AveragePool", [power], path, kernel_shape=kernel, strides=stride,
                   ceil_mode=int(module.ceil_mode))
    total = ex.node("Mul", [mean, ex.constant(f"{path}.taps", np.asarray(
        math.prod(kernel), dtype))], path)
    out = ex.node("Pow", [total, ex.constant(f"{path}.inv_p", np.asarray(1.0 / p, dtype))],
                  path)
    return Value(out, module(inputs[0].probe))


# -- layers that ONNX import makes ---------------------------------------------------------
@rule(win.OnnxPool)
def _onnx_pool(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    attrs = {"kernel_shape": list(module.kernel_size), "strides": list(module.stride),
             "ceil_mode": int(module.ceil_mode)}
    if module.auto_pad == "NOTSET":
        attrs["pads"] = _flat(module.pads)
    else:
        attrs["auto_pad"] = module.auto_pad
    if module.mode == "argmax":
        raise UnsupportedError(f"to_onnx cannot export MaxPool's Indices output (at {path!r})")
    if module.mode == "max":
        return _leaf(ex, module, inputs, "MaxPool", path, dilations=list(module.dilation),
                     **attrs)
    if any(d != 1 for d in module.dilation):
        if ex.opset < 19:
            raise UnsupportedError(f"AveragePool with dilations needs opset 19 or later (at "
                                   f"{path!r}); got opset {ex.opset}")
        attrs["dilations"] = list(module.dilation)
    return _leaf(ex, module, inputs, "AveragePool", path,
                 count_include_pad=int(module.count_include_pad), **attrs)


def _window_attrs(module, weight_shape) -> dict:
    attrs = {"kernel_shape": list(weight_shape[2:]), "group": module.groups}
    for key, value in (("strides", module.stride), ("dilations", module.dilation)):
        if value:
            attrs[key] = list(value)
    if module.auto_pad != "NOTSET":
        attrs["auto_pad"] = module.auto_pad
    elif module.pads:
        attrs["pads"] = _flat(module.pads)
    return attrs


@rule(win.OnnxConv)
def _onnx_conv(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return _leaf(ex, module, inputs, "Conv", path, **_window_attrs(module, inputs[1].shape))


@rule(win.OnnxConvTranspose)
def _onnx_conv_transpose(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    attrs = _window_attrs(module, inputs[1].shape)
    if module.output_padding:
        attrs["output_padding"] = list(module.output_padding)
    if module.output_shape:
        attrs["output_shape"] = list(module.output_shape)
    return _leaf(ex, module, inputs, "ConvTranspose", path, **attrs)


_SINCE = {"HardSwish": 14, "Gelu": 20}


@rule(ew.Elementwise)
def _elementwise(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    kind = module.kind
    if kind == "Gelu" and ex.opset < 20:
        return Value(gelu_nodes(ex, inputs[0], bool(module.alpha), path),
                     module(inputs[0].probe))
    if ex.opset < _SINCE.get(kind, 0):
        raise UnsupportedError(f"ONNX {kind} needs opset {_SINCE[kind]} or later (at "
                               f"{path!r}); got opset {ex.opset}")
    attrs = {"Elu": {"alpha": module.alpha}, "Selu": {"alpha": module.alpha,
                                                       "gamma": module.beta},
             "HardSigmoid": {"alpha": module.alpha, "beta": module.beta},
             "Gelu": {"approximate": "tanh" if module.alpha else "none"}}.get(kind, {})
    return _leaf(ex, module, inputs, kind, path, **attrs)


@rule(ew.Binary)
def _binary(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return _leaf(ex, module, inputs, module.kind, path)


@rule(ew.PRelu)
def _prelu(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return _leaf(ex, module, inputs, "PRelu", path)


@rule(ew.Clip)
def _clip(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    given = dict(zip(module.computed, inputs[1:]))
    dtype = inputs[0].probe.dtype
    names = []
    for key, fixed in (("low", module.low), ("high", module.high)):
        if key in given:
            names.append(given[key].name)
        else:
            names.append("" if fixed is None else ex.constant(f"{path}.{key}",
                                                              np.asarray(fixed, dtype)))
    while names and not names[-1]:
        names.pop()
    probe = module(*(v.probe for v in inputs))
    return Value(ex.node("Clip", [inputs[0].name, *names], path), probe)


@rule(ew.ReduceMean)
def _reduce_mean(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    probe = module(*(v.probe for v in inputs))
    keep = int(module.keepdims)
    if len(inputs) > 1 or (not module.axes and module.noop):
        raise UnsupportedError(f"to_onnx exports ReduceMean with fixed axes only (at {path!r})")
    if ex.opset >= 18:
        extra = [ex.ints(f"{path}.axes", list(module.axes))] if module.axes else []
        return Value(ex.node("ReduceMean", [inputs[0].name, *extra], path, keepdims=keep),
                     probe)
    attrs = {"axes": list(module.axes)} if module.axes else {}
    return Value(ex.node("ReduceMean", [inputs[0].name], path, keepdims=keep, **attrs), probe)


@rule(norm.OnnxLayerNorm)
def _layer_norm(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    if ex.opset < 17:
        raise UnsupportedError(f"LayerNormalization needs opset 17 or later (at {path!r})")
    return _leaf(ex, module, inputs, "LayerNormalization", path, axis=module.axis,
                 epsilon=module.eps)


@rule(norm.OnnxInstanceNorm)
def _instance_norm(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return _leaf(ex, module, inputs, "InstanceNormalization", path, epsilon=module.eps)


@rule(norm.OnnxBatchNorm)
def _onnx_batch_norm(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return _leaf(ex, module, inputs, "BatchNormalization", path, epsilon=module.eps)


@rule(dyn.DynamicReshape)
def _dynamic_reshape(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return _leaf(ex, module, inputs, "Reshape", path,
                 **({"allowzero": 1} if module.allowzero else {}))


@rule(dyn.DynamicPad)
def _dynamic_pad(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    given = dict(zip(module.inputs, inputs[2:]))
    names = [inputs[0].name, inputs[1].name,
             given["value"].name if "value" in given else ""]
    if "axes" in given:
        names.append(given["axes"].name)
    while not names[-1]:
        names.pop()
    probe = module(*(v.probe for v in inputs))
    return Value(ex.node("Pad", names, path, mode=module.mode), probe)


@rule(norm.OnnxGroupNorm)
def _onnx_group_norm(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    """Reshape to (N, G, -1), InstanceNormalization there, reshape back, scale and shift
    (per channel; per group with ``per_group``, opset 18's meaning)."""
    x, scale, bias = inputs
    groups, dtype = module.num_groups, x.probe.dtype
    grouped = ex.node("Reshape", [x.name, ex.ints(f"{path}.grouped", [0, groups, -1])], path)
    normed = ex.node("InstanceNormalization", [
        grouped, ex.constant(f"{path}.ones", np.ones(groups, dtype)),
        ex.constant(f"{path}.zeros", np.zeros(groups, dtype))], path, epsilon=module.eps)
    if module.per_group:
        shape = ex.ints(f"{path}.group_shape", [1, groups, 1])
        normed = ex.node("Add", [
            ex.node("Mul", [normed, ex.node("Reshape", [scale.name, shape], path)], path),
            ex.node("Reshape", [bias.name, shape], path)], path)
        out = ex.node("Reshape", [normed, ex.ints(f"{path}.shape", [0, *x.shape[1:]])], path)
    else:
        back = ex.node("Reshape", [normed, ex.ints(f"{path}.shape", [0, *x.shape[1:]])], path)
        shape = ex.ints(f"{path}.channel_shape", [-1, *(1,) * (len(x.shape) - 2)])
        out = ex.node("Add", [
            ex.node("Mul", [back, ex.node("Reshape", [scale.name, shape], path)], path),
            ex.node("Reshape", [bias.name, shape], path)], path)
    return Value(out, module(*(v.probe for v in inputs)))
