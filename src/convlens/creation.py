"""Tensor factories with torch's names: ``zeros``, ``ones``, ``full``, ``arange``, ``eye``,
``rand``, ``randn``, ``from_numpy`` and ``as_tensor``. float32 is the default dtype; random
draws come from ``generator`` (a seed or ``numpy.random.Generator``) or the default generator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .random import as_generator
from .tensor import Tensor

float32 = np.float32
float64 = np.float64
int64 = np.int64


def _float(dtype: Any, name: str) -> np.dtype:
    if np.dtype(dtype).kind != "f":
        raise TypeError(f"{name} draws floats; dtype must be float32 or float64, got "
                        f"{np.dtype(dtype)}")
    return np.dtype(dtype)


def _shape(size: tuple[Any, ...]) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], Sequence):
        size = tuple(size[0])
    if not all(isinstance(n, int | np.integer) and n >= 0 for n in size):
        raise ValueError(f"size must be non-negative ints; got {size!r}")
    return tuple(int(n) for n in size)


def zeros(*size: Any, dtype: Any = float32, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros, e.g. ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return Tensor(np.zeros(_shape(size), dtype), requires_grad=requires_grad)


def ones(*size: Any, dtype: Any = float32, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return Tensor(np.ones(_shape(size), dtype), requires_grad=requires_grad)


def full(size: Sequence[int], fill_value: float, dtype: Any = float32,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``."""
    return Tensor(np.full(_shape((size,)), fill_value, dtype), requires_grad=requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None) -> Tensor:
    """Evenly spaced values in [start, end), as ``torch.arange`` (ints give int64).

    Examples
    --------
    >>> import convlens as cl
    >>> cl.arange(4).tolist()
    [0, 1, 2, 3]
    """
    values = np.arange(start, end, step) if end is not None else np.arange(0, start, step)
    if dtype is None:
        dtype = int64 if values.dtype.kind in "iu" else float32
    return Tensor(values.astype(dtype))


def eye(n: int, m: int | None = None, dtype: Any = float32) -> Tensor:
    """The (n, m) identity matrix."""
    return Tensor(np.eye(n, m, dtype=dtype))


def rand(*size: Any, generator: np.random.Generator | int | None = None, dtype: Any = float32,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    data = as_generator(generator).random(_shape(size)).astype(_float(dtype, "rand"))
    return Tensor(data, requires_grad=requires_grad)


def randn(*size: Any, generator: np.random.Generator | int | None = None, dtype: Any = float32,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples.

    Examples
    --------
    >>> import convlens as cl
    >>> cl.randn(2, 3, generator=0).shape
    (2, 3)
    """
    data = as_generator(generator).standard_normal(_shape(size)).astype(_float(dtype, "randn"))
    return Tensor(data, requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """Wrap ``array`` without copying (it keeps its dtype), as ``torch.from_numpy``."""
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy expects an ndarray of numbers; got "
                        f"{type(array).__name__} of dtype {getattr(array, 'dtype', None)}")
    return Tensor._wrap(array)


def as_tensor(data: Any, dtype: Any = None) -> Tensor:
    """``data`` itself if it is already a Tensor (of ``dtype``), else a new Tensor."""
    if isinstance(data, Tensor) and (dtype is None or np.dtype(dtype) == data.dtype):
        return data
    if isinstance(data, np.ndarray) and (dtype is None or np.dtype(dtype) == data.dtype):
        return from_numpy(data)
    return Tensor(data, dtype=dtype)
