"""ONNX export rules for convlens's newer layers: activations, LayerNorm, GroupNorm,
InstanceNorm, Upsample and PixelShuffle.

Registered into :data:`convlens.interop._export_rules.RULES` when that module loads.
"""

from __future__ import annotations

import math

import numpy as np

from .. import nn
from ._export_rules import _leaf, rule
from .errors import UnsupportedError
from .onnx_export import Exporter, Value


def _const(ex: Exporter, path: str, name: str, value, like: Value) -> str:
    return ex.constant(f"{path}.{name}", np.asarray(value, like.probe.dtype))


def _needs(ex: Exporter, opset: int, what: str, path: str) -> None:
    if ex.opset < opset:
        raise UnsupportedError(f"to_onnx exports {what} from opset {opset} on (at {path!r}); "
                               f"got opset {ex.opset}")


def gelu_nodes(ex: Exporter, x: Value, tanh_form: bool, path: str) -> str:
    """GELU before opset 20: ``0.5 * x * (1 + erf(x / sqrt 2))`` (or its tanh form)."""
    if tanh_form:  # tanh(sqrt(2/pi) * (x + 0.044715 x^3))
        cube = ex.node("Mul", [ex.node("Mul", [x.name, x.name], path), x.name], path)
        inner = ex.node("Add", [x.name, ex.node("Mul", [cube, _const(ex, path, "c", 0.044715,
                                                                        x)], path)], path)
        core = ex.node("Tanh", [ex.node("Mul", [inner, _const(
            ex, path, "k", math.sqrt(2 / math.pi), x)], path)], path)
    else:
        core = ex.node("Erf", [ex.node("Div", [x.name, _const(ex, path, "sqrt2", math.sqrt(2.0),
                                                              x)], path)], path)
    half = ex.node("Mul", [x.name, _const(ex, path, "half", 0.5, x)], path)
    return ex.node("Mul", [half, ex.node("Add", [core, _const(ex, path, "one", 1.0, x)], path)],
                   path)


@rule(nn.GELU)
def _gelu(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    tanh_form = module.approximate == "tanh"
    if ex.opset >= 20:
        return _leaf(ex, module, inputs, "Gelu", path,
                     approximate="tanh" if tanh_form else "none")
    return Value(gelu_nodes(ex, inputs[0], tanh_form, path), module(inputs[0].probe))


@rule(nn.SiLU)
def _silu(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    (x,) = inputs
    return Value(ex.node("Mul", [x.name, ex.node("Sigmoid", [x.name], path)], path),
                 module(x.probe))


def _softplus_nodes(ex: Exporter, x: Value, beta: float, path: str) -> str:
    if beta == 1.0:
        return ex.node("Softplus", [x.name], path)
    scaled = ex.node("Mul", [x.name, _const(ex, path, "beta", beta, x)], path)
    return ex.node("Div", [ex.node("Softplus", [scaled], path),
                           _const(ex, path, "beta_div", beta, x)], path)


@rule(nn.Softplus)
def _softplus(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    # torch returns x itself above `threshold`, where log1p(exp(x)) equals x to float precision
    (x,) = inputs
    return Value(_softplus_nodes(ex, x, float(module.beta), path), module(x.probe))


@rule(nn.Mish)
def _mish(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    (x,) = inputs
    soft = _softplus_nodes(ex, x, 1.0, path)
    return Value(ex.node("Mul", [x.name, ex.node("Tanh", [soft], path)], path), module(x.probe))


@rule(nn.ELU)
def _elu(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return _leaf(ex, module, inputs, "Elu", path, alpha=float(module.alpha))


@rule(nn.CELU)
def _celu(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    _needs(ex, 12, "CELU", path)
    return _leaf(ex, module, inputs, "Celu", path, alpha=float(module.alpha))


@rule(nn.SELU)
def _selu(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return _leaf(ex, module, inputs, "Selu", path)


@rule(nn.Hardswish)
def _hardswish(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    _needs(ex, 14, "Hardswish", path)
    return _leaf(ex, module, inputs, "HardSwish", path)


@rule(nn.Hardsigmoid)
def _hardsigmoid(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return _leaf(ex, module, inputs, "HardSigmoid", path, alpha=1.0 / 6.0, beta=0.5)


@rule(nn.Softsign)
def _softsign(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return _leaf(ex, module, inputs, "Softsign", path)


@rule(nn.ReLU6, nn.Hardtanh)
def _clip(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    (x,) = inputs
    low, high = (0.0, 6.0) if isinstance(module, nn.ReLU6) else (module.min_val, module.max_val)
    return _leaf(ex, module, inputs, "Clip", path,
                 extra=[_const(ex, path, "min", low, x), _const(ex, path, "max", high, x)])


@rule(nn.PReLU)
def _prelu(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    (x,) = inputs
    slope = module.weight._data
    if slope.size > 1:  # one slope per channel (dim 1); ONNX broadcasts from the right
        slope = slope.reshape((-1, *(1,) * (len(x.shape) - 2)))
    return _leaf(ex, module, inputs, "PRelu", path, extra=[ex.constant(f"{path}.weight", slope)])


def _affine(module, channels: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    weight = getattr(module, "weight", None)
    bias = getattr(module, "bias", None)
    return (np.ones(channels, dtype) if weight is None else weight._data,
            np.zeros(channels, dtype) if bias is None else bias._data)


@rule(nn.LayerNorm)
def _layer_norm(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    _needs(ex, 17, "LayerNorm (LayerNormalization)", path)
    (x,) = inputs
    shape = tuple(module.normalized_shape)
    weight, bias = _affine(module, 1, x.probe.dtype)
    if weight.shape != shape:
        weight, bias = np.ones(shape, x.probe.dtype), np.zeros(shape, x.probe.dtype)
        if getattr(module, "weight", None) is not None:
            weight = module.weight._data
        if getattr(module, "bias", None) is not None:
            bias = module.bias._data
    extra = [ex.constant(f"{path}.weight", weight), ex.constant(f"{path}.bias", bias)]
    return _leaf(ex, module, inputs, "LayerNormalization", path, extra=extra,
                 axis=-len(shape), epsilon=float(module.eps))


def _channel_affine(ex: Exporter, out: str, module, x: Value, channels: int,
                    path: str) -> str:
    weight, bias = _affine(module, channels, x.probe.dtype)
    shape = (-1, *(1,) * (len(x.shape) - 2))
    out = ex.node("Mul", [out, ex.constant(f"{path}.weight", weight.reshape(shape))], path)
    return ex.node("Add", [out, ex.constant(f"{path}.bias", bias.reshape(shape))], path)


@rule(nn.GroupNorm)
def _group_norm(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    """Reshape to (N, G, -1), InstanceNormalization there, reshape back, then the affine."""
    (x,) = inputs
    groups, dtype = module.num_groups, x.probe.dtype
    grouped = ex.node("Reshape", [x.name, ex.ints(f"{path}.grouped", [0, groups, -1])], path)
    normed = ex.node("InstanceNormalization", [
        grouped, ex.constant(f"{path}.ones", np.ones(groups, dtype)),
        ex.constant(f"{path}.zeros", np.zeros(groups, dtype))], path, epsilon=float(module.eps))
    back = ex.node("Reshape", [normed, ex.ints(f"{path}.shape", [0, *x.shape[1:]])], path)
    return Value(_channel_affine(ex, back, module, x, x.shape[1], path), module(x.probe))


@rule(*(getattr(nn, f"InstanceNorm{nd}d") for nd in (1, 2, 3) if hasattr(nn, f"InstanceNorm{nd}d")))
def _instance_norm(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    (x,) = inputs
    channels, dtype = x.shape[1], x.probe.dtype
    weight, bias = _affine(module, channels, dtype)
    extra = [ex.constant(f"{path}.weight", weight), ex.constant(f"{path}.bias", bias)]
    if getattr(module, "running_mean", None) is not None:  # eval: the running statistics
        extra += [ex.constant(f"{path}.running_mean", module.running_mean._data),
                  ex.constant(f"{path}.running_var", module.running_var._data)]
        return _leaf(ex, module, inputs, "BatchNormalization", path, extra=extra,
                     epsilon=float(module.eps))
    return _leaf(ex, module, inputs, "InstanceNormalization", path, extra=extra,
                 epsilon=float(module.eps))


_RESIZE = {"nearest": ("nearest", "asymmetric", "floor"),
           "nearest-exact": ("nearest", "half_pixel", "round_prefer_ceil"),
           "linear": ("linear", None, None), "bilinear": ("linear", None, None),
           "bicubic": ("cubic", None, None)}


@rule(*(getattr(nn, name) for name in ("Upsample", "UpsamplingNearest2d",
                                        "UpsamplingBilinear2d") if hasattr(nn, name)))
def _upsample(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    (x,) = inputs
    probe = module(x.probe)
    if module.mode not in _RESIZE:
        raise UnsupportedError(f"to_onnx cannot export Upsample mode {module.mode!r} "
                               f"(at {path!r})")
    mode, coordinates, nearest = _RESIZE[module.mode]
    attrs = {"mode": mode}
    if coordinates is None:
        coordinates = "align_corners" if module.align_corners else "pytorch_half_pixel"
    attrs["coordinate_transformation_mode"] = coordinates
    if nearest:
        attrs["nearest_mode"] = nearest
    if mode == "cubic":
        attrs["cubic_coeff_a"] = -0.75
    out_size, in_size = probe.shape[2:], x.shape[2:]
    if module.scale_factor is not None and not module.recompute_scale_factor:
        factors = np.broadcast_to(np.asarray(module.scale_factor, np.float32), (len(in_size),))
        scales = ex.constant(f"{path}.scales", np.concatenate([[1, 1], factors]).astype(
            np.float32))
        return Value(ex.node("Resize", [x.name, "", scales], path, **attrs), probe)
    _needs(ex, 18, "Upsample with a size (Resize with sizes and axes)", path)
    sizes = ex.ints(f"{path}.sizes", list(out_size))
    return Value(ex.node("Resize", [x.name, "", "", sizes], path,
                         axes=list(range(2, 2 + len(in_size))), **attrs), probe)


@rule(nn.PixelShuffle)
def _pixel_shuffle(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return _leaf(ex, module, inputs, "DepthToSpace", path, blocksize=module.upscale_factor,
                 mode="CRD")
