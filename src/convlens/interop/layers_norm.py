"""Layers for ONNX's normalisation operators whose parameters are inputs of the node.

``LayerNormalization``, ``GroupNormalization``, ``InstanceNormalization`` and
``BatchNormalization`` (inference) take their scale and bias as node inputs, which may be
initializers or computed values; these layers take them as ``forward`` arguments.
"""

from __future__ import annotations

from typing import Any

from .. import nn
from ..tensor import Tensor


def _normalise(x: Tensor, dims: tuple[int, ...], eps: float) -> Tensor:
    mean = x.mean(dim=dims, keepdim=True)
    centred = x - mean
    var = (centred * centred).mean(dim=dims, keepdim=True)
    return centred / (var + eps).sqrt()


@nn.register
class OnnxLayerNorm(nn.Module):
    """ONNX ``LayerNormalization``: normalise over the dims from ``axis`` on, then
    ``* scale + bias`` (broadcast)."""

    def __init__(self, axis: int = -1, eps: float = 1e-5) -> None:
        super().__init__()
        self.axis, self.eps = int(axis), float(eps)

    def forward(self, input: Tensor, scale: Tensor,  # noqa: A002 - torch's argument name
                bias: Tensor | None = None) -> Tensor:
        axis = self.axis % input.ndim
        out = _normalise(input, tuple(range(axis, input.ndim)), self.eps) * scale
        return out if bias is None else out + bias

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis, "eps": self.eps}


@nn.register
class OnnxGroupNorm(nn.Module):
    """ONNX ``GroupNormalization``: ``num_groups`` groups of channels, then a scale and bias
    per channel (opset 21; ``per_group=True`` for opset 18's per-group scale and bias)."""

    def __init__(self, num_groups: int, eps: float = 1e-5, per_group: bool = False) -> None:
        super().__init__()
        self.num_groups, self.eps, self.per_group = int(num_groups), float(eps), bool(per_group)

    def forward(self, input: Tensor, scale: Tensor, bias: Tensor) -> Tensor:  # noqa: A002
        n, c, *rest = input.shape
        if c % self.num_groups:
            raise ValueError(f"num_groups (={self.num_groups}) must divide the {c} channels")
        grouped = input.reshape((n, self.num_groups, -1))
        out = _normalise(grouped, (2,), self.eps)
        if self.per_group:
            shape = (1, self.num_groups, 1)
            return (out * scale.reshape(shape) + bias.reshape(shape)).reshape(input.shape)
        shape = (1, c, *(1,) * len(rest))
        return out.reshape(input.shape) * scale.reshape(shape) + bias.reshape(shape)

    def get_config(self) -> dict[str, Any]:
        return {"num_groups": self.num_groups, "eps": self.eps, "per_group": self.per_group}


@nn.register
class OnnxInstanceNorm(nn.Module):
    """ONNX ``InstanceNormalization``: normalise each (sample, channel) over its spatial dims,
    then a scale and bias per channel."""

    def __init__(self, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = float(eps)

    def forward(self, input: Tensor, scale: Tensor, bias: Tensor) -> Tensor:  # noqa: A002
        shape = (1, -1, *(1,) * (input.ndim - 2))
        out = _normalise(input, tuple(range(2, input.ndim)), self.eps)
        return out * scale.reshape(shape) + bias.reshape(shape)

    def get_config(self) -> dict[str, Any]:
        return {"eps": self.eps}


@nn.register
class OnnxBatchNorm(nn.Module):
    """ONNX ``BatchNormalization`` in inference mode, its four parameters as inputs."""

    def __init__(self, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = float(eps)

    def forward(self, input: Tensor, scale: Tensor, bias: Tensor,  # noqa: A002
                mean: Tensor, var: Tensor) -> Tensor:
        shape = (1, -1, *(1,) * (input.ndim - 2))
        out = (input - mean.reshape(shape)) / (var.reshape(shape) + self.eps).sqrt()
        return out * scale.reshape(shape) + bias.reshape(shape)

    def get_config(self) -> dict[str, Any]:
        return {"eps": self.eps}


@nn.register
class LayerNormStat(nn.Module):
    """The optional ``Mean`` (``stat="mean"``) or ``InvStdDev`` output of ONNX
    ``LayerNormalization``: reduced over the dims from ``axis`` on, kept as size 1."""

    def __init__(self, axis: int = -1, eps: float = 1e-5, stat: str = "mean") -> None:
        super().__init__()
        if stat not in ("mean", "inv_std_dev"):
            raise ValueError(f"stat must be 'mean' or 'inv_std_dev'; got {stat!r}")
        self.axis, self.eps, self.stat = int(axis), float(eps), stat

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's argument name
        dims = tuple(range(self.axis % input.ndim, input.ndim))
        mean = input.mean(dim=dims, keepdim=True)
        if self.stat == "mean":
            return mean
        centred = input - mean
        return 1.0 / ((centred * centred).mean(dim=dims, keepdim=True) + self.eps).sqrt()

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis, "eps": self.eps, "stat": self.stat}
