"""Trace a custom ``torch.nn.Module`` with ``torch.fx`` into a convlens :class:`Graph`.

Submodule calls convert with :func:`convlens.interop.from_torch`; the functions and tensor
methods below map to convlens layers. Anything else raises :class:`UnsupportedError` naming
the operation, so a model is never converted to something that computes differently.
"""

from __future__ import annotations

import operator
from typing import Any

from .. import nn
from . import layers
from .errors import UnsupportedError
from .graph import Graph


def _arg(node, index: int, name: str, default: Any) -> Any:
    if len(node.args) > index:
        return node.args[index]
    return node.kwargs.get(name, default)


def _function_table(torch) -> dict[Any, Any]:
    F = torch.nn.functional
    table = {}
    for key in (operator.add, torch.add, "add"):
        table[key] = lambda n: layers.Add()
    for key in (operator.mul, torch.mul, "mul"):
        table[key] = lambda n: layers.Mul()
    for key in (operator.matmul, torch.matmul, "matmul"):
        table[key] = lambda n: layers.MatMul()
    for key in (torch.relu, F.relu, "relu"):
        table[key] = lambda n: nn.ReLU()
    for key in (torch.sigmoid, F.sigmoid, "sigmoid"):
        table[key] = lambda n: nn.Sigmoid()
    for key in (torch.tanh, F.tanh, "tanh"):
        table[key] = lambda n: nn.Tanh()
    for key in (torch.flatten, "flatten"):
        table[key] = lambda n: nn.Flatten(_arg(n, 1, "start_dim", 0), _arg(n, 2, "end_dim", -1))
    for key in (torch.softmax, F.softmax, "softmax"):
        table[key] = lambda n: nn.Softmax(dim=_arg(n, 1, "dim", None))
    for key in (torch.permute, "permute"):
        table[key] = lambda n: layers.Permute(_sizes(n, "dims"))
    table[F.leaky_relu] = lambda n: nn.LeakyReLU(_arg(n, 1, "negative_slope", 0.01))
    table[F.dropout] = lambda n: nn.Dropout(_arg(n, 1, "p", 0.5))
    table[F.adaptive_avg_pool2d] = lambda n: nn.AdaptiveAvgPool2d(_arg(n, 1, "output_size", 1))
    table["contiguous"] = lambda n: nn.Identity()
    table[torch.cat] = lambda n: layers.Cat(_arg(n, 1, "dim", 0))
    return table


def _sizes(node, keyword: str) -> tuple:
    """The sizes of ``x.view(2, 3)``, ``x.view((2, 3))`` or ``x.view(shape=(2, 3))``."""
    if keyword in node.kwargs:
        return tuple(node.kwargs[keyword])
    if len(node.args) == 2 and isinstance(node.args[1], tuple | list):
        return tuple(node.args[1])
    return tuple(node.args[1:])


def _reshape(node, sizes: dict) -> layers.Reshape:
    """``x.view(...)``/``reshape``: ``x.size(d)`` at position d becomes ONNX's copy-size 0."""
    shape = _sizes(node, "shape")
    target, copies = [], False
    for position, size in enumerate(shape):
        if isinstance(size, int):
            target.append(size)
        elif sizes.get(size) == position:
            target.append(0)
            copies = True
        else:
            raise UnsupportedError(f"from_torch cannot convert the reshape {node.format_node()}: "
                                   "sizes must be ints or x.size(d) at position d")
    if copies and 0 in [s for s in shape if isinstance(s, int)]:
        raise UnsupportedError(f"from_torch cannot convert the reshape {node.format_node()}")
    return layers.Reshape(target, allowzero=not copies)


def _tensor_inputs(node, fx) -> list:
    args = node.args[0] if node.target in ("cat",) or (
        node.op == "call_function" and isinstance(node.args[0], tuple | list)) else node.args
    if node.op == "call_method" and node.target in ("view", "reshape", "flatten", "permute",
                                                    "softmax"):
        args = node.args[:1]
    inputs = [a for a in args if isinstance(a, fx.Node)]
    stray = [a for a in (*args, *node.kwargs.values()) if isinstance(a, fx.Node)
             and a not in inputs]
    if stray or not inputs or (node.target in (operator.add, operator.mul, "add", "mul")
                               and len(inputs) != len(node.args)):
        raise UnsupportedError(f"from_torch cannot convert {node.format_node()}: convlens maps "
                               "it only when its tensor arguments are graph values (no Python "
                               "scalars)")
    return inputs


def trace(module, convert) -> Graph:
    """Trace ``module`` and convert each node; ``convert`` converts submodules."""
    import torch
    import torch.fx as fx

    try:
        traced = fx.symbolic_trace(module)
    except Exception as error:  # fx raises many types; say which module and why
        raise UnsupportedError(f"from_torch cannot trace {type(module).__qualname__} with "
                               f"torch.fx ({type(error).__name__}: {error}); convert a "
                               "Sequential or a traceable module") from None
    table, layer_of, sizes = _function_table(torch), {}, {}
    children, steps, inputs, outputs = {}, [], [], []
    for node in traced.graph.nodes:
        if node.op == "placeholder":
            inputs.append(node.name)
        elif node.op == "output":
            result = node.args[0]
            outputs = [n.name for n in (result if isinstance(result, tuple | list) else [result])]
        elif node.op == "call_method" and node.target == "size" and len(node.args) == 2:
            sizes[node] = node.args[1]
        elif node.op == "call_module":
            if node.target not in layer_of:
                name = node.name + "_" if hasattr(Graph, node.name) else node.name
                children[name] = convert(traced.get_submodule(node.target))
                layer_of[node.target] = name
            steps.append((layer_of[node.target], [a.name for a in _tensor_inputs(node, fx)],
                          node.name))
        elif node.op in ("call_function", "call_method") and (
                node.target in table or node.target in ("view", "reshape")):
            layer = _reshape(node, sizes) if node.target in ("view", "reshape") else \
                table[node.target](node)
            name = node.name + "_" if hasattr(Graph, node.name) else node.name
            children[name] = layer
            steps.append((name, [a.name for a in _tensor_inputs(node, fx)], node.name))
        else:
            raise UnsupportedError(f"from_torch has no rule for {node.format_node()} in "
                                   f"{type(module).__qualname__}")
    return Graph(children, steps, inputs, outputs)
