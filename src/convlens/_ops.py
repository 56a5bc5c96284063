"""Elementwise, reduction and shape ops on Tensors, each forward beside its backward.

Every function computes the result as an ndarray and hands ``Tensor._from_op`` a ``backward``
closure mapping ``grad_output`` to one gradient per input (``None`` for inputs without one).
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _validate
from .autograd import unbroadcast

if TYPE_CHECKING:
    from .tensor import Tensor


@functools.cache
def _tensor_cls():
    # cached: an import statement on every op cost ~1 µs per call (see profile_step.py)
    from .tensor import Tensor

    return Tensor


def raw(value: Any) -> Any:
    """The ndarray behind a Tensor, or the value itself."""
    return value._data if isinstance(value, _tensor_cls()) else value


def _scalar_dtype(value: Any, other: np.dtype) -> np.dtype:
    """The dtype a Python/NumPy scalar takes next to a tensor of dtype ``other``.

    As in torch, a scalar does not promote a float tensor (``float32 * 2.5`` stays float32),
    but a float scalar next to an integer or bool tensor gives float32, torch's default.
    """
    kind = np.asarray(value).dtype.kind
    if other.kind == "f" or kind == other.kind:
        return other
    if kind == "f":
        return np.dtype(np.float32)
    return np.dtype(np.int64) if kind in "iu" and other.kind == "b" else other


def _pair(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Wrap constants so both operands are Tensors; scalars follow :func:`_scalar_dtype`."""
    Tensor = _tensor_cls()
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        b = Tensor(b)  # as cl.tensor: a Python float becomes float32
    if not isinstance(a, Tensor):
        a = Tensor(np.asarray(a, dtype=_scalar_dtype(a, b.dtype) if np.isscalar(a) else None))
        b = _promote_integer(b, a.dtype)
    if not isinstance(b, Tensor):
        b = Tensor(np.asarray(b, dtype=_scalar_dtype(b, a.dtype) if np.isscalar(b) else None))
        a = _promote_integer(a, b.dtype)
    return a, b


def _promote_integer(x: Tensor, scalar_dtype: np.dtype) -> Tensor:
    """An integer tensor meeting a float scalar becomes float32 (NumPy would pick float64)."""
    if scalar_dtype.kind == "f" and x.dtype.kind in "iub":
        return _tensor_cls()._wrap(x._data.astype(scalar_dtype))  # integers never need a grad
    return x


def _from_op(data, inputs, backward, name):
    return _tensor_cls()._from_op(data, inputs, backward, name)


# -- elementwise binary ------------------------------------------------------------------
def add(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)

    def backward(g):
        return unbroadcast(g, a.shape), unbroadcast(g, b.shape)

    return _from_op(a._data + b._data, (a, b), backward, "Add")


def sub(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)

    def backward(g):
        return unbroadcast(g, a.shape), unbroadcast(-g, b.shape)

    return _from_op(a._data - b._data, (a, b), backward, "Sub")


def mul(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)

    def backward(g):
        return unbroadcast(g * b._data, a.shape), unbroadcast(g * a._data, b.shape)

    return _from_op(a._data * b._data, (a, b), backward, "Mul")


def div(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):  # x / 0 is inf or nan, as in torch
        out = a._data / b._data
    if out.dtype == np.float64 and a.dtype.kind in "iub" and b.dtype.kind in "iub":
        out = out.astype(np.float32)  # torch's true division of integers gives float32

    def backward(g):
        return unbroadcast(g / b._data, a.shape), unbroadcast(-g * out / b._data, b.shape)

    return _from_op(out, (a, b), backward, "Div")


def matmul(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul needs tensors of at least 1 dimension; got {a.shape} and {b.shape}")

    def backward(g):
        A = a._data[None, :] if a.ndim == 1 else a._data
        B = b._data[:, None] if b.ndim == 1 else b._data
        G = g  # restore the axes that 1-D operands dropped: b's last first, then a's
        if b.ndim == 1:
            G = np.expand_dims(G, -1)
        if a.ndim == 1:
            G = np.expand_dims(G, -2)
        grad_a = G @ np.swapaxes(B, -1, -2)
        grad_b = np.swapaxes(A, -1, -2) @ G
        grad_a = unbroadcast(grad_a, A.shape).reshape(a.shape)
        grad_b = unbroadcast(grad_b, B.shape).reshape(b.shape)
        return grad_a, grad_b

    return _from_op(a._data @ b._data, (a, b), backward, "MatMul")


# -- elementwise unary -------------------------------------------------------------------
def neg(x: Tensor) -> Tensor:
    return _from_op(-x._data, (x,), lambda g: (-g,), "Neg")


def power(x: Tensor, exponent: float) -> Tensor:
    """``x ** exponent`` for a number exponent; d/dx is 0 where the exponent is 0, as in torch."""
    if isinstance(exponent, _tensor_cls()):
        raise TypeError("power supports a number exponent only; got a Tensor")
    if isinstance(exponent, np.generic):  # a NumPy float64 scalar would upcast float32 data
        exponent = exponent.item()
    if np.iscomplexobj(exponent):
        raise TypeError(f"power needs a real exponent; got {exponent!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x._data ** exponent

    def backward(g):
        if exponent == 0:
            return (np.zeros_like(g),)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g * exponent * x._data ** (exponent - 1),)

    return _from_op(out, (x,), backward, "Pow")


def rpower(base: float, x: Tensor) -> Tensor:
    """``base ** x`` for a number base (``2 ** tensor``); d/dx = base**x * log(base)."""
    if isinstance(base, np.generic):
        base = base.item()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(base, dtype=_scalar_dtype(base, x.dtype)) ** x._data
        log_base = np.log(np.asarray(base, dtype=out.dtype))
    return _from_op(out, (x,), lambda g: (g * out * log_base,), "Pow")


def exp(x: Tensor) -> Tensor:
    with np.errstate(over="ignore"):  # overflow gives inf, as in torch
        out = np.exp(x._data)
    return _from_op(out, (x,), lambda g: (g * out,), "Exp")


def log(x: Tensor) -> Tensor:
    with np.errstate(divide="ignore", invalid="ignore"):  # log(0) = -inf, log(-1) = nan
        out = np.log(x._data)

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g / x._data,)

    return _from_op(out, (x,), backward, "Log")


def sqrt(x: Tensor) -> Tensor:
    with np.errstate(invalid="ignore"):
        out = np.sqrt(x._data)

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g / (2 * out),)

    return _from_op(out, (x,), backward, "Sqrt")


def absolute(x: Tensor) -> Tensor:
    return _from_op(np.abs(x._data), (x,), lambda g: (g * np.sign(x._data),), "Abs")


def clamp(x: Tensor, low: float | None, high: float | None) -> Tensor:
    out = np.clip(x._data, low, high)
    inside = np.ones(x.shape, dtype=bool)
    if low is not None:
        inside &= x._data >= low
    if high is not None:
        inside &= x._data <= high
    return _from_op(out, (x,), lambda g: (g * inside,), "Clamp")


def astype(x: Tensor, dtype: Any) -> Tensor:
    """Cast to ``dtype``; the gradient is cast back (a non-float result has no gradient)."""
    source = x.dtype
    return _from_op(x._data.astype(dtype), (x,), lambda g: (g.astype(source),), "ToCopy")


# -- reductions --------------------------------------------------------------------------
def _axes(dim: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    if dim is None:
        return tuple(range(ndim))
    dims = tuple(dim) if isinstance(dim, Sequence) else (dim,)
    axes = tuple(_validate.dim_index(d, ndim) for d in dims)
    if len(set(axes)) != len(axes):
        raise ValueError(f"dim must not repeat an axis; got {dim!r}")
    return axes if ndim else ()


def _expand_back(g: np.ndarray, axes: tuple[int, ...], keepdim: bool, shape) -> np.ndarray:
    if not keepdim:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


def sum(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001 - torch's name
    axes = _axes(dim, x.ndim)

    def backward(g):
        return (_expand_back(g, axes, keepdim, x.shape),)

    return _from_op(np.sum(x._data, axis=axes, keepdims=keepdim), (x,), backward, "Sum")


def mean(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    axes = _axes(dim, x.ndim)
    count = int(np.prod([x.shape[a] for a in axes])) if axes else 1

    def backward(g):
        return (_expand_back(g / count, axes, keepdim, x.shape),)

    return _from_op(np.mean(x._data, axis=axes, keepdims=keepdim), (x,), backward, "Mean")


def _extreme(x: Tensor, dim, keepdim: bool, reduce, name: str) -> Tensor:
    """Max or min over ``dim``; the gradient is shared equally between tied extremes."""
    axes = _axes(dim, x.ndim)
    out = reduce(x._data, axis=axes, keepdims=True)

    def backward(g):
        mask = x._data == out
        share = mask / mask.sum(axis=axes, keepdims=True)
        return (_expand_back(g, axes, keepdim, x.shape) * share,)

    result = out if keepdim else np.squeeze(out, axis=axes)
    return _from_op(result, (x,), backward, name)


def amax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Maximum over ``dim``; the gradient is shared equally between tied maxima."""
    return _extreme(x, dim, keepdim, np.max, "Max")


def amin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Minimum over ``dim``; the gradient is shared equally between tied minima."""
    return _extreme(x, dim, keepdim, np.min, "Min")


def take_along(x: Tensor, indices: np.ndarray, dim: int, keepdim: bool) -> Tensor:
    """``x`` picked at ``indices`` along ``dim`` (one per row); the gradient goes back there."""
    dim = dim % x.ndim
    index = np.expand_dims(indices, dim) if not keepdim else indices
    out = np.take_along_axis(x._data, index, axis=dim)

    def backward(g):
        full = np.zeros(x.shape, dtype=g.dtype)
        np.put_along_axis(full, index, g if keepdim else np.expand_dims(g, dim), axis=dim)
        return (full,)

    return _from_op(out if keepdim else np.squeeze(out, axis=dim), (x,), backward, "Gather")


# -- shape -------------------------------------------------------------------------------
def reshape(x: Tensor, shape: Sequence[int]) -> Tensor:
    out = x._data.reshape(tuple(shape))
    return _from_op(out, (x,), lambda g: (g.reshape(x.shape),), "Reshape")


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    start = _validate.dim_index(start_dim, x.ndim, "start_dim")
    end = _validate.dim_index(end_dim, x.ndim, "end_dim")
    if x.ndim == 0:
        return reshape(x, (1,))
    if start > end:
        raise ValueError(f"flatten needs start_dim <= end_dim; got {start_dim} and {end_dim}")
    shape = x.shape[:start] + (-1,) + x.shape[end + 1:]
    if 0 in x.shape:
        shape = x.shape[:start] + (int(np.prod(x.shape[start:end + 1])),) + x.shape[end + 1:]
    return reshape(x, shape)


def permute(x: Tensor, dims: Sequence[int]) -> Tensor:
    dims = tuple(_validate.dim_index(d, x.ndim) for d in dims) if x.ndim else ()
    if sorted(dims) != list(range(x.ndim)):
        raise ValueError(f"permute needs a permutation of the {x.ndim} dimensions; got {dims}")
    inverse = tuple(np.argsort(dims))
    out = np.transpose(x._data, dims)
    return _from_op(out, (x,), lambda g: (np.transpose(g, inverse),), "Permute")


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    dim0 = _validate.dim_index(dim0, x.ndim, "dim0")
    dim1 = _validate.dim_index(dim1, x.ndim, "dim1")
    if x.ndim == 0:
        return x
    dims = list(range(x.ndim))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return permute(x, dims)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    dim = _validate.dim_index(dim, x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def squeeze(x: Tensor, dim: int | None = None) -> Tensor:
    if dim is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    dim = _validate.dim_index(dim, x.ndim)
    if x.ndim == 0 or x.shape[dim] != 1:
        return x
    return reshape(x, x.shape[:dim] + x.shape[dim + 1:])


def _is_basic_index(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return builtins.all(
        isinstance(i, int | slice | type(None)) or i is Ellipsis for i in items
    )


def getitem(x: Tensor, index: Any) -> Tensor:
    if isinstance(index, _tensor_cls()):
        index = index._data
    elif isinstance(index, tuple):
        index = tuple(raw(i) for i in index)
    out = np.asarray(x._data[index])
    basic = _is_basic_index(index)

    def backward(g):
        full = np.zeros(x.shape, dtype=g.dtype)
        if basic:
            full[index] = g
        else:  # advanced indexing may repeat an element: accumulate, don't overwrite
            np.add.at(full, index, g)
        return (full,)

    return _from_op(out.copy() if basic else out, (x,), backward, "Index")


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Concatenate tensors along ``dim`` (as ``torch.cat``)."""
    Tensor = _tensor_cls()
    tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
    if not tensors:
        raise ValueError("cat needs at least one tensor; got an empty sequence")
    if tensors[0].ndim == 0:
        raise ValueError("cat cannot concatenate 0-d tensors; use stack")
    axis = _validate.dim_index(dim, tensors[0].ndim)
    bounds = np.cumsum([t.shape[axis] for t in tensors])[:-1]

    def backward(g):
        return tuple(np.split(g, bounds, axis=axis))

    return _from_op(np.concatenate([t._data for t in tensors], axis=axis), tensors, backward, "Cat")


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Stack equally shaped tensors along a new axis ``dim`` (as ``torch.stack``)."""
    Tensor = _tensor_cls()
    tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
    if not tensors:
        raise ValueError("stack needs at least one tensor; got an empty sequence")
    axis = _validate.dim_index(dim, tensors[0].ndim + 1)

    def backward(g):
        return tuple(np.moveaxis(g, axis, 0))

    return _from_op(np.stack([t._data for t in tensors], axis=axis), tensors, backward, "Stack")


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Pick from ``a`` where ``condition`` holds, else from ``b`` (as ``torch.where``)."""
    cond = np.asarray(raw(condition), dtype=bool)
    a, b = _pair(a, b)

    def backward(g):
        return (unbroadcast(np.where(cond, g, 0), a.shape),
                unbroadcast(np.where(cond, 0, g), b.shape))

    return _from_op(np.where(cond, a._data, b._data), (a, b), backward, "Where")
