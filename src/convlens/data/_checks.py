"""Argument checks used only by ``convlens.data`` (shared ones are in ``convlens._validate``)."""

from __future__ import annotations

from numbers import Integral

import numpy as np


def boolean(value: object, name: str) -> bool:
    """Check that ``value`` is a bool (``numpy.bool_`` too) and return it."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be a bool; got {type(value).__name__} {value!r}")
    return bool(value)


def seed(value: object, name: str = "seed") -> int:
    """Check that ``value`` is a non-negative int seed and return it."""
    if not isinstance(value, Integral) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative int; got {value!r}")
    return int(value)


def generator(rng: object, op: str) -> np.random.Generator:
    """Check that a transform received a ``numpy.random.Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{op} expects rng to be a numpy.random.Generator; "
                        f"got {type(rng).__name__}")
    return rng


def batch(x: object, op: str, min_spatial: int = 1, max_spatial: int = 2) -> np.ndarray:
    """Check that a transform received a batch ``(N, C, *spatial)`` ndarray of floats."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{op} expects a batch ndarray (N, C, L) or (N, C, H, W); "
                        f"got {type(x).__name__}")
    if not min_spatial + 2 <= x.ndim <= max_spatial + 2:
        layouts = " or ".join(
            {1: "(N, C, L)", 2: "(N, C, H, W)"}[k] for k in range(min_spatial, max_spatial + 1))
        raise ValueError(f"{op} expects a batch shaped {layouts}; got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{op} expects a float batch; got dtype {x.dtype}")
    return x
