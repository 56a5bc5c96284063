"""Import rules for activations, elementwise arithmetic, ReduceMean and the normalisations.

Registered into :data:`convlens.interop.onnx_ops.RULES` when that module loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .layers_elementwise import Binary, Clip, Elementwise, PRelu, ReduceMean
from .layers_norm import (
    LayerNormStat,
    OnnxBatchNorm,
    OnnxGroupNorm,
    OnnxInstanceNorm,
    OnnxLayerNorm,
)
from .onnx_ops import RULES, _unsupported, op

if TYPE_CHECKING:
    from .onnx_import import Builder, Node

_SELU_ALPHA, _SELU_GAMMA = 1.67326319217681884765625, 1.05070102214813232421875
_DEFAULTS = {"Elu": (1.0, 0.0), "Celu": (1.0, 0.0), "Selu": (_SELU_ALPHA, _SELU_GAMMA),
             "HardSigmoid": (0.2, 0.5)}


def _inputs(node: Node) -> list[str]:
    return [name for name in node.inputs if name]


def _single_output(node: Node) -> None:
    if any(node.outputs[1:]):
        raise _unsupported(node, "only the first output is supported")


@op("Elu", "Celu", "Softsign", "Selu", "Softplus", "HardSigmoid", "HardSwish", "Gelu", "Erf",
    "Sqrt", "Exp", "Neg", "Abs")
def _unary(b: Builder, node: Node) -> None:
    alpha, beta = _DEFAULTS.get(node.op_type, (0.0, 0.0))
    alpha = float(node.attrs.get("alpha", alpha))
    beta = float(node.attrs.get("gamma" if node.op_type == "Selu" else "beta", beta))
    if node.op_type == "Gelu":
        mode = node.attrs.get("approximate", b"none")
        mode = mode.decode("utf-8", "replace") if isinstance(mode, bytes) else str(mode)
        if mode not in ("none", "tanh"):
            raise _unsupported(node, f"unknown approximate {mode!r}")
        alpha = float(mode == "tanh")
    b.add(Elementwise(node.op_type, alpha, beta), node, node.inputs[:1])


@op("Sub", "Div", "Pow")
def _binary(b: Builder, node: Node) -> None:
    b.add(Binary(node.op_type), node, node.inputs[:2])


@op("Clip")
def _clip(b: Builder, node: Node) -> None:
    if b.opset < 11:
        low, high = node.attrs.get("min"), node.attrs.get("max")
        b.add(Clip(None if low is None else float(low), None if high is None else float(high)),
              node, node.inputs[:1])
        return
    bounds = [b.input(node, 1), b.input(node, 2)]
    values = [b.constant(name) for name in bounds]
    if all(not name or value is not None for name, value in zip(bounds, values)):
        low, high = (None if v is None else float(v.reshape(-1)[0]) for v in values)
        b.add(Clip(low, high), node, node.inputs[:1])
    else:
        computed = [key for key, name in zip(("low", "high"), bounds) if name]
        b.add(Clip(computed=computed), node, [node.inputs[0], *(n for n in bounds if n)])


@op("PRelu")
def _prelu(b: Builder, node: Node) -> None:
    b.add(PRelu(), node, node.inputs[:2])


@op("ReduceMean")
def _reduce_mean(b: Builder, node: Node) -> None:
    keep = bool(node.attrs.get("keepdims", 1))
    rank = b.rank(node.inputs[0]) if keep else None
    if b.opset < 18:
        b.add(ReduceMean(node.attrs.get("axes", ()), keep), node, node.inputs[:1], rank=rank)
        return
    noop = bool(node.attrs.get("noop_with_empty_axes", 0))
    axes = b.constant(b.input(node, 1))
    if axes is not None or not b.input(node, 1):
        layer = ReduceMean(() if axes is None else axes.reshape(-1).tolist(), keep, noop)
        b.add(layer, node, node.inputs[:1], rank=rank)
    else:
        b.add(ReduceMean((), keep, noop), node, node.inputs[:2], rank=rank)


@op("LayerNormalization")
def _layer_norm(b: Builder, node: Node) -> None:
    axis, eps = int(node.attrs.get("axis", -1)), float(node.attrs.get("epsilon", 1e-5))
    b.add(OnnxLayerNorm(axis, eps), node, _inputs(node)[:3])
    from .onnx_import import Node  # noqa: PLC0415 - onnx_import imports this module
    for name, stat in zip(node.outputs[1:3], ("mean", "inv_std_dev")):
        if name:  # the optional Mean and InvStdDev outputs: one more step each
            extra = Node(node.op_type, f"{node.name}_{stat}", node.inputs[:1], [name])
            b.add(LayerNormStat(axis, eps, stat), extra, node.inputs[:1])


@op("GroupNormalization")
def _group_norm(b: Builder, node: Node) -> None:
    layer = OnnxGroupNorm(int(node.attrs["num_groups"]), float(node.attrs.get("epsilon", 1e-5)),
                          per_group=b.opset < 21)
    b.add(layer, node, node.inputs[:3])


@op("InstanceNormalization")
def _instance_norm(b: Builder, node: Node) -> None:
    b.add(OnnxInstanceNorm(float(node.attrs.get("epsilon", 1e-5))), node, node.inputs[:3])


_constant_batch_norm = RULES["BatchNormalization"]


@op("BatchNormalization")
def _batch_norm(b: Builder, node: Node) -> None:
    """Constant parameters make a stock BatchNorm layer; computed ones an ``OnnxBatchNorm``."""
    if all(b.constant(b.input(node, i)) is not None for i in range(1, 5)) or \
            node.attrs.get("training_mode", 0) or any(node.outputs[1:]):
        _constant_batch_norm(b, node)
        return
    b.add(OnnxBatchNorm(float(node.attrs.get("epsilon", 1e-5))), node, node.inputs[:5])
