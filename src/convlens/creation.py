"""Tensor factories with torch's names and arguments: ``zeros``, ``ones``, ``empty``, ``full``,
their ``*_like`` forms, ``arange``, ``linspace``, ``eye``, ``rand``, ``randn``, ``randint``,
``randperm``, ``from_numpy`` and ``as_tensor``.

Sizes come as varargs or one tuple (``zeros(2, 3)`` or ``zeros((2, 3))``); float32 is the
default float dtype; ``device`` accepts only the CPU; random draws come from ``generator``
(a :class:`convlens.Generator`, a seed or a ``numpy.random.Generator``) or the default one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._dtypes import float32, float64, int64  # noqa: F401 - kept importable from here
from .device import device as _device
from .random import as_generator
from .tensor import Tensor


def _shape(size: tuple[Any, ...], keyword: Any = None) -> tuple[int, ...]:
    """The shape from ``*size`` (ints, or one sequence) or from torch's ``size=`` keyword."""
    if keyword is not None:
        if size:
            raise TypeError(f"give the size once, as positional ints or as size=; got both "
                            f"{size!r} and size={keyword!r}")
        size = (keyword,)
    if len(size) == 1 and isinstance(size[0], Sequence):
        size = tuple(size[0])
    try:
        shape = tuple(int(n.__index__()) for n in size)
    except (AttributeError, TypeError):
        shape = (-1,)
    if any(n < 0 for n in shape):
        raise ValueError(f"size must be non-negative ints; got {size!r}")
    return shape


def _make(data: np.ndarray, device: Any, requires_grad: bool) -> Tensor:
    if device is not None:
        _device(device)
    return Tensor(data, requires_grad=requires_grad)


def _float(dtype: Any, name: str) -> np.dtype:
    dtype = np.dtype(float32 if dtype is None else dtype)
    if dtype.type not in (np.float32, np.float64):
        raise TypeError(f"{name} draws floats; dtype must be float32 or float64, got {dtype}")
    return dtype


def zeros(*sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of zeros, e.g. ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _make(np.zeros(_shape(sizes, size), dtype or float32), device, requires_grad)


def ones(*sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return _make(np.ones(_shape(sizes, size), dtype or float32), device, requires_grad)


def empty(*sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor to be filled in (convlens gives zeros, never uninitialised memory)."""
    return zeros(*sizes, size=size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size: Sequence[int], fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``; the dtype follows the value as in
    torch (bool, int64, or float32)."""
    if dtype is None:
        kind = np.asarray(fill_value).dtype.kind
        dtype = np.bool_ if kind == "b" else int64 if kind in "iu" else float32
    return _make(np.full(_shape((size,)), fill_value, dtype), device, requires_grad)


def _like(input: Tensor, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:  # noqa: A002
    return tuple(input.shape), np.dtype(input.dtype if dtype is None else dtype)


def zeros_like(input: Tensor, *, dtype: Any = None, device: Any = None,  # noqa: A002
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Zeros with ``input``'s shape and dtype."""
    shape, dtype = _like(input, dtype)
    return _make(np.zeros(shape, dtype), device, requires_grad)


def ones_like(input: Tensor, *, dtype: Any = None, device: Any = None,  # noqa: A002
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Ones with ``input``'s shape and dtype."""
    shape, dtype = _like(input, dtype)
    return _make(np.ones(shape, dtype), device, requires_grad)


def empty_like(input: Tensor, **kwargs: Any) -> Tensor:  # noqa: A002
    """Zeros with ``input``'s shape and dtype (never uninitialised memory)."""
    return zeros_like(input, **kwargs)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None,  # noqa: A002
              device: Any = None, requires_grad: bool = False, memory_format: Any = None
              ) -> Tensor:
    """``fill_value`` with ``input``'s shape and dtype."""
    shape, dtype = _like(input, dtype)
    return _make(np.full(shape, fill_value, dtype), device, requires_grad)


def rand(*sizes: Any, size: Any = None, generator: Any = None, dtype: Any = None,
         device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    data = as_generator(generator).random(_shape(sizes, size)).astype(_float(dtype, "rand"))
    return _make(data, device, requires_grad)


def randn(*sizes: Any, size: Any = None, generator: Any = None, dtype: Any = None,
          device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples.

    Examples
    --------
    >>> import convlens as cl
    >>> cl.randn(2, 3, generator=0).shape
    (2, 3)
    """
    shape = _shape(sizes, size)
    data = as_generator(generator).standard_normal(shape).astype(_float(dtype, "randn"))
    return _make(data, device, requires_grad)


def rand_like(input: Tensor, *, generator: Any = None, dtype: Any = None,  # noqa: A002
              **kwargs: Any) -> Tensor:
    return rand(input.shape, generator=generator, dtype=dtype or input.dtype, **kwargs)


def randn_like(input: Tensor, *, generator: Any = None, dtype: Any = None,  # noqa: A002
               **kwargs: Any) -> Tensor:
    return randn(input.shape, generator=generator, dtype=dtype or input.dtype, **kwargs)


def randint(*args: Any, size: Any = None, generator: Any = None, dtype: Any = None,
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or
    ``randint(low, high, size)``, as ``torch.randint`` (int64 by default).

    Examples
    --------
    >>> import convlens as cl
    >>> cl.randint(3, 10, (4,), generator=0).dtype
    dtype('int64')
    """
    if size is None and args and isinstance(args[-1], Sequence):
        args, size = args[:-1], args[-1]
    if size is None or len(args) not in (1, 2):
        raise TypeError(f"randint takes (high, size) or (low, high, size); got {args!r}, "
                        f"size={size!r}")
    low, high = (0, args[0]) if len(args) == 1 else args
    if not high > low:
        raise ValueError(f"randint needs low < high; got low={low}, high={high}")
    data = as_generator(generator).integers(int(low), int(high), size=_shape((size,)))
    return _make(data.astype(dtype or int64), device, requires_grad)


def randperm(n: int, *, generator: Any = None, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 by default)."""
    if not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"randperm needs a non-negative int n; got {n!r}")
    data = as_generator(generator).permutation(int(n)).astype(dtype or int64)
    return _make(data, device, requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in [start, end), as ``torch.arange`` (ints give int64).

    Examples
    --------
    >>> import convlens as cl
    >>> cl.arange(4).tolist()
    [0, 1, 2, 3]
    """
    start, end, step = (float(v) if hasattr(v, "_data") and v.dtype.kind == "f" else
                        v.item() if hasattr(v, "_data") else v for v in (start, end, step))
    if step == 0:
        raise ValueError("arange needs a non-zero step; got step=0")
    values = np.arange(start, end, step) if end is not None else np.arange(0, start, step)
    if dtype is None:
        dtype = int64 if values.dtype.kind in "iu" else float32
    return _make(values.astype(dtype), device, requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if not isinstance(steps, int | np.integer) or steps < 0:
        raise ValueError(f"linspace needs a non-negative int steps; got {steps!r}")
    values = np.linspace(float(start), float(end), int(steps))
    return _make(values.astype(dtype or float32), device, requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The (n, m) identity matrix."""
    return _make(np.eye(n, m, dtype=dtype or float32), device, requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """Wrap ``array`` without copying (it keeps its dtype), as ``torch.from_numpy``."""
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy expects an ndarray of numbers; got "
                        f"{type(array).__name__} of dtype {getattr(array, 'dtype', None)}")
    return Tensor._wrap(array)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` itself if it is already a Tensor (of ``dtype``), else a new Tensor."""
    if device is not None:
        _device(device)
    if isinstance(data, Tensor) and (dtype is None or np.dtype(dtype) == data.dtype):
        return data
    if isinstance(data, np.ndarray) and (dtype is None or np.dtype(dtype) == data.dtype):
        return from_numpy(data)
    return Tensor(data, dtype=dtype)
