"""Layers for ONNX ``Reshape`` and ``Pad`` whose shape or pads the graph computes.

The usual case, a constant shape or constant pads, becomes ``layers.Reshape``/``layers.Pad``
at import time; these read the integer tensor when they run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import nn
from ..functional.padding import pad_pairs
from ..tensor import Tensor
from .layers import PAD_MODES, reshape_target

MAX_RANK = 32
#: The most elements a shape read from the graph at run time may ask for (ONNX import's
#: default ``max_elements``): a hostile file's pads or sizes are refused, not allocated.
MAX_ELEMENTS = 2**28


def check_elements(shape, what: str) -> None:
    """Refuse an output of ``shape`` above :data:`MAX_ELEMENTS`, naming ``what`` made it."""
    count = int(np.prod([int(n) for n in shape], dtype=object))
    if count > MAX_ELEMENTS:
        raise ValueError(f"{what} asks for an output of shape {tuple(shape)} ({count} "
                         f"elements); the limit is {MAX_ELEMENTS}")


def _ints(t: Tensor, what: str) -> list[int]:
    if t.dtype.kind not in "iu" or t.ndim > 1 or t.numel() > 2 * MAX_RANK:
        raise ValueError(f"{what} must be a 1-D integer tensor of at most {2 * MAX_RANK} "
                         f"values; got dtype {t.dtype} and shape {t.shape}")
    return [int(v) for v in t.numpy().reshape(-1)]


@nn.register
class DynamicReshape(nn.Module):
    """ONNX ``Reshape`` with the target shape as the second input."""

    def __init__(self, allowzero: bool = False) -> None:
        super().__init__()
        self.allowzero = bool(allowzero)

    def forward(self, input: Tensor, shape: Tensor) -> Tensor:  # noqa: A002
        target = reshape_target(input.shape, _ints(shape, "shape"), self.allowzero)
        return input.reshape(tuple(target))

    def get_config(self) -> dict[str, Any]:
        return {"allowzero": self.allowzero}


@nn.register
class DynamicPad(nn.Module):
    """ONNX ``Pad`` (opset 11+) with ``pads`` (and optionally the fill value and ``axes``)
    as inputs; ``inputs`` names which optional inputs follow ``pads`` in ``forward``."""

    def __init__(self, mode: str = "constant", inputs: tuple[str, ...] = ()) -> None:
        super().__init__()
        if mode not in PAD_MODES:
            raise ValueError(f"mode must be one of {sorted(PAD_MODES)}; got {mode!r}")
        if not set(inputs) <= {"value", "axes"}:
            raise ValueError(f"inputs may name 'value' and 'axes'; got {inputs!r}")
        self.mode, self.inputs = mode, tuple(inputs)

    def forward(self, input: Tensor, pads: Tensor, *rest: Tensor) -> Tensor:  # noqa: A002
        given = dict(zip(self.inputs, rest))
        pads_list = _ints(pads, "pads")
        axes = list(range(input.ndim))
        if "axes" in given:
            axes = [a % input.ndim for a in _ints(given["axes"], "axes")]
        if len(pads_list) != 2 * len(axes) or min(pads_list, default=0) < 0:
            raise ValueError(f"pads must be {2 * len(axes)} non-negative ints; got {pads_list}")
        pairs = [(0, 0)] * input.ndim
        for axis, lo, hi in zip(axes, pads_list[:len(axes)], pads_list[len(axes):]):
            pairs[axis] = (lo, hi)
        check_elements([n + lo + hi for n, (lo, hi) in zip(input.shape, pairs)], "Pad's pads")
        fill = given.get("value")
        value = 0.0 if fill is None or fill.numel() == 0 else float(np.asarray(
            fill.numpy()).reshape(-1)[0])
        return pad_pairs(input, tuple(pairs), PAD_MODES[self.mode], value)

    def get_config(self) -> dict[str, Any]:
        return {"mode": self.mode, "inputs": list(self.inputs)}


@nn.register
class KeepMask(nn.Module):
    """Dropout's mask output in inference: True everywhere, in the input's shape."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's argument name
        return Tensor(np.ones(input.shape, bool))

    def get_config(self) -> dict[str, Any]:
        return {}
