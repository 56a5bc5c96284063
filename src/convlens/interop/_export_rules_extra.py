"""ONNX export rules for more convlens layers: the Dropout variants, LogSoftmax, Softmin,
Softmax2d, RReLU, LogSigmoid, Tanhshrink, Softshrink, Hardshrink, Threshold, GLU, PixelUnshuffle,
ChannelShuffle, Unflatten, LocalResponseNorm and AdaptiveMaxPool1d/2d.

Registered into :data:`convlens.interop._export_rules.RULES` when that module loads.
"""

from __future__ import annotations

import numpy as np

from .. import nn
from ._export_rules import _leaf, rule
from .errors import UnsupportedError
from .onnx_export import Exporter, Value


def _const(ex: Exporter, path: str, name: str, value, like: Value) -> str:
    return ex.constant(f"{path}.{name}", np.asarray(value, like.probe.dtype))


@rule(nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)
def _dropout(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    # the exported graph is for inference, where every dropout is the identity
    return _leaf(ex, module, inputs, "Identity", path)


def _softmax_axis(module, x: Value) -> int:
    rank = len(x.shape)
    return module.dim if module.dim is not None else (0 if rank in (0, 1, 3) else 1)


@rule(nn.LogSoftmax)
def _log_softmax(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return _leaf(ex, module, inputs, "LogSoftmax", path, axis=_softmax_axis(module, inputs[0]))


@rule(nn.Softmin)
def _softmin(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    (x,) = inputs
    neg = ex.node("Neg", [x.name], path)
    return Value(ex.node("Softmax", [neg], path, axis=_softmax_axis(module, x)),
                 module(x.probe))


@rule(nn.Softmax2d)
def _softmax2d(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    return _leaf(ex, module, inputs, "Softmax", path, axis=-3)


@rule(nn.RReLU)
def _rrelu(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    # the exported graph is for inference, where RReLU's slope is (lower + upper) / 2
    slope = (float(module.lower) + float(module.upper)) / 2
    return _leaf(ex, module, inputs, "LeakyRelu", path, alpha=slope)


@rule(nn.LogSigmoid)
def _log_sigmoid(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    (x,) = inputs  # log(sigmoid(x)) = -softplus(-x)
    soft = ex.node("Softplus", [ex.node("Neg", [x.name], path)], path)
    return Value(ex.node("Neg", [soft], path), module(x.probe))


@rule(nn.Tanhshrink)
def _tanhshrink(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    (x,) = inputs
    return Value(ex.node("Sub", [x.name, ex.node("Tanh", [x.name], path)], path),
                 module(x.probe))


@rule(nn.Softshrink, nn.Hardshrink)
def _shrink(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    lambd = float(module.lambd)
    bias = lambd if isinstance(module, nn.Softshrink) else 0.0
    return _leaf(ex, module, inputs, "Shrink", path, bias=bias, lambd=lambd)


@rule(nn.Threshold)
def _threshold(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    (x,) = inputs  # x where x > threshold, else value
    above = ex.node("Greater", [x.name, _const(ex, path, "threshold", module.threshold, x)],
                    path)
    return Value(ex.node("Where", [above, x.name, _const(ex, path, "value", module.value, x)],
                         path), module(x.probe))


@rule(nn.GLU)
def _glu(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    (x,) = inputs  # first half times the sigmoid of the second half, along dim
    axis = module.dim % len(x.shape)
    half = x.shape[axis] // 2

    def part(start: int, stop: int, name: str) -> str:
        return ex.node("Slice", [x.name, ex.ints(f"{path}.{name}_start", [start]),
                                 ex.ints(f"{path}.{name}_end", [stop]),
                                 ex.ints(f"{path}.{name}_axes", [axis])], path)

    probe = module(x.probe)  # raises torch's error for an odd size
    gate = ex.node("Sigmoid", [part(half, 2 * half, "b")], path)
    return Value(ex.node("Mul", [part(0, half, "a"), gate], path), probe)


def _lead(x: Value, keep: int) -> list[int]:
    """Reshape entries for the first ``keep`` axes: 0 (copy) for the batch, else the size."""
    return [0] + list(x.shape[1:keep]) if keep else []


@rule(nn.PixelUnshuffle)
def _pixel_unshuffle(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    """torch's channel order ``c * r * r + i * r + j`` (SpaceToDepth's differs): Reshape to
    ``(.., C, H/r, r, W/r, r)``, Transpose to ``(.., C, r, r, H/r, W/r)``, Reshape."""
    (x,) = inputs
    probe = module(x.probe)
    r, n = module.downscale_factor, len(x.shape) - 3
    c, h, w = x.shape[-3:]
    split = ex.ints(f"{path}.split", _lead(x, n) + [c, h // r, r, w // r, r])
    perm = list(range(n)) + [n + i for i in (0, 2, 4, 1, 3)]
    moved = ex.node("Transpose", [ex.node("Reshape", [x.name, split], path)], path, perm=perm)
    out = ex.ints(f"{path}.shape", _lead(x, n) + list(probe.shape[-3:]))
    return Value(ex.node("Reshape", [moved, out], path), probe)


@rule(nn.ChannelShuffle)
def _channel_shuffle(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    (x,) = inputs  # (N, g, C/g, rest) -> (N, C/g, g, rest) -> (N, C, ...)
    probe = module(x.probe)
    g = module.groups
    split = ex.ints(f"{path}.split", [0, g, x.shape[1] // g, -1])
    moved = ex.node("Transpose", [ex.node("Reshape", [x.name, split], path)], path,
                    perm=[0, 2, 1, 3])
    out = ex.ints(f"{path}.shape", [0, *x.shape[1:]])
    return Value(ex.node("Reshape", [moved, out], path), probe)


@rule(nn.Unflatten)
def _unflatten(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    (x,) = inputs
    dim = module.dim % len(x.shape)
    if dim == 0:
        raise UnsupportedError(f"to_onnx cannot export Unflatten(dim=0) (at {path!r}): it "
                               "splits the batch dimension")
    probe = module(x.probe)
    target = _lead(x, dim) + list(probe.shape[dim:])
    return _leaf(ex, module, inputs, "Reshape", path, extra=[ex.ints(f"{path}.shape", target)])


def _lrn_by_pooling(ex: Exporter, module, x: Value, path: str) -> str:
    """torch's own arithmetic: ``x / (k + alpha * avg(x^2 over size channels))^beta``, the
    channel axis padded ``size // 2`` before and ``(size - 1) // 2`` after with zeros."""
    size, spatial = int(module.size), len(x.shape) - 2
    squares = ex.node("Unsqueeze", [ex.node("Mul", [x.name, x.name], path),
                                    ex.ints(f"{path}.axis", [1])], path)
    zeros = [0] * (spatial + 2)
    pads = ex.ints(f"{path}.pads", [0, 0, size // 2, *zeros[2:], 0, 0, (size - 1) // 2,
                                    *zeros[2:]])
    padded = ex.node("Pad", [squares, pads, _const(ex, path, "zero", 0.0, x)], path,
                     mode="constant")
    mean = ex.node("Squeeze", [ex.node("AveragePool", [padded], path,
                                       kernel_shape=[size] + [1] * spatial),
                               ex.ints(f"{path}.axis", [1])], path)
    scaled = ex.node("Add", [ex.node("Mul", [mean, _const(ex, path, "alpha", module.alpha, x)],
                                     path), _const(ex, path, "k", module.k, x)], path)
    return ex.node("Div", [x.name, ex.node("Pow", [scaled, _const(ex, path, "beta", module.beta,
                                                                   x)], path)], path)


@rule(nn.LocalResponseNorm)
def _local_response_norm(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    # torch sums channels c - size//2 .. c + (size-1)//2, ONNX c - (size-1)//2 .. c + size//2:
    # the same window for an odd size (then ONNX LRN; both divide alpha by size) only
    (x,) = inputs
    if module.size % 2 == 0 or len(x.shape) != 4:
        return Value(_lrn_by_pooling(ex, module, x, path), module(x.probe))
    return _leaf(ex, module, inputs, "LRN", path, size=int(module.size),
                 alpha=float(module.alpha), beta=float(module.beta), bias=float(module.k))


@rule(nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d)
def _adaptive_max_pool(ex: Exporter, module, inputs: list[Value], path: str) -> Value:
    """Output size 1 is ``GlobalMaxPool``; a size that divides the input is a ``MaxPool``
    with kernel = stride = input // output (torch's windows are then those blocks)."""
    (x,) = inputs
    if module.return_indices:
        raise UnsupportedError(f"to_onnx cannot export AdaptiveMaxPool with "
                               f"return_indices=True (at {path!r})")
    probe = module(x.probe)
    outs, ins = probe.shape[2:], x.shape[2:]
    if all(o == 1 for o in outs):
        return Value(ex.node("GlobalMaxPool", [x.name], path), probe)
    if any(i % o for i, o in zip(ins, outs)):
        raise UnsupportedError(f"to_onnx exports AdaptiveMaxPool to an output size that "
                               f"divides the input size only (at {path!r}); got output "
                               f"{tuple(outs)} for input {tuple(ins)}")
    kernel = [i // o for i, o in zip(ins, outs)]
    return Value(ex.node("MaxPool", [x.name], path, kernel_shape=kernel, strides=kernel),
                 probe)
