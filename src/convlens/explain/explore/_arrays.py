"""How the explorer packs arrays into its JSON blob.

Maps are quantised to uint8 with one (low, high) pair per map, so a map costs one byte a
pixel; the numbers the page computes with (kernels, biases and the inputs of conv and pool
layers) stay float32, so the dot products it shows are exact. Every array travels as
base64 of its little-endian bytes with its shape, and the page reads it into a typed array.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np


def packed(array: np.ndarray, dtype: str) -> dict[str, Any]:
    """``{"dtype", "shape", "b64"}`` for ``array`` cast to ``dtype`` (float32, uint8, int32)."""
    values = np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<"))
    return {"dtype": dtype, "shape": list(values.shape),
            "b64": base64.b64encode(values.tobytes()).decode("ascii")}


def quantised(array: np.ndarray) -> dict[str, Any]:
    """uint8 maps with a per-map scale: the last two axes of (..., H, W) form one map.

    ``value = low + q * (high - low) / 255``; a constant map has ``q = 0`` and ``high = low``.
    """
    values = np.asarray(array, dtype=np.float64)
    flat = values.reshape(-1, values.shape[-2] * values.shape[-1])
    low, high = flat.min(axis=1), flat.max(axis=1)
    span = np.where(high > low, high - low, 1.0)
    q = np.rint((flat - low[:, None]) / span[:, None] * 255.0)
    return {"q": packed(q.reshape(values.shape), "uint8"),
            "low": packed(low.reshape(values.shape[:-2]), "float32"),
            "high": packed(high.reshape(values.shape[:-2]), "float32")}


def as_maps(array: np.ndarray, nd: int) -> np.ndarray:
    """A batched (N, C, *spatial) array as (N, C, H, W): 1-D signals get H = 1."""
    return array[:, :, None, :] if nd == 1 else array


def spatial_pair(values: tuple, nd: int, fill: Any) -> list:
    """Per-axis numbers as an (H, W) pair; 1-D layers get ``fill`` for the missing H axis."""
    values = [v.item() if isinstance(v, np.generic) else v for v in values]
    return [fill, *values] if nd == 1 else list(values)


def unit_scale(array: np.ndarray) -> np.ndarray:
    """Non-negative maps scaled to 0..255 by their own maximum (for attribution overlays)."""
    values = np.asarray(array, dtype=np.float64)
    peak = values.max() if values.size else 0.0
    return np.rint(values / peak * 255.0) if peak > 0 else np.zeros_like(values)
