"""The data-flow graph of one forward pass, as the explorer draws it.

:func:`run_graph` calls the model once on a batch with forward hooks on every module. Each
call of a leaf module (Conv2d, ReLU, an ONNX ``Add``, ...) becomes a :class:`Node` that knows
which earlier nodes it read, so skip connections and concatenations come out as edges. A
container whose output no leaf made (``nn.Residual`` adds its branches, ``nn.Concat`` stacks
them) becomes a node of its own that reads the branches' last nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ... import nn
from ...autograd import no_grad
from ...tensor import Tensor
from .._geometry import Geometry, layer_geometry
from ..hooks import evaluating

_PASS_THROUGH = (nn.Sequential, nn.ModuleList)


@dataclass
class Node:
    """One value in the forward pass: the input, or the output of one layer call.

    ``inputs`` are indices of earlier nodes; ``sources`` the arrays the layer was called with
    (batched, as the layer saw them); ``output`` is the batched output array.
    """

    index: int
    name: str
    module: nn.Module | None
    inputs: list[int]
    output: np.ndarray
    sources: list[np.ndarray] = field(default_factory=list)
    geometry: Geometry | None = None

    @property
    def type(self) -> str:
        return "Input" if self.module is None else type(self.module).__name__


def _spatial(array: np.ndarray, nd: int) -> tuple[int, ...] | None:
    return tuple(array.shape[2:]) if array.ndim == nd + 2 else None


class _Recorder:
    """Forward hooks that turn layer calls into nodes."""

    def __init__(self, model: nn.Module, x: Tensor) -> None:
        self.nd = x.ndim - 2
        self.names = {id(m): name for name, m in model.named_modules()}
        self.names[id(model)] = self.names.get(id(model)) or type(model).__name__
        self.nodes = [Node(0, "input", None, [], x._data, geometry=Geometry.identity(self.nd))]
        self.producer = {id(x): 0}
        self.keep: list[Any] = [x]  # ids stay unique while their tensors live
        self.spans: dict[int, list[tuple[int, list[int]]]] = {}
        self.used: set[int] = set()

    def node_of(self, tensor: Any) -> int | None:
        if id(tensor) in self.producer:
            return self.producer[id(tensor)]
        if not isinstance(tensor, Tensor):
            return None
        # Made by code between layers (an F.relu in a custom forward): the latest node of the
        # same shape is where it comes from.
        for node in reversed(self.nodes):
            if node.output.shape == tuple(tensor.shape):
                return node.index
        return len(self.nodes) - 1

    def before(self, module: nn.Module, inputs: tuple) -> None:
        found = [self.node_of(t) for t in inputs if isinstance(t, Tensor)]
        reads = [i for i in found if i is not None]
        self.spans.setdefault(id(module), []).append((len(self.nodes), reads))
        if not module._modules:
            self.used.update(reads)

    def after(self, module: nn.Module, inputs: tuple, output: Any) -> None:
        start, reads = self.spans[id(module)].pop()
        if not isinstance(output, Tensor) or id(output) in self.producer:
            return
        if module._modules:
            if isinstance(module, _PASS_THROUGH):
                return
            made = range(start, len(self.nodes))
            inner = {i for n in made for i in self.nodes[n].inputs}
            reads = [n for n in made if n not in inner and self.nodes[n].inputs]
            if isinstance(module, nn.Residual) and module.shortcut is None:
                reads = reads + [self.node_of(inputs[0])]
        name = self.names.get(id(module), type(module).__name__)
        taken = {node.name for node in self.nodes}
        count, unique = 2, name
        while unique in taken:
            unique, count = f"{name}#{count}", count + 1
        sources = [t._data for t in inputs if isinstance(t, Tensor)]
        node = Node(len(self.nodes), unique, module, reads, output._data, sources)
        node.geometry = self._geometry(node)
        self.nodes.append(node)
        self.producer[id(output)] = node.index
        self.keep.append(output)

    def _geometry(self, node: Node) -> Geometry | None:
        out_size = _spatial(node.output, self.nd)
        if out_size is None or not node.inputs:
            return None
        parents = [self.nodes[i] for i in node.inputs]
        if node.module is not None and not node.module._modules and len(parents) == 1:
            in_size = _spatial(parents[0].output, self.nd)
            if in_size is None:
                return None
            return layer_geometry(node.module, parents[0].geometry, in_size, out_size)
        # A merge (add or concat): its units see what the widest same-sized branch sees.
        found = [p.geometry for p in parents
                 if p.geometry is not None and _spatial(p.output, self.nd) == out_size]
        return max(found, key=lambda g: int(np.prod(g.size)), default=None)


def run_graph(model: nn.Module, x: Tensor) -> tuple[list[Node], int]:
    """Run ``model(x)`` in eval mode without grad; return its nodes in call order and the
    index of the node that is the model's output.

    Node 0 is the input. Constants (nodes that read nothing) are for the caller to leave out.
    """
    recorder = _Recorder(model, x)
    handles = []
    for module in model.modules():
        if module is not model or not model._modules:
            handles.append(module.register_forward_pre_hook(recorder.before))
            handles.append(module.register_forward_hook(recorder.after))
    try:
        with evaluating(model), no_grad():
            output = model(x)
    finally:
        for handle in handles:
            handle.remove()
    return recorder.nodes, recorder.producer.get(id(output), len(recorder.nodes) - 1)
