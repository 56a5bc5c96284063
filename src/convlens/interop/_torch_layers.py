"""torch counterparts of convlens modules, for :func:`convlens.interop.to_torch`.

Built inside :func:`build` because torch is imported lazily: the classes are created on the
first call and cached. Each keeps the convlens module's child and buffer names, so the two
``state_dict``\\ s have the same keys.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache
from typing import Any

from .. import nn
from ..conv import geometry
from . import layers
from .errors import UnsupportedError
from .graph import Graph

_ACTIVATIONS = {nn.ReLU: "ReLU", nn.Sigmoid: "Sigmoid", nn.Tanh: "Tanh",
                nn.Identity: "Identity"}
_POOLS = {nn.MaxPool1d: ("MaxPool1d", ("kernel_size", "stride", "padding", "dilation",
                                       "return_indices", "ceil_mode")),
          nn.AvgPool1d: ("AvgPool1d", ("kernel_size", "stride", "padding", "ceil_mode",
                                       "count_include_pad")),
          nn.AdaptiveAvgPool1d: ("AdaptiveAvgPool1d", ("output_size",)),
          nn.AdaptiveAvgPool2d: ("AdaptiveAvgPool2d", ("output_size",))}
_POOLS[nn.MaxPool2d] = ("MaxPool2d", _POOLS[nn.MaxPool1d][1])
_POOLS[nn.AvgPool2d] = ("AvgPool2d", _POOLS[nn.AvgPool1d][1] + ("divisor_override",))


@lru_cache(maxsize=1)
def _classes(torch) -> dict[str, type]:
    F = torch.nn.functional

    class Residual(torch.nn.Module):
        def __init__(self, body, shortcut):
            super().__init__()
            self.body, self.shortcut = body, shortcut

        def forward(self, x):
            return self.body(x) + (x if self.shortcut is None else self.shortcut(x))

    class Concat(torch.nn.Module):
        def __init__(self, branches, dim):
            super().__init__()
            for index, branch in enumerate(branches):
                self.add_module(str(index), branch)
            self.dim = dim

        def forward(self, x):
            return torch.cat([branch(x) for branch in self.children()], dim=self.dim)

    class Graph(torch.nn.Module):
        def __init__(self, children, steps, inputs, outputs):
            super().__init__()
            for name, child in children.items():
                self.add_module(name, child)
            self.steps, self.inputs, self.outputs = steps, inputs, outputs

        def forward(self, *args):
            values = dict(zip(self.inputs, args))
            for layer, reads, writes in self.steps:
                values[writes] = self.get_submodule(layer)(*(values[n] for n in reads))
            result = tuple(values[name] for name in self.outputs)
            return result[0] if len(result) == 1 else result

    class Op(torch.nn.Module):
        """A stateless convlens layer computed by ``fn(*tensors)``."""

        def __init__(self, name, fn):
            super().__init__()
            self.name, self.fn = name, fn

        def forward(self, *args):
            return self.fn(*args)

        def extra_repr(self):
            return self.name

    class Constant(torch.nn.Module):
        def __init__(self, value):
            super().__init__()
            self.register_buffer("value", value)

        def forward(self):
            return self.value

    def padded_conv(base):
        class PaddedConv(base):
            """A torch conv after ``F.pad``, for padding torch's conv layers cannot take."""

            def forward(self, x):
                x = F.pad(x, self.explicit_pad, mode=self.pad_mode)
                return self._conv_forward(x, self.weight, self.bias)

        PaddedConv.__name__ = f"Padded{base.__name__}"
        return PaddedConv

    return {"Residual": Residual, "Concat": Concat, "Graph": Graph, "Op": Op,
            "Constant": Constant, "PaddedConv1d": padded_conv(torch.nn.Conv1d),
            "PaddedConv2d": padded_conv(torch.nn.Conv2d)}


def _conv(module, torch, classes) -> Any:
    name, padding = type(module).__name__, module.padding
    kwargs = dict(in_channels=module.in_channels, out_channels=module.out_channels,
                  kernel_size=module.kernel_size, stride=module.stride,
                  dilation=module.dilation, groups=module.groups, bias=module.bias is not None)
    if padding == "valid" or (padding == "same" and all(s == 1 for s in module.stride)) or (
            not isinstance(padding, str) and all(isinstance(p, int) for p in padding)):
        return getattr(torch.nn, name)(padding=padding, padding_mode=module.padding_mode,
                                       **kwargs)
    if padding == "same":
        raise UnsupportedError(f"to_torch cannot convert {name} with padding='same' and stride "
                               f"{module.stride}: its padding depends on the input size")
    layer = classes[f"Padded{name}"](padding=0, **kwargs)
    # "full" and per-side pairs do not depend on the input size, so any size will do here.
    pairs = geometry.resolve_padding(padding, module.kernel_size, module.kernel_size,
                                     module.stride, module.dilation)
    layer.explicit_pad = [p for lo, hi in reversed(pairs) for p in (lo, hi)]
    layer.pad_mode = {"zeros": "constant"}.get(module.padding_mode, module.padding_mode)
    return layer


def _op_functions(torch) -> dict[type, Any]:
    F = torch.nn.functional

    def lrn(m):
        def fn(x):
            lo = (m.size - 1) // 2
            squares = F.pad(x * x, (0, 0) * (x.dim() - 2) + (lo, m.size - 1 - lo))
            window = sum(squares[:, k:k + x.shape[1]] for k in range(m.size))
            return x / (window * (m.alpha / m.size) + m.bias) ** m.beta
        return fn

    def pad(m):
        flat = [p for lo, hi in reversed(m.pads) for p in (lo, hi)]
        mode = {"constant": "constant", "reflect": "reflect", "edge": "replicate",
                "wrap": "circular"}[m.mode]
        return lambda x: F.pad(x, flat, mode=mode, value=m.value if mode == "constant" else None)

    def same_pad(m):
        def fn(x):
            pairs = [geometry.same_padding(n, k, s, d) for n, k, s, d in
                     zip(x.shape[2:], m.kernel_size, m.stride, m.dilation)]
            pairs = [(hi, lo) if m.lower else (lo, hi) for lo, hi in pairs]
            return F.pad(x, [p for lo, hi in reversed(pairs) for p in (lo, hi)], value=m.value)
        return fn

    def gemm(m):
        def fn(a, b, c=None):
            out = (a.T if m.trans_a else a) @ (b.T if m.trans_b else b) * m.alpha
            return out if c is None else out + m.beta * c
        return fn

    return {
        layers.Add: lambda m: lambda *xs: sum(xs[1:], xs[0]),
        layers.Mul: lambda m: lambda a, b: a * b,
        layers.MatMul: lambda m: lambda a, b: a @ b,
        layers.Cat: lambda m: lambda *xs: torch.cat(xs, dim=m.dim),
        layers.Permute: lambda m: lambda x: x.permute(m.dims),
        layers.Reshape: lambda m: lambda x: x.reshape(
            layers.reshape_target(tuple(x.shape), m.shape, m.allowzero)),
        layers.FlattenTo2d: lambda m: lambda x: x.reshape(
            int(torch.tensor(x.shape[:m.axis]).prod()), -1),
        layers.FlatSoftmax: lambda m: lambda x: F.softmax(
            x.reshape(int(torch.tensor(x.shape[:m.axis]).prod()), -1), dim=1).reshape(x.shape),
        layers.GlobalMaxPool: lambda m: lambda x: x.amax(dim=tuple(range(2, x.dim())),
                                                         keepdim=True),
        layers.LRN: lrn, layers.Pad: pad, layers.SamePad: same_pad, layers.Gemm: gemm,
    }


def build(module: nn.Module, torch) -> Any:
    """The torch module for ``module`` (weights are loaded afterwards, by key)."""
    classes, kind = _classes(torch), type(module)
    if kind is nn.Sequential:
        return torch.nn.Sequential(OrderedDict(
            (name, build(child, torch)) for name, child in module._modules.items()))
    if kind is nn.Residual:
        shortcut = None if module.shortcut is None else build(module.shortcut, torch)
        return classes["Residual"](build(module.body, torch), shortcut)
    if kind is nn.Concat:
        return classes["Concat"]([build(b, torch) for b in module], module.dim)
    if kind is Graph:
        children = {name: build(child, torch) for name, child in module._modules.items()}
        return classes["Graph"](children, module.steps, module.inputs, module.outputs)
    if kind in (nn.Conv1d, nn.Conv2d):
        return _conv(module, torch, classes)
    if kind is nn.Linear:
        return torch.nn.Linear(module.in_features, module.out_features, module.bias is not None)
    if kind in (nn.BatchNorm1d, nn.BatchNorm2d):
        return getattr(torch.nn, kind.__name__)(
            module.num_features, module.eps, module.momentum, module.affine,
            module.track_running_stats, bias=module.bias is not None or not module.affine)
    if kind in _ACTIVATIONS:
        return getattr(torch.nn, _ACTIVATIONS[kind])()
    if kind is nn.LeakyReLU:
        return torch.nn.LeakyReLU(module.negative_slope)
    if kind is nn.Softmax:
        return torch.nn.Softmax(dim=module.dim)
    if kind is nn.Flatten:
        return torch.nn.Flatten(module.start_dim, module.end_dim)
    if kind is nn.Dropout:
        return torch.nn.Dropout(module.p)
    if kind in _POOLS:
        name, arguments = _POOLS[kind]
        return getattr(torch.nn, name)(**{a: getattr(module, a) for a in arguments})
    if kind is layers.Constant:
        return classes["Constant"](torch.from_numpy(module.value._data.copy()))
    functions = _op_functions(torch)
    if kind in functions:
        return classes["Op"](kind.__name__, functions[kind](module))
    raise UnsupportedError(f"to_torch has no rule for {kind.__module__}.{kind.__qualname__}")
