"""``from_onnx``: read an ONNX file into a runnable convlens model, without the ``onnx`` package.

The file is decoded by convlens's own bounded protobuf reader (nothing in it is executed or
unpickled), checked (size limits, every value defined once, no cycles), sorted
topologically, and each node is turned into layers by its rule in :mod:`.onnx_ops`. A plain
chain becomes an ``nn.Sequential``; any other DAG a :class:`~convlens.interop.Graph`.
"""

from __future__ import annotations

import heapq
import os
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..tensor import Tensor
from . import _onnx_format as fmt
from . import layers
from .errors import ModelFileError, UnsupportedError
from .graph import Graph
from .onnx_ops import RULES
from .safetensors_io import _refuse_pickle

SUPPORTED_OPS: tuple[str, ...] = tuple(sorted(RULES))
FOLD_SLACK = 2**20  # bytes of folded constants allowed beyond the file's size
# Ops evaluated at import time when all their inputs are constants: none of them makes more
# data than it reads, but a chain of them can re-read its own output (Concat(x, x) doubles),
# so the bytes folded in all are bounded by the file's own size (see Builder.fold).
_FOLDABLE = (nn.Identity, nn.Dropout, nn.Flatten, layers.Reshape, layers.Permute,
             layers.FlattenTo2d, layers.Cat)


@dataclass
class Node:
    """One decoded NodeProto."""

    op_type: str
    name: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)


class Builder:
    """Collects layers and steps while the rules of :mod:`.onnx_ops` run, node by node."""

    def __init__(self, constants: dict[str, np.ndarray], ranks: dict[str, int | None],
                 opset: int, fold_budget: int = 2**62) -> None:
        self.constants, self.ranks, self.opset = constants, ranks, opset
        self.layers: dict[str, nn.Module] = {}
        self.steps: list[tuple[str, list[str], str]] = []
        self._defined: set[str] = set()
        self._next_suffix: dict[str, int] = {}
        self.fold_budget, self.folded = fold_budget, 0

    def input(self, node: Node, index: int) -> str:
        return node.inputs[index] if index < len(node.inputs) else ""

    def constant(self, name: str) -> np.ndarray | None:
        return self.constants.get(name) if name else None

    def constant_input(self, node: Node, index: int, what: str,
                       optional: bool = False) -> np.ndarray | None:
        name = self.input(node, index)
        if not name and optional:
            return None
        value = self.constants.get(name)
        if value is None:
            source = f"{name!r} is computed by the graph" if name else "it is missing"
            raise UnsupportedError(f"ONNX {node.op_type} node {node.name!r}: {what} (input "
                                   f"{index}) must be a constant, but {source}")
        return value

    def rank(self, name: str) -> int | None:
        return self.ranks.get(name)

    def charge_fold(self, nbytes: int, what: str, keep: bool = True) -> None:
        """Count ``nbytes`` of constants made at import time against the file's size
        (``keep=False``: only check that they would fit)."""
        if self.folded + nbytes > self.fold_budget:
            raise ModelFileError(f"{what}: constants made while importing would exceed "
                                 f"{self.fold_budget} bytes (the file's size plus "
                                 f"{FOLD_SLACK}); refusing a graph that expands itself")
        self.folded += nbytes if keep else 0

    def fold(self, name: str, array: np.ndarray) -> None:
        self.charge_fold(array.nbytes, f"value {name!r}")
        self.constants[name], self.ranks[name] = array, array.ndim

    def _layer_name(self, node: Node, suffix: str) -> str:
        base = re.sub(r"[^0-9A-Za-z_]+", "_", node.name or node.op_type).strip("_") or "node"
        base = f"{base}_{suffix}" if suffix else base
        # Numbering resumes where the last clash of this base stopped, so n nodes with one
        # name take O(n) steps in all, not O(n^2).
        name, index = base, self._next_suffix.get(base, 1)
        if index > 1:
            name = f"{base}_{index}"
        while name in self.layers or hasattr(Graph, name):
            index += 1
            name = f"{base}_{index}"
        self._next_suffix[base] = index
        return name

    def _materialize(self, name: str) -> None:
        """Make a constant that a computed step reads into a ``layers.Constant`` step."""
        if name in self._defined:
            return
        value = self.constants[name]
        if value.dtype.kind not in "fiub":
            raise UnsupportedError(f"constant {name!r} of dtype {value.dtype} cannot be used")
        layer = layers.Constant(value.shape, str(value.dtype))
        layer.value.data = value
        layer_name = self._layer_name(Node("Constant", f"const_{name}", [], [name]), "")
        self.layers[layer_name] = layer
        self.steps.append((layer_name, [], name))
        self._defined.add(name)

    def add(self, layer: nn.Module, node: Node, inputs: list[str], suffix: str = "",
            rank: int | None = -1) -> str:
        """Add a step computing ``layer(*inputs)``; returns the name of its output value.

        The node's own output is the result of its last step (no ``suffix``); helper steps
        before it (a transpose, a pad) get a suffixed name.
        """
        output = node.outputs[0] if not suffix else f"{node.outputs[0]}/{suffix}"
        known = [self.ranks.get(name) for name in inputs]
        self.ranks[output] = rank if rank != -1 else (
            max(known) if known and None not in known else None)
        if inputs and all(name in self.constants for name in inputs) and isinstance(
                layer, _FOLDABLE):
            # No foldable op's output exceeds its inputs' bytes: charge before computing.
            self.charge_fold(sum(self.constants[name].nbytes for name in inputs),
                             f"ONNX {node.op_type} node {node.name!r}", keep=False)
            try:
                layer.eval()
                with no_grad():
                    value = layer(*(Tensor(self.constants[name]) for name in inputs))
            except (ValueError, TypeError, IndexError) as error:
                raise UnsupportedError(f"ONNX {node.op_type} node {node.name!r} on constants "
                                       f"failed: {error}") from None
            self.fold(output, np.array(value.numpy()))
            return output
        for name in inputs:
            if name in self.constants:
                self._materialize(name)
        layer_name = self._layer_name(node, suffix)
        self.layers[layer_name] = layer
        self.steps.append((layer_name, list(inputs), output))
        self._defined.add(output)
        return output


def _nodes(graph: dict[str, Any], max_nodes: int, max_elements: int) -> list[Node]:
    if len(graph["node"]) > max_nodes:
        raise ModelFileError(f"the graph has {len(graph['node'])} nodes, more than "
                             f"max_nodes={max_nodes}")
    nodes = []
    for index, raw in enumerate(graph["node"]):
        node = Node(raw.get("op_type", ""), raw.get("name") or f"node{index}",
                    list(raw["input"]), list(raw["output"]))
        if raw.get("domain", "") not in ("", "ai.onnx"):
            raise UnsupportedError(f"ONNX node {node.name!r} uses operator {node.op_type!r} "
                                   f"from domain {raw['domain']!r}; convlens reads the default "
                                   f"domain's operators: {', '.join(SUPPORTED_OPS)}")
        if node.op_type not in RULES:
            raise UnsupportedError(f"ONNX operator {node.op_type!r} (node {node.name!r}) is not "
                                   f"supported; supported operators: {', '.join(SUPPORTED_OPS)}")
        if not node.outputs or not node.outputs[0]:
            raise ModelFileError(f"ONNX node {node.name!r} ({node.op_type}) has no output")
        for attribute in raw["attribute"]:
            node.attrs[attribute.get("name", "")] = fmt.attribute_value(attribute, max_elements)
        nodes.append(node)
    return nodes


def topological_order(nodes: list[Node], known: set[str]) -> list[Node]:
    """The nodes in an order where each runs after the nodes that define its inputs.

    Raises ModelFileError for a value defined twice, an input nothing defines, or a cycle.
    """
    producer: dict[str, int] = {}
    for index, node in enumerate(nodes):
        for name in node.outputs:
            if name and (name in producer or name in known):
                raise ModelFileError(f"value {name!r} is defined twice (again by node "
                                     f"{node.name!r})")
            if name:
                producer[name] = index
    waiting, readers = [0] * len(nodes), [[] for _ in nodes]
    for index, node in enumerate(nodes):
        for source in {producer.get(n) for n in node.inputs if n and n not in known}:
            if source is None:
                missing = [n for n in node.inputs if n and n not in known and n not in producer]
                raise ModelFileError(f"ONNX node {node.name!r} ({node.op_type}) reads "
                                     f"{missing[0]!r}, which no node, input or initializer "
                                     "defines")
            waiting[index] += 1
            readers[source].append(index)
    ready = [index for index, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)  # among ready nodes keep the file's order
    order = []
    while ready:
        index = heapq.heappop(ready)
        order.append(nodes[index])
        for reader in readers[index]:
            waiting[reader] -= 1
            if waiting[reader] == 0:
                heapq.heappush(ready, reader)
    if len(order) != len(nodes):
        stuck = next(node for index, node in enumerate(nodes) if waiting[index])
        raise ModelFileError(f"the ONNX graph has a cycle through node {stuck.name!r} "
                             f"({stuck.op_type})")
    return order


def _apply_rule(builder: Builder, node: Node) -> None:
    """Run the node's rule; a layer refusing the node's values is the file's fault, named so."""
    try:
        RULES[node.op_type](builder, node)
    except (UnsupportedError, ModelFileError):
        raise
    except KeyError as error:
        raise ModelFileError(f"ONNX {node.op_type} node {node.name!r} lacks the required "
                             f"attribute {error}") from None
    except (ValueError, TypeError, IndexError, OverflowError) as error:
        raise ModelFileError(f"ONNX {node.op_type} node {node.name!r} is invalid: "
                             f"{error}") from None


def _rank(value_info: dict[str, Any]) -> int | None:
    tensor_type = value_info.get("type", {}).get("tensor_type", {})
    return len(tensor_type["shape"]["dim"]) if "shape" in tensor_type else None


def _opset(model: dict[str, Any]) -> int:
    versions = [entry.get("version", 0) for entry in model["opset_import"]
                if entry.get("domain", "") in ("", "ai.onnx")]
    if not versions:
        raise ModelFileError("the ONNX model imports no opset of the default domain")
    if not 7 <= versions[0] <= 28:
        raise UnsupportedError(f"ONNX opset {versions[0]} is not supported (7 to 28 are)")
    return versions[0]


def _refuse_convlens_file(path: str, head: bytes) -> None:
    """A convlens model file is a zip too: point to convlens.load instead of torch advice."""
    if head.startswith(b"PK\x03\x04") and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            if "architecture.json" in archive.namelist():
                raise ModelFileError(f"{path!r} is a convlens model file, not ONNX; load it "
                                     "with convlens.load")


def _read(path: str, max_bytes: int) -> bytes:
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        head = stream.read(8)
        _refuse_convlens_file(path, head)
        _refuse_pickle(path, head)  # by suffix, or a pickle's or zip's first bytes
        if size > max_bytes:
            raise ModelFileError(f"{path!r} has {size} bytes, more than max_bytes={max_bytes}")
        stream.seek(0)
        return stream.read()


def _as_model(graph: Graph) -> nn.Module:
    """An ``nn.Sequential`` when the graph is a plain chain of one-input layers, else ``graph``."""
    steps, previous = graph.steps, graph.inputs[0] if len(graph.inputs) == 1 else None
    chain = [layer for layer, _, _ in steps]
    for _, reads, writes in steps:
        if list(reads) != [previous]:
            return graph
        previous = writes
    if list(graph.outputs) != [previous] or len(set(chain)) != len(chain) or not chain:
        return graph
    return nn.Sequential(*(graph._modules[name] for name in chain))


def from_onnx(path: str | os.PathLike, *, max_bytes: int = 2**31, max_nodes: int = 100_000,
              max_elements: int = 2**28) -> nn.Module:
    """Read an ONNX model into convlens layers (returned in eval mode).

    Parameters
    ----------
    path : str or os.PathLike
    max_bytes : int, default 2**31
        Refuse larger files (before reading them).
    max_nodes : int, default 100_000
        Refuse graphs with more nodes.
    max_elements : int, default 2**28
        Refuse any tensor that declares more elements.

    Returns
    -------
    nn.Module
        An ``nn.Sequential`` for a chain of layers, else a :class:`Graph`; either holds stock
        layers (``Conv2d``, ``BatchNorm2d``, ``Linear``, ...) wherever one fits, so the model
        can be explained, fine-tuned, saved with ``convlens.save`` and exported again.

    Raises
    ------
    UnsupportedError
        For an operator outside :data:`SUPPORTED_OPS` (naming the op and node), another
        domain, or attributes convlens cannot honour.
    ModelFileError
        For a malformed or truncated file, a limit exceeded, a value defined twice or never,
        or a cycle.

    Examples
    --------
    >>> import os, tempfile, numpy as np, convlens as cl
    >>> from convlens import interop
    >>> path = os.path.join(tempfile.mkdtemp(), "lenet.onnx")
    >>> model = cl.models.create("lenet5").eval()
    >>> _ = interop.to_onnx(model, path, (1, 28, 28))
    >>> x = cl.tensor(np.ones((2, 1, 28, 28), np.float32))
    >>> bool(np.allclose(interop.from_onnx(path)(x).numpy(), model(x).numpy(), atol=1e-6))
    True
    """
    path = os.fspath(path)
    try:
        model = fmt.decode_model(_read(path, max_bytes))
    except ModelFileError as error:
        if str(error).startswith(repr(path)):
            raise
        raise ModelFileError(f"{path!r} is not a readable ONNX model: {error}") from None
    opset, graph = _opset(model), model["graph"]
    constants = {t.get("name", ""): fmt.tensor_to_array(t, max_elements)
                 for t in graph["initializer"]}
    inputs = [vi for vi in graph["input"] if vi.get("name", "") not in constants]
    ranks = {vi.get("name", ""): _rank(vi) for vi in inputs}
    ranks.update({name: array.ndim for name, array in constants.items()})
    if not inputs or any(not vi.get("name") for vi in inputs):
        raise ModelFileError("the ONNX graph has no named input")
    nodes = _nodes(graph, max_nodes, max_elements)
    builder = Builder(constants, ranks, opset, os.path.getsize(path) + FOLD_SLACK)
    for node in topological_order(nodes, set(ranks)):
        _apply_rule(builder, node)
    outputs = [vi.get("name", "") for vi in graph["output"]]
    for name in outputs:
        if name in constants:
            builder._materialize(name)
    input_names = [vi["name"] for vi in inputs]
    try:
        result = Graph(builder.layers, builder.steps, input_names, outputs)
    except ValueError as error:
        raise ModelFileError(f"the ONNX graph is inconsistent: {error}") from None
    return _as_model(result).eval()
