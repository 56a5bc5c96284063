"""Shape ops on Tensors (reshape, permute, cat, split, expand, repeat, ...), forward beside
backward. Each backward only moves ``grad_output`` back into the input's shape.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _validate
from ._opbase import as_tensor, from_op, int_dim

if TYPE_CHECKING:
    from .tensor import Tensor


def sizes_arg(sizes: tuple[Any, ...], name: str = "size") -> tuple[int, ...]:
    """torch's ``*sizes`` convention: ``f(2, 3)`` or ``f((2, 3))``; 0-d int tensors count."""
    if len(sizes) == 1 and not isinstance(sizes[0], int | np.integer):
        sizes = sizes[0]
    try:
        return tuple(int(s.__index__()) for s in sizes)
    except (AttributeError, TypeError):
        raise TypeError(f"{name} must be ints or one tuple of ints; got {sizes!r}") from None


def reshape(x: Tensor, shape: Sequence[int]) -> Tensor:
    out = x._data.reshape(tuple(shape))
    return from_op(out, (x,), lambda g: (g.reshape(x.shape),), "Reshape")


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    start = _validate.dim_index(start_dim, x.ndim, "start_dim")
    end = _validate.dim_index(end_dim, x.ndim, "end_dim")
    if x.ndim == 0:
        return reshape(x, (1,))
    if start > end:
        raise ValueError(f"flatten needs start_dim <= end_dim; got {start_dim} and {end_dim}")
    shape = x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:]
    return reshape(x, shape)


def permute(x: Tensor, dims: Sequence[int]) -> Tensor:
    dims = tuple(_validate.dim_index(d, x.ndim) for d in dims) if x.ndim else ()
    if sorted(dims) != list(range(x.ndim)):
        raise ValueError(f"permute needs a permutation of the {x.ndim} dimensions; got {dims}")
    inverse = tuple(np.argsort(dims))
    out = np.transpose(x._data, dims)
    return from_op(out, (x,), lambda g: (np.transpose(g, inverse),), "Permute")


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


def squeeze(x: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    if dim is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    dims = tuple(dim) if isinstance(dim, Sequence) else (dim,)
    drop = {_validate.dim_index(d, x.ndim) for d in dims}
    if x.ndim == 0:
        return x
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if not (i in drop and n == 1)))


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Concatenate tensors along ``dim`` (as ``torch.cat``); 1-D empty tensors are skipped."""
    tensors = tuple(as_tensor(t) for t in tensors)
    if not tensors:
        raise ValueError("cat needs at least one tensor; got an empty sequence")
    used = [t.shape != (0,) for t in tensors]
    if not any(used):
        used[0] = True
    kept = tuple(t for t, u in zip(tensors, used) if u)
    if kept[0].ndim == 0:
        raise ValueError("cat cannot concatenate 0-d tensors; use stack")
    axis = _validate.dim_index(dim, kept[0].ndim)
    bounds = np.cumsum([t.shape[axis] for t in kept])[:-1]
    out = np.concatenate([t._data for t in kept], axis=axis)

    def backward(g):
        parts = iter(np.split(g, bounds, axis=axis))
        return tuple(next(parts) if u else None for u in used)

    return from_op(out, tensors, backward, "Cat")


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Stack equally shaped tensors along a new axis ``dim`` (as ``torch.stack``)."""
    tensors = tuple(as_tensor(t) for t in tensors)
    if not tensors:
        raise ValueError("stack needs at least one tensor; got an empty sequence")
    axis = _validate.dim_index(dim, tensors[0].ndim + 1)

    def backward(g):
        return tuple(np.moveaxis(g, axis, 0))

    return from_op(np.stack([t._data for t in tensors], axis=axis), tensors, backward, "Stack")


def split(x: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0
          ) -> tuple[Tensor, ...]:
    """Pieces of ``x`` along ``dim``: each ``split_size`` long, or the given ``sections``."""
    axis = int_dim(dim, x.ndim)
    length = x.shape[axis]
    if isinstance(split_size_or_sections, int | np.integer):
        size = int(split_size_or_sections)
        if size < 0 or (size == 0 and length):
            raise ValueError(f"split_size must be positive; got {size}")
        sections = [size] * (length // size) + ([length % size] if length % size else []) \
            if size else [0]
    else:
        sections = [int(s) for s in split_size_or_sections]
        if sum(sections) != length or any(s < 0 for s in sections):
            raise ValueError(f"split sections must be non-negative and sum to the size of "
                             f"dim {dim} (={length}); got {sections}")
    starts = np.concatenate([[0], np.cumsum(sections)])
    return tuple(_slice(x, axis, int(a), int(b)) for a, b in zip(starts[:-1], starts[1:]))


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most ``chunks`` pieces of equal size (the last may be smaller), as ``torch.chunk``."""
    if not isinstance(chunks, int | np.integer) or chunks < 1:
        raise ValueError(f"chunks must be a positive int; got {chunks!r}")
    length = x.shape[int_dim(dim, x.ndim)]
    return split(x, max(-(-length // int(chunks)), 1) if length else 1, dim)


def _slice(x: Tensor, axis: int, start: int, stop: int) -> Tensor:
    index = (slice(None),) * axis + (slice(start, stop),)

    def backward(g):
        full = np.zeros(x.shape, dtype=g.dtype)
        full[index] = g
        return (full,)

    return from_op(x._data[index], (x,), backward, "Split")


def expand(x: Tensor, sizes: tuple[int, ...]) -> Tensor:
    """A broadcast view of ``x`` of ``sizes`` (``-1`` keeps a size), as ``Tensor.expand``."""
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ValueError(f"expand needs at least as many sizes as dims ({x.ndim}); got {sizes}")
    shape = tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    for i, n in enumerate(x.shape):
        if n != 1 and n != shape[i + lead]:
            raise ValueError(f"expand: the size of dim {i} (={n}) must match the new size "
                             f"(={sizes[i + lead]}) or be 1; got sizes {sizes}")
    if any(s < 0 for s in shape):
        raise ValueError(f"expand: new leading dims cannot be -1; got sizes {sizes}")

    def backward(g):
        g = g.sum(axis=tuple(range(lead))) if lead else g
        stretched = tuple(i for i, n in enumerate(x.shape) if n == 1 and g.shape[i] != 1)
        return (g.sum(axis=stretched, keepdims=True) if stretched else g,)

    return from_op(np.broadcast_to(x._data, shape), (x,), backward, "Expand")


def repeat(x: Tensor, repeats: tuple[int, ...]) -> Tensor:
    """``x`` tiled ``repeats`` times along each dim, as ``Tensor.repeat``."""
    if len(repeats) < x.ndim:
        raise ValueError(f"repeat needs at least as many repeats as dims ({x.ndim}); "
                         f"got {repeats}")
    if any(r < 0 for r in repeats):
        raise ValueError(f"repeat counts must be non-negative; got {repeats}")
    shape = (1,) * (len(repeats) - x.ndim) + x.shape
    out = np.tile(x._data.reshape(shape), repeats)

    def backward(g):
        interleaved = tuple(n for pair in zip(repeats, shape) for n in pair)
        summed = g.reshape(interleaved).sum(axis=tuple(range(0, 2 * len(shape), 2)))
        return (summed.reshape(x.shape),)

    return from_op(out, (x,), backward, "Repeat")


def unfold(x: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Every slice of ``size`` elements along ``dimension``, ``step`` apart, as
    ``Tensor.unfold``: that dim becomes the number of slices, and a last dim of ``size``
    holds each slice. Overlapping slices add their gradients."""
    axis = int_dim(dimension, x.ndim, "dimension")
    size = _validate.positive_int(size, "size", minimum=0)
    step = _validate.positive_int(step, "step")
    data = x._data.reshape(x.shape or (1,))
    length = data.shape[axis]
    if size > length:
        raise ValueError(f"unfold: size (={size}) must be at most the size of dimension "
                         f"{axis} (={length}) of a tensor of shape {x.shape}")
    count = (length - size) // step + 1
    windows = np.lib.stride_tricks.sliding_window_view(data, size, axis=axis)
    out = np.array(windows[(slice(None),) * axis + (slice(None, None, step),)])  # a copy
    if x.ndim == 0:                 # torch: a 0-d tensor gives its one slice, shape (size,)
        out = out.reshape(size)

    def backward(g):
        g = g.reshape(out.shape if x.ndim else (1, size))
        grad = np.zeros(data.shape, dtype=g.dtype)
        for j in range(size):       # element j of every slice, k * step + j along the axis
            taken = (slice(None),) * axis + (slice(j, j + step * (count - 1) + 1, step),)
            grad[taken] += g[..., j]
        return (grad.reshape(x.shape),)

    return from_op(out, (x,), backward, "Unfold")
