"""Stock convlens layers for imported nodes where one computes exactly what ONNX asks.

An ``Elu`` becomes ``nn.ELU``, a ``LayerNormalization`` with constant scale and bias an
``nn.LayerNorm`` holding them, and so on, so an imported model explains, summarises and
fine-tunes like one built in convlens. Anything else falls back to the generic rule (which
also runs float16; the stock layers take float32 and float64).
Registered into :data:`convlens.interop.onnx_ops.RULES` when that module loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import nn
from .onnx_ops import RULES, _float, op

if TYPE_CHECKING:
    from .onnx_import import Builder, Node

_SELU = (1.67326319217681884765625, 1.05070102214813232421875)


def _unary_stock(node: Node) -> nn.Module | None:
    attrs, kind = node.attrs, node.op_type
    if kind == "Elu":
        return nn.ELU(float(attrs.get("alpha", 1.0)))
    if kind == "Selu" and (float(attrs.get("alpha", _SELU[0])),
                           float(attrs.get("gamma", _SELU[1]))) == _SELU:
        return nn.SELU()
    if kind == "HardSigmoid" and np.isclose(float(attrs.get("alpha", 0.2)), 1 / 6, rtol=1e-6) \
            and float(attrs.get("beta", 0.5)) == 0.5:
        return nn.Hardsigmoid()
    if kind == "Gelu":
        mode = attrs.get("approximate", b"none")
        mode = mode.decode("utf-8", "replace") if isinstance(mode, bytes) else str(mode)
        return nn.GELU(mode) if mode in ("none", "tanh") else None
    return {"Softsign": nn.Softsign, "HardSwish": nn.Hardswish}.get(kind, lambda: None)()


def _params(b: Builder, node: Node, count: int) -> list[np.ndarray] | None:
    values = [b.constant(b.input(node, i)) for i in range(1, 1 + count)]
    return None if any(v is None for v in values) else [_float(v) for v in values]


def _set_affine(layer: nn.Module, scale: np.ndarray, bias: np.ndarray) -> nn.Module:
    layer.weight.data = scale.astype(layer.weight.dtype)
    layer.bias.data = bias.astype(layer.weight.dtype)
    return layer


def _norm_stock(b: Builder, node: Node) -> nn.Module | None:
    rank = b.rank(node.inputs[0])
    eps = float(node.attrs.get("epsilon", 1e-5))
    if node.op_type == "LayerNormalization":
        params = _params(b, node, 2) if b.input(node, 2) else None
        axis = int(node.attrs.get("axis", -1))
        if params is None or rank is None or any(node.outputs[1:]):
            return None
        scale, bias = params
        count = rank - (axis % rank)
        if scale.ndim != count or bias.shape != scale.shape:
            return None
        return _set_affine(nn.LayerNorm(scale.shape, eps, dtype=scale.dtype), scale, bias)
    params = _params(b, node, 2)
    if params is None or params[0].ndim != 1 or params[1].shape != params[0].shape:
        return None
    scale, bias = params
    if node.op_type == "GroupNormalization":
        if b.opset < 21:
            return None
        groups = int(node.attrs["num_groups"])
        if groups < 1 or scale.size % groups:
            return None
        return _set_affine(nn.GroupNorm(groups, scale.size, eps, dtype=scale.dtype), scale,
                           bias)
    cls = {3: nn.InstanceNorm1d, 4: nn.InstanceNorm2d}.get(rank)
    if cls is None:
        return None
    return _set_affine(cls(scale.size, eps, affine=True, dtype=scale.dtype), scale, bias)


def _wrap(kinds: tuple[str, ...], stock) -> None:
    for kind in kinds:
        generic = RULES[kind]

        def rule(b: Builder, node: Node, generic=generic) -> None:
            layer = stock(b, node)
            if layer is None:
                generic(b, node)
            else:
                b.add(layer, node, node.inputs[:1])

        op(kind)(rule)


_wrap(("Elu", "Selu", "HardSigmoid", "Gelu", "Softsign", "HardSwish"),
      lambda b, node: _unary_stock(node))
_wrap(("LayerNormalization", "GroupNormalization", "InstanceNormalization"), _norm_stock)
_wrap(("DepthToSpace",), lambda b, node: nn.PixelShuffle(int(node.attrs["blocksize"])) if (
    node.attrs.get("mode", b"DCR") in (b"CRD", "CRD")) else None)
