"""``to_onnx``: write a convlens model as an ONNX file, without the ``onnx`` package.

The model is walked module by module; each layer type has a rule (see :mod:`._export_rules`)
that emits ONNX nodes. A probe batch runs through the model alongside (in eval mode, without
recording a graph), so every rule knows its input's exact shape: that is how padding strings,
adaptive pooling and flattening become fixed ONNX attributes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate, nn
from .._atomic import atomic_write
from .._version import __version__
from ..autograd import no_grad
from ..tensor import Tensor
from . import _onnx_format as fmt
from .errors import UnsupportedError

# The IR version that each opset was released with (onnx/helper.py's VERSION_TABLE).
IR_VERSIONS = {13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10}
BATCH_DIM = "N"


@dataclass(frozen=True)
class Value:
    """A value of the ONNX graph: its name, and the probe tensor convlens computed for it."""

    name: str
    probe: Tensor

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.probe.shape)


class Exporter:
    """Collects nodes and initializers; rules call :meth:`node`, :meth:`constant` and
    :meth:`export`."""

    def __init__(self, opset: int) -> None:
        self.opset = opset
        self.nodes: list[list[Any]] = []  # [op_type, inputs, outputs, name, attributes]
        self.initializers: list[bytes] = []
        self._used: set[str] = set()

    def fresh(self, hint: str) -> str:
        name, index = hint or "value", 1
        while name in self._used:
            index += 1
            name = f"{hint}_{index}"
        self._used.add(name)
        return name

    def constant(self, hint: str, array: Any) -> str:
        name = self.fresh(hint)
        self.initializers.append(fmt.encode_tensor(name, np.asarray(array)))
        return name

    def ints(self, hint: str, values: Sequence[int]) -> str:
        return self.constant(hint, np.asarray(values, np.int64))

    def node(self, op_type: str, inputs: Sequence[str], path: str,
             **attributes: Any) -> str:
        """Add one node; returns the name of its (single) output."""
        output = self.fresh(f"{path}/{op_type}" if path else op_type)
        self.nodes.append([op_type, list(inputs), [output], output, attributes])
        return output

    def export(self, module: nn.Module, inputs: list[Value], path: str) -> Value:
        """Emit the nodes of ``module`` applied to ``inputs``; returns its output value."""
        from ._export_rules import rule_for

        rule = rule_for(module)
        if rule is None:
            raise UnsupportedError(
                f"to_onnx has no rule for {type(module).__module__}.{type(module).__qualname__} "
                f"(at {path or 'the model'!r}); supported: {', '.join(supported_layers())}")
        return rule(self, module, inputs, path)


def supported_layers() -> list[str]:
    """Names of the module types :func:`to_onnx` can export."""
    from ._export_rules import RULES

    return sorted(cls.__name__ for cls in RULES)


def _float_dtype(model: nn.Module) -> np.dtype:
    dtypes = {p.dtype for p in model.parameters() if p.dtype.kind == "f"}
    if len(dtypes) > 1:
        raise ValueError(f"to_onnx needs all parameters of one dtype; got "
                         f"{sorted(map(str, dtypes))}")
    return dtypes.pop() if dtypes else np.dtype(np.float32)


def _write_atomically(path: str, data: bytes) -> None:
    with atomic_write(path) as stream:
        stream.write(data)


def _trace(model: nn.Module, shape: tuple[int, ...], dtype: np.dtype, opset: int) -> Exporter:
    exporter = Exporter(opset)
    probe = Value(exporter.fresh("input"), Tensor(np.zeros(shape, dtype)))
    modes = [(module, module.training) for module in model.modules()]
    model.eval()  # export is eval-mode: running statistics, no dropout
    try:
        with no_grad():
            output = exporter.export(model, [probe], "")
    finally:
        for module, training in modes:
            object.__setattr__(module, "training", training)
    if output.name == probe.name:  # a graph output must be produced by a node
        output = Value(exporter.node("Identity", [probe.name], ""), output.probe)
    exporter.graph_input, exporter.graph_output = probe, output
    return exporter


def to_onnx(model: nn.Module, path: str | os.PathLike, input_shape: Sequence[int],
            opset: int = 17, dynamic_batch: bool = True) -> str:
    """Write ``model`` (in eval mode) to an ONNX file.

    Parameters
    ----------
    model : nn.Module
        Built from convlens layers and containers (``Sequential``, ``Residual``, ``Concat``,
        an imported ``Graph``); :func:`supported_layers` lists them.
    path : str or os.PathLike
        Written atomically (a temporary file in the same folder, then renamed).
    input_shape : sequence of int
        One example's shape without the batch, e.g. ``(1, 28, 28)``.
    opset : int, default 17
        ONNX opset, 13 to 21. Circular padding uses ``Pad(mode="wrap")`` from opset 19 and
        slices otherwise.
    dynamic_batch : bool, default True
        Make the batch dimension symbolic ("N"); False fixes it to 1.

    Returns
    -------
    str
        ``path``.

    Raises
    ------
    UnsupportedError
        For a layer with no ONNX rule, or settings ONNX cannot express (e.g. an adaptive pool
        whose input size is not a multiple of its output size).
    ValueError, TypeError
        For a bad ``input_shape`` or ``opset``.

    Notes
    -----
    Padding strings ("same", "full", "valid") become explicit pads for ``input_shape``
    ("same" puts an odd extra pixel at the end, as ONNX's SAME_UPPER). Padding modes that
    ONNX ``Conv`` lacks become a ``Pad`` node (reflect, edge, wrap) before an unpadded conv.

    Examples
    --------
    >>> import os, tempfile, convlens as cl
    >>> from convlens import interop
    >>> path = os.path.join(tempfile.mkdtemp(), "lenet.onnx")
    >>> interop.to_onnx(cl.models.create("lenet5"), path, (1, 28, 28)) == path
    True
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module; got {type(model).__name__}")
    shape = _validate.int_tuple(tuple(input_shape), len(tuple(input_shape)), "input_shape")
    if isinstance(opset, bool) or opset not in IR_VERSIONS:
        raise ValueError(f"opset must be an int from {min(IR_VERSIONS)} to {max(IR_VERSIONS)}; "
                         f"got {opset!r}")
    if not isinstance(dynamic_batch, bool):
        raise TypeError(f"dynamic_batch must be a bool; got {dynamic_batch!r}")
    dtype = _float_dtype(model)
    exporter = _trace(model, (1, *shape), dtype, opset)
    code = fmt.CODES[dtype]
    batch = BATCH_DIM if dynamic_batch else 1
    x, y = exporter.graph_input, exporter.graph_output
    data = fmt.encode_model(
        "convlens", [fmt.encode_node(op, ins, outs, name, attrs)
                     for op, ins, outs, name, attrs in exporter.nodes],
        exporter.initializers,
        [fmt.encode_value_info(x.name, code, [batch, *x.shape[1:]])],
        [fmt.encode_value_info(y.name, code, [batch, *y.shape[1:]])],
        opset, IR_VERSIONS[opset], ("convlens", __version__))
    path = os.fspath(path)
    _write_atomically(path, data)
    return path
