"""Reductions (sum, mean, var, std, norm, max/min, topk, sort), forward beside backward."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ._opbase import axes as _axes
from ._opbase import expand_back, from_op, int_dim, tensor_cls

if TYPE_CHECKING:
    from .tensor import Tensor


class ValuesIndices(NamedTuple):
    """What ``max(dim)``, ``min(dim)``, ``topk`` and ``sort`` return, as torch does."""

    values: Any
    indices: Any


def sum(x: Tensor, dim=None, keepdim: bool = False, dtype: Any = None) -> Tensor:  # noqa: A001
    axes = _axes(dim, x.ndim)
    data = x._data if dtype is None else x._data.astype(dtype)

    def backward(g):
        return (expand_back(g, axes, keepdim, x.shape).astype(x.dtype, copy=False),)

    return from_op(np.sum(data, axis=axes, keepdims=keepdim), (x,), backward, "Sum")


def mean(x: Tensor, dim=None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    axes = _axes(dim, x.ndim)
    count = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    data = x._data if dtype is None else x._data.astype(dtype)
    if data.dtype.kind != "f":
        raise TypeError(f"mean needs a float tensor (or dtype=); got dtype {data.dtype}")
    with np.errstate(invalid="ignore", divide="ignore"):  # the mean of nothing is nan
        out = np.sum(data, axis=axes, keepdims=keepdim) / np.asarray(count, data.dtype)

    def backward(g):
        return (expand_back(g / count, axes, keepdim, x.shape),)

    return from_op(out, (x,), backward, "Mean")


def correction_of(unbiased: Any, correction: Any) -> float:
    """torch's ``unbiased=`` (bool) and ``correction=`` (number), at most one of them."""
    if unbiased is not None and correction is not None:
        raise TypeError("give unbiased or correction, not both")
    if unbiased is not None:
        return 1.0 if unbiased else 0.0
    return 1.0 if correction is None else float(correction)


def _variance(x: Tensor, dim, unbiased: Any, keepdim: bool, correction: Any):
    """The variance over ``dim`` and the map from its gradient to the gradient of ``x``."""
    if isinstance(dim, bool):  # torch.var(x, False): the old unbiased positional
        dim, unbiased = None, dim
    axes = _axes(dim, x.ndim)
    ddof = correction_of(unbiased, correction)
    count = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    centred = x._data - np.mean(x._data, axis=axes, keepdims=True) if count else x._data
    with np.errstate(invalid="ignore", divide="ignore"):  # too few samples give inf or nan
        out = np.sum(centred * centred, axis=axes, keepdims=keepdim) / max(count - ddof, 0)
        scale = np.float64(2.0) / max(count - ddof, 0)

    def backward(g):
        with np.errstate(invalid="ignore"):
            return expand_back(g, axes, keepdim, x.shape) * centred * scale

    return out.astype(x.dtype, copy=False), backward


def var(x: Tensor, dim=None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    """Variance over ``dim`` with Bessel's ``correction`` (1 by default), as ``torch.var``."""
    out, backward = _variance(x, dim, unbiased, keepdim, correction)
    return from_op(out, (x,), lambda g: (backward(g),), "Var")


def std(x: Tensor, dim=None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    """Standard deviation, the square root of :func:`var`; its gradient where it is 0 is 0
    (as in torch)."""
    variance, backward = _variance(x, dim, unbiased, keepdim, correction)
    out = np.sqrt(variance)

    def std_backward(g):
        with np.errstate(invalid="ignore", divide="ignore"):
            return (backward(np.where(out == 0, 0, g / (2 * out))),)

    return from_op(out, (x,), std_backward, "Std")


def norm(x: Tensor, p: Any = "fro", dim=None, keepdim: bool = False) -> Tensor:
    """The vector p-norm over ``dim`` (all elements by default), as ``torch.norm``.

    ``p`` may be any number, ``inf``, ``-inf`` or ``"fro"`` (= 2). The gradient of the 2-norm
    at zero is zero, as in torch.
    """
    if p == "fro" or p is None:
        p = 2.0
    if p == "nuc":
        return _nuclear_norm(x, dim, keepdim)
    if isinstance(p, str):
        raise ValueError(f"norm supports p='fro', 'nuc' or a number; got p={p!r}")
    from ._ops import absolute, power

    p = float(p)
    magnitude = absolute(x)
    if np.isinf(p):
        return (amax if p > 0 else amin)(magnitude, dim, keepdim)
    if p == 0:  # counts non-zeros; its gradient is zero
        count = np.sum(x._data != 0, axis=_axes(dim, x.ndim), keepdims=keepdim)
        return from_op(count.astype(x.dtype), (x,), lambda g: (np.zeros(x.shape, g.dtype),),
                       "Norm")
    if p == 2:
        return _two_norm(x, dim, keepdim)
    return power(sum(power(magnitude, p), dim, keepdim), 1.0 / p)


def _nuclear_norm(x: Tensor, dim, keepdim: bool) -> Tensor:
    """The sum of singular values of the matrices over ``dim`` (two axes; the last two by
    default); d/dx = U V^T."""
    rows, cols = _axes(dim if dim is not None else (-2, -1), x.ndim)
    if x.ndim < 2:
        raise ValueError(f"norm(p='nuc') needs a matrix; got shape {x.shape}")
    moved = np.moveaxis(x._data, (rows, cols), (-2, -1))
    u, s, vt = np.linalg.svd(moved, full_matrices=False)
    out = s.sum(axis=-1)
    if keepdim:
        out = np.expand_dims(out, tuple(sorted((rows, cols))))

    def backward(g):
        g = np.squeeze(g, tuple(sorted((rows, cols)))) if keepdim else g
        grad = g[..., None, None] * (u @ vt)
        return (np.moveaxis(grad, (-2, -1), (rows, cols)),)

    return from_op(out, (x,), backward, "Norm")


def _two_norm(x: Tensor, dim, keepdim: bool) -> Tensor:
    axes = _axes(dim, x.ndim)
    out = np.sqrt(np.sum(x._data * x._data, axis=axes, keepdims=True))

    def backward(g):
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(out == 0, 0, x._data / out)
        return (expand_back(g, axes, keepdim, x.shape) * scale,)

    return from_op(out if keepdim else np.squeeze(out, axis=axes), (x,), backward, "Norm")


def _extreme(x: Tensor, dim, keepdim: bool, reduce, name: str) -> Tensor:
    """Max or min over ``dim``; the gradient is shared equally between tied extremes."""
    axes = _axes(dim, x.ndim)
    if any(x.shape[a] == 0 for a in axes) or (dim is None and x._data.size == 0):
        raise ValueError(f"{name.lower()} of an empty tensor over dim {dim} has no value; "
                         f"got shape {x.shape}")
    out = reduce(x._data, axis=axes, keepdims=True)

    def backward(g):
        mask = (x._data == out) | (np.isnan(x._data) & np.isnan(out))
        share = mask / mask.sum(axis=axes, keepdims=True)
        return (expand_back(g, axes, keepdim, x.shape) * share,)

    result = out if keepdim else np.squeeze(out, axis=axes)
    return from_op(result, (x,), backward, name)


def amax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Maximum over ``dim``; the gradient is shared equally between tied maxima."""
    return _extreme(x, dim, keepdim, np.max, "Max")


def amin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Minimum over ``dim``; the gradient is shared equally between tied minima."""
    return _extreme(x, dim, keepdim, np.min, "Min")


def take_along(x: Tensor, indices: np.ndarray, dim: int, keepdim: bool) -> Tensor:
    """``x`` picked at ``indices`` along ``dim`` (keepdim-shaped); the gradient goes back there."""
    dim = dim % max(x.ndim, 1)
    if x.ndim == 0:
        return from_op(x._data.copy(), (x,), lambda g: (g,), "Gather")
    index = np.expand_dims(indices, dim) if not keepdim else indices
    out = np.take_along_axis(x._data, index, axis=dim)

    def backward(g):
        full = np.zeros(x.shape, dtype=g.dtype)
        np.put_along_axis(full, index, g if keepdim else np.expand_dims(g, dim), axis=dim)
        return (full,)

    return from_op(out if keepdim else np.squeeze(out, axis=dim), (x,), backward, "Gather")


def _arg(x: Tensor, dim, keepdim: bool, pick) -> np.ndarray:
    data = x._data
    if dim is None:
        return np.asarray(pick(data.reshape(-1), axis=0), dtype=np.int64)
    axis = int_dim(dim, x.ndim)
    if x.ndim == 0:
        return np.zeros((), np.int64)
    return pick(data, axis=axis, keepdims=keepdim).astype(np.int64)


def argmax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the (first) maximum, over all elements or along ``dim``; NaN counts as largest."""
    return tensor_cls()._wrap(_arg(x, dim, keepdim, np.argmax))


def argmin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the (first) minimum, over all elements or along ``dim``."""
    return tensor_cls()._wrap(_arg(x, dim, keepdim, np.argmin))


def extreme_dim(x: Tensor, dim: Any, keepdim: bool, largest: bool) -> ValuesIndices:
    """``max(dim)`` / ``min(dim)``: values and indices along one int ``dim``."""
    if not isinstance(dim, int | np.integer) or isinstance(dim, bool):
        raise TypeError(f"{'max' if largest else 'min'}(dim) takes one int dim and returns "
                        f"(values, indices); got dim={dim!r} (use amax/amin for several dims)")
    indices = _arg(x, dim, keepdim, np.argmax if largest else np.argmin)
    return ValuesIndices(take_along(x, indices, int_dim(dim, x.ndim), keepdim),
                         tensor_cls()._wrap(indices))


def _order(data: np.ndarray, axis: int, descending: bool, stable: bool) -> np.ndarray:
    kind = "stable" if stable else None
    if not descending:
        return np.argsort(data, axis=axis, kind=kind)
    keys = data.astype(np.int64) if data.dtype.kind in "bu" else data
    return np.argsort(-keys, axis=axis, kind=kind)


def sort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False
         ) -> ValuesIndices:
    """Values sorted along ``dim`` and where they came from, as ``torch.sort``."""
    axis = int_dim(dim, x.ndim)
    if x.ndim == 0:
        return ValuesIndices(take_along(x, None, 0, True), tensor_cls()._wrap(np.zeros((),
                                                                                       np.int64)))
    order = _order(x._data, axis, descending, stable).astype(np.int64)
    return ValuesIndices(take_along(x, order, axis, True), tensor_cls()._wrap(order))


def argsort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``x`` along ``dim``."""
    return sort(x, dim, descending, stable).indices


def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True  # noqa: A002
         ) -> ValuesIndices:
    """The ``k`` largest (or smallest) values along ``dim`` and their indices."""
    axis = int_dim(dim, x.ndim)
    length = x.shape[axis] if x.ndim else 1
    if not isinstance(k, int | np.integer) or not 0 <= k <= length:
        raise ValueError(f"k must be an int in [0, {length}] (the size of dim {dim}); got {k!r}")
    if x.ndim == 0:
        return sort(x)
    order = _order(x._data, axis, largest, True)
    index = np.take(order, np.arange(int(k)), axis=axis).astype(np.int64)
    return ValuesIndices(take_along(x, index, axis, True), tensor_cls()._wrap(index))
