"""Elementwise and matrix ops on Tensors, each forward beside its backward.

Every function computes the result as an ndarray and hands ``Tensor._from_op`` a ``backward``
closure mapping ``grad_output`` to one gradient per input (``None`` for inputs without one).
Reductions, shape and indexing ops live in ``_ops_reduce``, ``_ops_shape`` and ``_ops_index``;
they are re-exported here so callers need one module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._opbase import pair as _pair
from ._opbase import raw, tensor_cls
from ._opbase import scalar_dtype as _scalar_dtype
from ._ops_index import gather, getitem, index_put, index_select, masked_fill, scatter, where
from ._ops_reduce import (
    ValuesIndices,
    amax,
    amin,
    argmax,
    argmin,
    argsort,
    extreme_dim,
    mean,
    norm,
    sort,
    std,
    sum,
    take_along,
    topk,
    var,
)
from ._ops_shape import (
    cat,
    chunk,
    expand,
    flatten,
    permute,
    repeat,
    reshape,
    sizes_arg,
    split,
    squeeze,
    stack,
    transpose,
    unfold,
    unsqueeze,
)
from .autograd import unbroadcast

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = [
    "ValuesIndices", "amax", "amin", "argmax", "argmin", "argsort", "cat", "chunk", "expand",
    "extreme_dim", "flatten", "gather", "getitem", "index_put", "index_select", "masked_fill",
    "mean", "norm", "permute", "raw", "repeat", "reshape", "scatter", "sizes_arg", "sort",
    "split", "squeeze", "stack", "std", "sum", "take_along", "topk", "transpose", "unfold",
    "unsqueeze", "var", "where",
]

_tensor_cls = tensor_cls


def _from_op(data, inputs, backward, name):
    return tensor_cls()._from_op(data, inputs, backward, name)


# -- elementwise binary ------------------------------------------------------------------
def add(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)

    def backward(g):  # (None for a constant: run_backward would drop its gradient)
        return (unbroadcast(g, a.shape) if a.requires_grad else None,
                unbroadcast(g, b.shape) if b.requires_grad else None)

    return _from_op(a._data + b._data, (a, b), backward, "Add")


def sub(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)

    def backward(g):
        return (unbroadcast(g, a.shape) if a.requires_grad else None,
                unbroadcast(-g, b.shape) if b.requires_grad else None)

    return _from_op(a._data - b._data, (a, b), backward, "Sub")


def mul(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)

    def backward(g):
        return (unbroadcast(g * b._data, a.shape) if a.requires_grad else None,
                unbroadcast(g * a._data, b.shape) if b.requires_grad else None)

    return _from_op(a._data * b._data, (a, b), backward, "Mul")


def div(a: Any, b: Any, rounding_mode: str | None = None) -> Tensor:
    """``a / b``; with ``rounding_mode="trunc"`` or ``"floor"`` the rounded quotient, whose
    gradient is zero (as in torch)."""
    if rounding_mode is not None:
        return _rounded_div(a, b, rounding_mode)
    a, b = _pair(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):  # x / 0 is inf or nan, as in torch
        out = a._data / b._data
    if out.dtype == np.float64 and a.dtype.kind in "iub" and b.dtype.kind in "iub":
        out = out.astype(np.float32)  # torch's true division of integers gives float32

    def backward(g):
        return (unbroadcast(g / b._data, a.shape) if a.requires_grad else None,
                unbroadcast(-g * out / b._data, b.shape) if b.requires_grad else None)

    return _from_op(out, (a, b), backward, "Div")


def _rounded_div(a: Any, b: Any, rounding_mode: str) -> Tensor:
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"rounding_mode must be None, 'trunc' or 'floor'; got {rounding_mode!r}")
    a, b = _pair(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        if a.dtype.kind in "iub" and b.dtype.kind in "iub":
            out = np.floor_divide(a._data, b._data)
            if rounding_mode == "trunc":
                out = np.where((out < 0) & (out * b._data != a._data), out + 1, out)
        else:
            out = (np.trunc if rounding_mode == "trunc" else np.floor)(a._data / b._data)

    def backward(g):
        return (unbroadcast(np.zeros_like(g), a.shape), unbroadcast(np.zeros_like(g), b.shape))

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


def power(x: Any, exponent: Any) -> Tensor:
    """``x ** exponent``; d/dx is 0 where the exponent is 0, as in torch."""
    if isinstance(exponent, _tensor_cls()) or not isinstance(x, _tensor_cls()):
        return _power_tensor(x, exponent)
    if isinstance(exponent, np.generic):  # a NumPy float64 scalar would upcast float32 data
        exponent = exponent.item()
    if np.iscomplexobj(exponent):
        raise TypeError(f"power needs a real exponent; got {exponent!r}")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = x._data ** np.asarray(exponent, _scalar_dtype(exponent, x.dtype))

    def backward(g):
        if exponent == 0:
            return (np.zeros_like(g),)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return (g * exponent * x._data ** (exponent - 1),)

    return _from_op(out, (x,), backward, "Pow")


def _power_tensor(a: Any, b: Any) -> Tensor:
    """``a ** b`` with a tensor exponent; d/db = a**b * log(a), taken as 0 where a = 0, b >= 0."""
    a, b = _pair(a, b)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = a._data ** b._data

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            grad_a = np.where(b._data == 0, 0, g * b._data * a._data ** (b._data - 1))
            grad_b = np.where((a._data == 0) & (b._data >= 0), 0, g * out * np.log(a._data))
        return unbroadcast(grad_a, a.shape), unbroadcast(grad_b, b.shape)

    return _from_op(out, (a, b), backward, "Pow")


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


def clamp(x: Tensor, low: Any = None, high: Any = None) -> Tensor:
    """``min(max(x, low), high)``; ``low`` and ``high`` may be numbers or tensors. Gradients
    follow torch: to ``x`` inside the range, to a bound where it is the one that binds."""
    if low is None and high is None:
        raise ValueError("clamp needs at least one of min and max; got neither")
    Tensor = _tensor_cls()
    bounds = [b if isinstance(b, Tensor) or b is None else Tensor(np.asarray(b, x.dtype))
              for b in (low, high)]
    lo, hi = (None if b is None else b._data for b in bounds)
    out = x._data
    if lo is not None:
        out = np.where(np.isnan(out), out, np.maximum(out, lo))
    if hi is not None:
        out = np.where(np.isnan(out), out, np.minimum(out, hi))
    inputs = (x, *(b for b in bounds if b is not None))

    def backward(g):
        data = x._data
        keep = np.ones(np.broadcast_shapes(data.shape, *(b.shape for b in inputs)), bool)
        if lo is not None:
            keep &= data >= lo
        if hi is not None:
            keep &= data <= hi
        grads = [unbroadcast(np.where(keep, g, 0), x.shape)]
        if lo is not None:
            below = (data < lo) & (lo < hi) if hi is not None else data < lo
            grads.append(unbroadcast(np.where(below, g, 0), bounds[0].shape))
        if hi is not None:
            above = (data > hi) | (hi < lo) if lo is not None else data > hi
            grads.append(unbroadcast(np.where(above, g, 0), bounds[1].shape))
        return tuple(grads)

    return _from_op(out.astype(x.dtype, copy=False), inputs, backward, "Clamp")


def _extreme_pair(a: Any, b: Any, pick, name: str) -> Tensor:
    a, b = _pair(a, b)
    out = pick(a._data, b._data)

    def backward(g):
        share = np.where(a._data == b._data, 0.5, 1.0)
        wins_a = pick(a._data, b._data) == a._data
        wins_b = pick(a._data, b._data) == b._data
        return (unbroadcast(np.where(wins_a, g * share, 0), a.shape),
                unbroadcast(np.where(wins_b, g * share, 0), b.shape))

    return _from_op(out, (a, b), backward, name)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum (NaN wins); tied elements share the gradient equally."""
    return _extreme_pair(a, b, np.maximum, "Maximum")


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum (NaN wins); tied elements share the gradient equally."""
    return _extreme_pair(a, b, np.minimum, "Minimum")


def lerp(start: Any, end: Any, weight: Any) -> Tensor:
    """``start + weight * (end - start)``, as ``torch.lerp``."""
    return add(start, mul(weight, sub(end, start)))


def astype(x: Tensor, dtype: Any) -> Tensor:
    """Cast to ``dtype``; the gradient is cast back (a non-float result has no gradient)."""
    source = x.dtype
    return _from_op(x._data.astype(dtype), (x,), lambda g: (g.astype(source),), "ToCopy")


