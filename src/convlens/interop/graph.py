"""``Graph``: a model that runs its layers in the order of a data-flow graph (a DAG).

Imported ONNX models and traced PyTorch modules whose wiring is not a plain chain become a
``Graph``: its children are ordinary layers (``Conv2d``, ``BatchNorm2d``, ``Linear``, ... and
the small ones in :mod:`convlens.interop.layers`), and ``steps`` says which named values each
layer reads and which value it writes. It is a registered module, so it saves with
``convlens.save``, explains, fine-tunes and exports like any other model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .. import nn
from ..tensor import Tensor


def _check_steps(layers: Mapping[str, nn.Module], steps: list[tuple[str, tuple, str]],
                 inputs: tuple[str, ...], outputs: tuple[str, ...]) -> None:
    """Raise ValueError unless every value is written once, before it is read."""
    defined = set(inputs)
    if len(defined) != len(inputs):
        raise ValueError(f"Graph inputs must be distinct; got {list(inputs)}")
    for index, (layer, reads, writes) in enumerate(steps):
        if layer not in layers:
            raise ValueError(f"Graph step {index} names layer {layer!r}, which is not one of "
                             f"the layers")
        missing = [name for name in reads if name not in defined]
        if missing:
            raise ValueError(f"Graph step {index} ({layer!r}) reads {missing}, which no "
                             "earlier step writes (steps must be in topological order)")
        if writes in defined:
            raise ValueError(f"Graph step {index} ({layer!r}) writes {writes!r}, which is "
                             "already defined")
        defined.add(writes)
    missing = [name for name in outputs if name not in defined]
    if missing or not outputs:
        raise ValueError(f"Graph outputs {missing or '[]'} are not written by any step")


@nn.register
class Graph(nn.Module):
    """Run named layers over named values, in topological order.

    Parameters
    ----------
    layers : mapping of str to Module
        The children; a layer may appear in several steps (shared weights).
    steps : sequence of (layer, inputs, output)
        ``layer`` names a child, ``inputs`` the values it is called with, ``output`` the value
        it defines. A step with no inputs (a ``layers.Constant``) defines a constant.
    inputs : sequence of str
        The names bound to the positional arguments of ``forward``.
    outputs : sequence of str
        The values returned: one Tensor for one name, a tuple otherwise.

    Raises
    ------
    ValueError
        If a step reads a value before it is written, writes one twice, or names a missing
        layer.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> from convlens.interop import Graph, layers
    >>> g = Graph({"fc": nn.Linear(3, 3), "relu": nn.ReLU(), "add": layers.Add()},
    ...           [("fc", ["x"], "h"), ("relu", ["h"], "r"), ("add", ["r", "x"], "y")],
    ...           inputs=["x"], outputs=["y"])
    >>> g(cl.tensor(np.ones((2, 3), np.float32))).shape
    (2, 3)
    """

    def __init__(self, layers: Mapping[str, nn.Module], steps: Sequence[Sequence[Any]],
                 inputs: Sequence[str], outputs: Sequence[str]) -> None:
        super().__init__()
        for name, layer in layers.items():
            self.add_module(name, layer)
        self.steps = [(str(layer), tuple(reads), str(writes)) for layer, reads, writes in steps]
        self.inputs, self.outputs = tuple(inputs), tuple(outputs)
        _check_steps(self._modules, self.steps, self.inputs, self.outputs)
        # Free each value after its last reader, so memory follows the live set, not the graph.
        last_use: dict[str, int] = {}
        for index, (_, reads, _) in enumerate(self.steps):
            for name in reads:
                last_use[name] = index
        self._release = [[n for n in set(reads) if last_use[n] == i and n not in self.outputs]
                         for i, (_, reads, _) in enumerate(self.steps)]

    def forward(self, *inputs: Tensor) -> Tensor | tuple[Tensor, ...]:
        if len(inputs) != len(self.inputs):
            raise ValueError(f"Graph expects {len(self.inputs)} input(s) ({list(self.inputs)}); "
                             f"got {len(inputs)}")
        values = dict(zip(self.inputs, inputs))
        for (layer, reads, writes), release in zip(self.steps, self._release):
            values[writes] = self._modules[layer](*(values[name] for name in reads))
            for name in release:
                del values[name]
        result = tuple(values[name] for name in self.outputs)
        return result[0] if len(result) == 1 else result

    def extra_repr(self) -> str:
        return f"inputs={list(self.inputs)}, outputs={list(self.outputs)}, steps={len(self.steps)}"

    def get_config(self) -> dict[str, Any]:
        return {"layers": dict(self._modules),
                "steps": [[layer, list(reads), writes] for layer, reads, writes in self.steps],
                "inputs": list(self.inputs), "outputs": list(self.outputs)}
