"""Argument checks shared by the layers' constructors and forwards (messages written once)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validate
from ..tensor import Tensor


def float_dtype(dtype: Any) -> np.dtype:
    """``dtype`` as an np.dtype, which must be float32 or float64."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64; got {dtype!r}")
    return resolved


def plain(value: Any) -> Any:
    """A layer argument as stored for its repr and config: lists as tuples (a saved file gives
    lists back), numbers as given, as torch keeps them."""
    return tuple(value) if isinstance(value, list | tuple) else value


def boolean(value: object, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be a bool; got {type(value).__name__} {value!r}")
    return bool(value)


def input_tensor(layer: str, x: Any, allowed: dict[int, str]) -> Tensor:
    """A float Tensor (ndarrays are wrapped) whose rank is a key of ``allowed``."""
    x = _validate.float_tensor(x, "input", layer)
    _validate.rank(x.shape, allowed, "input", layer)
    return x


def channels(layer: str, x: Tensor, expected: int, axis: int, layouts: str) -> None:
    """Raise unless ``x.shape[axis]`` (the channel axis) equals ``expected``."""
    if x.shape[axis] != expected:
        raise ValueError(f"{layer} expects input of shape {layouts}; got shape {x.shape}")


def grouped_channels(in_channels: object, out_channels: object,
                     groups: object) -> tuple[int, int, int]:
    """Positive ``in_channels``, ``out_channels`` and ``groups``, both counts divisible by it."""
    counts = {"in_channels": _validate.positive_int(in_channels, "in_channels"),
              "out_channels": _validate.positive_int(out_channels, "out_channels")}
    groups = _validate.positive_int(groups, "groups")
    for name, value in counts.items():
        if value % groups:
            raise ValueError(f"{name} (={value}) must be divisible by groups (={groups})")
    return counts["in_channels"], counts["out_channels"], groups


def weight_and_bias(module: Any, shape: tuple[int, ...], bias_size: int, bias: object,
                    dtype: np.dtype, argument: str, limit: int | None = None) -> None:
    """Give ``module`` an uninitialised ``weight`` of ``shape`` and, if ``bias``, a ``bias``
    of ``bias_size`` elements; a weight too large for memory (or ``limit`` bytes) is refused
    first, naming ``argument``."""
    from ..conv.geometry import check_allocation
    from .parameter import Parameter

    check_allocation(type(module).__name__, "the weight", shape, dtype.itemsize, argument,
                     limit=limit)
    module.weight = Parameter(np.empty(shape, dtype))
    if boolean(bias, "bias"):
        module.bias = Parameter(np.empty(bias_size, dtype))
    else:
        module.register_parameter("bias", None)
