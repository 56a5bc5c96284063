"""Elementwise, reduction and shape ops on Tensors, each forward beside its backward.

Every function computes the result as an ndarray and hands ``Tensor._from_op`` a ``backward``
closure mapping ``grad_output`` to one gradient per input (``None`` for inputs without one).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .autograd import unbroadcast

if TYPE_CHECKING:
    from .tensor import Tensor


def _tensor_cls():
    from .tensor import Tensor

    return Tensor


def raw(value: Any) -> Any:
    """The ndarray behind a Tensor, or the value itself."""
    return value.data if isinstance(value, _tensor_cls()) else value


def _pair(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Wrap constants so both operands are Tensors; Python scalars take the tensor's dtype."""
    Tensor = _tensor_cls()
    if not isinstance(a, Tensor):
        a = Tensor(np.asarray(a, dtype=b.dtype if np.isscalar(a) else None))
    if not isinstance(b, Tensor):
        b = Tensor(np.asarray(b, dtype=a.dtype if np.isscalar(b) else None))
    return a, b


def _from_op(data, inputs, backward, name):
    return _tensor_cls()._from_op(data, inputs, backward, name)


# -- elementwise binary ------------------------------------------------------------------
def add(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)

    def backward(g):
        return unbroadcast(g, a.shape), unbroadcast(g, b.shape)

    return _from_op(a.data + b.data, (a, b), backward, "Add")


def sub(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)

    def backward(g):
        return unbroadcast(g, a.shape), unbroadcast(-g, b.shape)

    return _from_op(a.data - b.data, (a, b), backward, "Sub")


def mul(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)

    def backward(g):
        return unbroadcast(g * b.data, a.shape), unbroadcast(g * a.data, b.shape)

    return _from_op(a.data * b.data, (a, b), backward, "Mul")


def div(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)
    out = a.data / b.data

    def backward(g):
        return unbroadcast(g / b.data, a.shape), unbroadcast(-g * out / b.data, b.shape)

    return _from_op(out, (a, b), backward, "Div")


def matmul(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul needs tensors of at least 1 dimension; got {a.shape} and {b.shape}")

    def backward(g):
        A = a.data[None, :] if a.ndim == 1 else a.data
        B = b.data[:, None] if b.ndim == 1 else b.data
        G = g
        if a.ndim == 1:
            G = np.expand_dims(G, -2)
        if b.ndim == 1:
            G = np.expand_dims(G, -1)
        grad_a = G @ np.swapaxes(B, -1, -2)
        grad_b = np.swapaxes(A, -1, -2) @ G
        grad_a = unbroadcast(grad_a, A.shape).reshape(a.shape)
        grad_b = unbroadcast(grad_b, B.shape).reshape(b.shape)
        return grad_a, grad_b

    return _from_op(a.data @ b.data, (a, b), backward, "MatMul")


# -- elementwise unary -------------------------------------------------------------------
def neg(x: Tensor) -> Tensor:
    return _from_op(-x.data, (x,), lambda g: (-g,), "Neg")


def power(x: Tensor, exponent: float) -> Tensor:
    if isinstance(exponent, _tensor_cls()):
        raise TypeError("power supports a number exponent only; got a Tensor")
    out = x.data ** exponent

    def backward(g):
        return (g * exponent * x.data ** (exponent - 1),)

    return _from_op(out, (x,), backward, "Pow")


def exp(x: Tensor) -> Tensor:
    out = np.exp(x.data)
    return _from_op(out, (x,), lambda g: (g * out,), "Exp")


def log(x: Tensor) -> Tensor:
    return _from_op(np.log(x.data), (x,), lambda g: (g / x.data,), "Log")


def sqrt(x: Tensor) -> Tensor:
    out = np.sqrt(x.data)
    return _from_op(out, (x,), lambda g: (g / (2 * out),), "Sqrt")


def absolute(x: Tensor) -> Tensor:
    return _from_op(np.abs(x.data), (x,), lambda g: (g * np.sign(x.data),), "Abs")


def clamp(x: Tensor, low: float | None, high: float | None) -> Tensor:
    out = np.clip(x.data, low, high)
    inside = np.ones(x.shape, dtype=bool)
    if low is not None:
        inside &= x.data >= low
    if high is not None:
        inside &= x.data <= high
    return _from_op(out, (x,), lambda g: (g * inside,), "Clamp")


def astype(x: Tensor, dtype: Any) -> Tensor:
    source = x.dtype
    return _from_op(x.data.astype(dtype), (x,), lambda g: (g.astype(source),), "ToCopy")


# -- reductions --------------------------------------------------------------------------
def _axes(dim: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(d % ndim for d in dims)


def _expand_back(g: np.ndarray, axes: tuple[int, ...], keepdim: bool, shape) -> np.ndarray:
    if not keepdim:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


def sum(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001 - torch's name
    axes = _axes(dim, x.ndim)

    def backward(g):
        return (_expand_back(g, axes, keepdim, x.shape),)

    return _from_op(np.sum(x.data, axis=axes, keepdims=keepdim), (x,), backward, "Sum")


def mean(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    axes = _axes(dim, x.ndim)
    count = int(np.prod([x.shape[a] for a in axes])) if axes else 1

    def backward(g):
        return (_expand_back(g / count, axes, keepdim, x.shape),)

    return _from_op(np.mean(x.data, axis=axes, keepdims=keepdim), (x,), backward, "Mean")


def amax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Maximum over ``dim``; the gradient is shared equally between tied maxima."""
    axes = _axes(dim, x.ndim)
    out = np.max(x.data, axis=axes, keepdims=True)

    def backward(g):
        mask = x.data == out
        share = mask / mask.sum(axis=axes, keepdims=True)
        return (_expand_back(g, axes, keepdim, x.shape) * share,)

    result = out if keepdim else np.squeeze(out, axis=axes)
    return _from_op(result, (x,), backward, "Max")


# -- shape -------------------------------------------------------------------------------
def reshape(x: Tensor, shape: Sequence[int]) -> Tensor:
    out = x.data.reshape(tuple(shape))
    return _from_op(out, (x,), lambda g: (g.reshape(x.shape),), "Reshape")


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if x.ndim == 0:
        return reshape(x, (1,))
    start, end = start_dim % x.ndim, end_dim % x.ndim
    if start > end:
        raise ValueError(f"flatten needs start_dim <= end_dim; got {start_dim} and {end_dim}")
    shape = x.shape[:start] + (-1,) + x.shape[end + 1:]
    if 0 in x.shape:
        shape = x.shape[:start] + (int(np.prod(x.shape[start:end + 1])),) + x.shape[end + 1:]
    return reshape(x, shape)


def permute(x: Tensor, dims: Sequence[int]) -> Tensor:
    dims = tuple(d % x.ndim for d in dims) if x.ndim else tuple(dims)
    inverse = tuple(np.argsort(dims))
    out = np.transpose(x.data, dims)
    return _from_op(out, (x,), lambda g: (np.transpose(g, inverse),), "Permute")


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    dims = list(range(x.ndim))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return permute(x, dims)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    dim = dim % (x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def squeeze(x: Tensor, dim: int | None = None) -> Tensor:
    if dim is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    dim = dim % x.ndim
    if x.shape[dim] != 1:
        return x
    return reshape(x, x.shape[:dim] + x.shape[dim + 1:])


def _is_basic_index(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return builtins.all(
        isinstance(i, int | slice | type(None)) or i is Ellipsis for i in items
    )


def getitem(x: Tensor, index: Any) -> Tensor:
    if isinstance(index, _tensor_cls()):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(raw(i) for i in index)
    out = np.asarray(x.data[index])
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
    axis = dim % tensors[0].ndim
    bounds = np.cumsum([t.shape[axis] for t in tensors])[:-1]

    def backward(g):
        return tuple(np.split(g, bounds, axis=axis))

    return _from_op(np.concatenate([t.data for t in tensors], axis=axis), tensors, backward, "Cat")


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Stack equally shaped tensors along a new axis ``dim`` (as ``torch.stack``)."""
    Tensor = _tensor_cls()
    tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
    if not tensors:
        raise ValueError("stack needs at least one tensor; got an empty sequence")
    axis = dim % (tensors[0].ndim + 1)

    def backward(g):
        return tuple(np.moveaxis(g, axis, 0))

    return _from_op(np.stack([t.data for t in tensors], axis=axis), tensors, backward, "Stack")


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Pick from ``a`` where ``condition`` holds, else from ``b`` (as ``torch.where``)."""
    cond = np.asarray(raw(condition), dtype=bool)
    a, b = _pair(a, b)

    def backward(g):
        return (unbroadcast(np.where(cond, g, 0), a.shape),
                unbroadcast(np.where(cond, 0, g), b.shape))

    return _from_op(np.where(cond, a.data, b.data), (a, b), backward, "Where")
