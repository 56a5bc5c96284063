"""Indexing ops (``x[i]``, ``x[i] = v``, gather, scatter, index_select, masked_fill, where),
forward beside backward. Gradients of repeated indices accumulate (``np.add.at``).
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

import numpy as np

from ._opbase import from_op, int_dim, pair, raw, tensor_cls
from .autograd import unbroadcast

if TYPE_CHECKING:
    from .tensor import Tensor


def _index(index: Any) -> Any:
    """A torch index as NumPy reads it: tensors become arrays, also inside tuples and lists."""
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if isinstance(index, list) and builtins.any(isinstance(i, tensor_cls()) for i in index):
        return [_index(i) for i in index]
    return raw(index)


def _is_basic(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return builtins.all(isinstance(i, int | slice | type(None)) or i is Ellipsis for i in items)


def getitem(x: Tensor, index: Any) -> Tensor:
    index = _index(index)
    out = np.asarray(x._data[index])
    basic = _is_basic(index)

    def backward(g):
        full = np.zeros(x.shape, dtype=g.dtype)
        if basic:
            full[index] = g
        else:  # advanced indexing may repeat an element: accumulate, don't overwrite
            np.add.at(full, index, g)
        return (full,)

    return from_op(out.copy() if basic else out, (x,), backward, "Index")


def index_put(x: Tensor, index: Any, value: Any) -> Tensor:
    """``x`` with ``x[index] = value`` applied, out of place (``Tensor.__setitem__`` uses it)."""
    Tensor = tensor_cls()
    index = _index(index)
    value = value if isinstance(value, Tensor) else Tensor(np.asarray(value, x.dtype))
    out = x._data.copy()
    out[index] = value._data
    target_shape = out[index].shape

    def backward(g):
        grad_x = g.copy()
        grad_x[index] = 0
        grad_value = unbroadcast(np.asarray(g[index]).reshape(target_shape), value.shape)
        return grad_x, grad_value.reshape(value.shape)

    return from_op(out, (x, value), backward, "IndexPut")


def _positions(index: np.ndarray, dim: int) -> tuple[np.ndarray, ...]:
    """Full index arrays addressing ``index``'s entries along ``dim``, its own position
    elsewhere (what gather and scatter read and write)."""
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


def _int_index(index: Any, name: str, op: str) -> np.ndarray:
    data = np.asarray(raw(index))
    if data.dtype.kind not in "iu":
        raise TypeError(f"{op} expects an integer {name} tensor; got dtype {data.dtype}")
    return data.astype(np.int64, copy=False)


def gather(x: Tensor, dim: int, index: Any) -> Tensor:
    """``out[i][j] = x[index[i][j]][j]`` for ``dim=0`` (and so on), as ``torch.gather``."""
    axis = int_dim(dim, x.ndim)
    index = _int_index(index, "index", "gather")
    if index.size == 0:
        return from_op(np.zeros(index.shape, x.dtype), (x,),
                       lambda g: (np.zeros(x.shape, g.dtype),), "Gather")
    data = x._data.reshape(x.shape or (1,))
    flat_index = index.reshape(index.shape or (1,))
    where = _positions(flat_index, axis)
    out = data[where].reshape(index.shape)

    def backward(g):
        full = np.zeros(data.shape, dtype=g.dtype)
        np.add.at(full, where, g.reshape(flat_index.shape))
        return (full.reshape(x.shape),)

    return from_op(out, (x,), backward, "Gather")


def scatter(x: Tensor, dim: int, index: Any, src: Any = None, value: Any = None,
            reduce: str | None = None, *, add: bool = False) -> Tensor:
    """``x`` with ``src`` (or ``value``) written at ``index`` along ``dim``, as
    ``torch.scatter``; ``add=True`` accumulates instead (``torch.scatter_add``)."""
    if reduce is not None:
        raise ValueError(f"scatter supports reduce=None only (use scatter_add for sums); "
                         f"got reduce={reduce!r}")
    Tensor = tensor_cls()
    axis = int_dim(dim, x.ndim)
    index = _int_index(index, "index", "scatter")
    if src is None:
        src = value
    src = src if isinstance(src, Tensor) else Tensor(np.asarray(src, x.dtype))
    if x.ndim == 0:
        return _scatter_scalar(x, index, src, add)
    where = _positions(index, axis)
    piece = tuple(slice(0, n) for n in index.shape)
    src_part = np.broadcast_to(src._data, index.shape) if src.ndim == 0 else src._data[piece]
    out = x._data.copy()
    if add:
        np.add.at(out, where, src_part)
    else:
        out[where] = src_part

    def backward(g):
        grad_x = g.copy()
        if not add:
            grad_x[where] = 0
        grad_src = np.zeros(src.shape, dtype=g.dtype)
        if src.ndim == 0:
            grad_src = g[where].sum()
        else:
            grad_src[piece] = g[where]
        return grad_x, grad_src

    return from_op(out, (x, src), backward, "ScatterAdd" if add else "Scatter")


def _scatter_scalar(x: Tensor, index: np.ndarray, src: Tensor, add: bool) -> Tensor:
    picked = src._data.reshape(-1)[:1] if index.size else src._data.reshape(-1)[:0]
    out = x._data + picked.sum() if add else (picked[0] if index.size else x._data)

    def backward(g):
        grad_src = np.zeros(src.shape, g.dtype)
        if index.size:
            grad_src.reshape(-1)[0] = g
        return (g if add or not index.size else np.zeros_like(g)), grad_src

    return from_op(np.asarray(out, x.dtype), (x, src), backward, "Scatter")


def index_select(x: Tensor, dim: int, index: Any) -> Tensor:
    """The entries of ``x`` at ``index`` (1-D) along ``dim``, as ``torch.index_select``."""
    axis = int_dim(dim, x.ndim)
    index = _int_index(index, "index", "index_select").reshape(-1)
    if x.ndim == 0:
        return from_op(x._data.reshape(1)[index].reshape(()), (x,), lambda g: (g,), "Index")
    out = np.take(x._data, index, axis=axis)

    def backward(g):
        full = np.zeros(x.shape, dtype=g.dtype)
        np.add.at(np.moveaxis(full, axis, 0), index, np.moveaxis(g, axis, 0))
        return (full,)

    return from_op(out, (x,), backward, "IndexSelect")


def masked_fill(x: Tensor, mask: Any, value: Any) -> Tensor:
    """``x`` with ``value`` where ``mask`` (broadcast to ``x``) is True."""
    Tensor = tensor_cls()
    mask = np.asarray(raw(mask))
    if mask.dtype != np.bool_:
        raise TypeError(f"masked_fill expects a bool mask; got dtype {mask.dtype}")
    mask = np.broadcast_to(mask, np.broadcast_shapes(mask.shape, x.shape))
    value = value if isinstance(value, Tensor) else Tensor(np.asarray(value, x.dtype))
    if value.ndim != 0:
        raise ValueError(f"masked_fill takes a number or a 0-d tensor as value; got shape "
                         f"{value.shape}")
    out = np.where(mask, value._data.astype(x.dtype), x._data)

    def backward(g):
        return unbroadcast(np.where(mask, 0, g), x.shape), np.where(mask, g, 0).sum()

    return from_op(out, (x, value), backward, "MaskedFill")


def where(condition: Any, a: Any = None, b: Any = None) -> Tensor | tuple[Tensor, ...]:
    """Pick from ``a`` where ``condition`` holds, else from ``b`` (as ``torch.where``);
    with ``condition`` alone, the indices where it holds (one tensor per dim)."""
    cond = np.asarray(raw(condition)).astype(bool)
    if a is None and b is None:
        return tuple(tensor_cls()._wrap(i.astype(np.int64)) for i in np.nonzero(cond))
    a, b = pair(a, b)

    def backward(g):
        return (unbroadcast(np.where(cond, g, 0), a.shape),
                unbroadcast(np.where(cond, 0, g), b.shape))

    return from_op(np.where(cond, a._data, b._data), (a, b), backward, "Where")
