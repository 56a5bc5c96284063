"""What every ``_ops*`` module shares: unwrapping, scalar promotion, and building results.

Ops compute an ndarray and hand :func:`from_op` a ``backward`` closure that maps
``grad_output`` to one gradient per input (``None`` for inputs without one).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _validate

if TYPE_CHECKING:
    from .tensor import Tensor


_tensor_class = None  # convlens.tensor.Tensor, looked up once (it imports this module)


def tensor_cls():
    global _tensor_class
    if _tensor_class is None:
        from .tensor import Tensor

        _tensor_class = Tensor
    return _tensor_class


def raw(value: Any) -> Any:
    """The ndarray behind a Tensor, or the value itself."""
    return value._data if isinstance(value, tensor_cls()) else value


def as_tensor(value: Any) -> Tensor:
    """``value`` if it is a Tensor, else a new Tensor of it (Python floats become float32)."""
    Tensor = tensor_cls()
    return value if isinstance(value, Tensor) else Tensor(value)


def scalar_dtype(value: Any, other: np.dtype) -> np.dtype:
    """The dtype a Python/NumPy scalar takes next to a tensor of dtype ``other``.

    As in torch, a scalar does not promote a float tensor (``float32 * 2.5`` stays float32),
    but a float scalar next to an integer or bool tensor gives float32, torch's default.
    """
    if other.kind == "f":  # the common case, decided without building an array
        return other
    kind = np.asarray(value).dtype.kind
    if kind == other.kind:
        return other
    if kind == "f":
        return np.dtype(np.float32)
    return np.dtype(np.int64) if kind in "iu" and other.kind == "b" else other


def pair(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Wrap constants so both operands are Tensors; scalars follow :func:`scalar_dtype`."""
    Tensor = tensor_cls()
    a_is_tensor, b_is_tensor = isinstance(a, Tensor), isinstance(b, Tensor)
    if a_is_tensor and b_is_tensor:
        return a, b
    if not a_is_tensor and not b_is_tensor:
        if np.isscalar(b) and not np.isscalar(a):
            a = Tensor(a)  # an array first, so that the scalar follows its dtype
        else:
            b = Tensor(b)  # as cl.tensor: a Python float becomes float32
    if not isinstance(a, Tensor):
        a = _constant(a, b._data.dtype)
        if b._data.dtype.kind in "iub":
            b = _promote_integer(b, a._data.dtype)
    if not isinstance(b, Tensor):
        b = _constant(b, a._data.dtype)
        if a._data.dtype.kind in "iub":
            a = _promote_integer(a, b._data.dtype)
    return a, b


def _constant(value: Any, other: np.dtype) -> Tensor:
    """A Tensor of the constant operand ``value`` next to a tensor of dtype ``other``."""
    Tensor = tensor_cls()
    if np.isscalar(value):  # a new 0-d array, so it needs none of Tensor()'s copy and checks
        return Tensor._wrap(np.asarray(value, dtype=scalar_dtype(value, other)))
    return Tensor(np.asarray(value))


def _promote_integer(x: Tensor, scalar_dtype: np.dtype) -> Tensor:
    """An integer tensor meeting a float scalar becomes float32 (NumPy would pick float64)."""
    if scalar_dtype.kind == "f" and x.dtype.kind in "iub":
        return tensor_cls()._wrap(x._data.astype(scalar_dtype))  # integers never need a grad
    return x


def from_op(data, inputs, backward, name):
    return tensor_cls()._from_op(data, inputs, backward, name)


def axes(dim: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    """The axes a reduction over ``dim`` covers (all of them for ``None``)."""
    if dim is None:
        return tuple(range(ndim))
    dims = tuple(dim) if isinstance(dim, Sequence) else (dim,)
    if ndim == 0:
        for d in dims:
            _validate.dim_index(d, 1)
        return ()
    found = tuple(_validate.dim_index(d, ndim) for d in dims)
    if len(set(found)) != len(found):
        raise ValueError(f"dim must not repeat an axis; got {dim!r}")
    return found


def expand_back(g: np.ndarray, axes: tuple[int, ...], keepdim: bool, shape) -> np.ndarray:
    """Undo a reduction's shape change on ``g`` so it broadcasts to ``shape``."""
    if not keepdim:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


def int_dim(dim: Any, ndim: int, name: str = "dim") -> int:
    """One int ``dim`` checked against ``ndim`` (a 0-d tensor accepts 0 and -1)."""
    return _validate.dim_index(dim, ndim, name)
