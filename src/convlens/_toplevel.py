"""torch's top-level tensor functions (``torch.max``, ``torch.flatten``, ``torch.topk``, ...)
as thin forms of the Tensor methods, with torch's arguments and return types.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _ops
from ._opbase import as_tensor as _as_tensor
from ._ops_linalg import bmm, einsum, mm

__all__ = [
    "abs", "add", "allclose", "amax", "amin", "argmax", "argmin", "argsort", "bmm", "chunk",
    "clamp", "clip", "div", "einsum", "equal", "exp", "flatten", "gather", "index_select",
    "isfinite", "isnan", "lerp", "log", "masked_fill", "matmul", "max", "maximum", "mean",
    "min", "minimum", "mm", "mul", "neg", "norm", "numel", "permute", "pow", "relu",
    "reshape", "sigmoid", "sort", "split", "sqrt", "squeeze", "std", "sub", "sum", "tanh",
    "topk", "transpose", "unsqueeze", "use_deterministic_algorithms", "var", "scatter",
    "scatter_add",
]


def max(input: Any, dim: Any = None, keepdim: bool = False):  # noqa: A001, A002
    """``torch.max``: the maximum; ``(values, indices)`` along an int ``dim``; or, given a
    tensor as second argument, the elementwise maximum."""
    return _as_tensor(input).max(dim, keepdim)


def min(input: Any, dim: Any = None, keepdim: bool = False):  # noqa: A001, A002
    """``torch.min``: as :func:`max`, for the minimum."""
    return _as_tensor(input).min(dim, keepdim)


def argmax(input: Any, dim: Any = None, keepdim: bool = False):  # noqa: A002
    """Index of the first maximum, over all elements or along ``dim`` (int64)."""
    return _ops.argmax(_as_tensor(input), dim, keepdim)


def argmin(input: Any, dim: Any = None, keepdim: bool = False):  # noqa: A002
    """Index of the first minimum, over all elements or along ``dim`` (int64)."""
    return _ops.argmin(_as_tensor(input), dim, keepdim)


def amax(input: Any, dim: Any = (), keepdim: bool = False):  # noqa: A002
    """Maximum over one or more dims; tied maxima share the gradient."""
    return _ops.amax(_as_tensor(input), None if dim == () else dim, keepdim)


def amin(input: Any, dim: Any = (), keepdim: bool = False):  # noqa: A002
    """Minimum over one or more dims; tied minima share the gradient."""
    return _ops.amin(_as_tensor(input), None if dim == () else dim, keepdim)


def sum(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None):  # noqa: A001,A002
    """Sum over ``dim`` (all elements by default)."""
    return _ops.sum(_as_tensor(input), dim, keepdim, dtype)


def mean(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None):  # noqa: A002
    """Mean over ``dim`` (all elements by default)."""
    return _ops.mean(_as_tensor(input), dim, keepdim, dtype)


def std(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
        correction: Any = None):
    """Standard deviation over ``dim`` with Bessel's ``correction`` (1 by default)."""
    return _ops.std(_as_tensor(input), dim, unbiased, keepdim, correction=correction)


def var(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
        correction: Any = None):
    """Variance over ``dim`` with Bessel's ``correction`` (1 by default)."""
    return _ops.var(_as_tensor(input), dim, unbiased, keepdim, correction=correction)


def norm(input: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False):  # noqa: A002
    """Vector p-norm over ``dim``; ``p`` is a number, ``inf``, ``'fro'`` or ``'nuc'``."""
    return _ops.norm(_as_tensor(input), p, dim, keepdim)


def topk(input: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The ``k`` largest (or smallest) values along ``dim`` and their indices."""
    return _ops.topk(_as_tensor(input), k, dim, largest, sorted)


def sort(input: Any, dim: int = -1, descending: bool = False, stable: bool = False):  # noqa: A002
    """Values sorted along ``dim`` and their original indices."""
    return _ops.sort(_as_tensor(input), dim, descending, stable)


def argsort(input: Any, dim: int = -1, descending: bool = False, stable: bool = False):  # noqa: A002
    """The indices that sort ``input`` along ``dim``."""
    return _ops.argsort(_as_tensor(input), dim, descending, stable)


def exp(input: Any):  # noqa: A002
    """Elementwise ``e ** input``."""
    return _ops.exp(_as_tensor(input))


def log(input: Any):  # noqa: A002
    """Elementwise natural logarithm."""
    return _ops.log(_as_tensor(input))


def sqrt(input: Any):  # noqa: A002
    """Elementwise square root."""
    return _ops.sqrt(_as_tensor(input))


def abs(input: Any):  # noqa: A001, A002
    """Elementwise absolute value."""
    return _ops.absolute(_as_tensor(input))


def neg(input: Any):  # noqa: A002
    """Elementwise ``-input``."""
    return _ops.neg(_as_tensor(input))


def clamp(input: Any, min: Any = None, max: Any = None):  # noqa: A001, A002
    """``input`` limited to ``[min, max]`` (numbers or tensors)."""
    return _ops.clamp(_as_tensor(input), min, max)


clip = clamp


def pow(input: Any, exponent: Any):  # noqa: A001, A002
    """``input ** exponent`` (either may be a tensor)."""
    return _ops.power(input, exponent)


def add(input: Any, other: Any, *, alpha: Any = 1):  # noqa: A002
    """``input + alpha * other``."""
    return _ops.add(input, other if alpha == 1 else _ops.mul(other, alpha))


def sub(input: Any, other: Any, *, alpha: Any = 1):  # noqa: A002
    """``input - alpha * other``."""
    return _ops.sub(input, other if alpha == 1 else _ops.mul(other, alpha))


def mul(input: Any, other: Any):  # noqa: A002
    """Elementwise product."""
    return _ops.mul(input, other)


def div(input: Any, other: Any, *, rounding_mode: str | None = None):  # noqa: A002
    """``input / other``; ``rounding_mode`` ``'trunc'`` or ``'floor'`` rounds the quotient."""
    return _ops.div(input, other, rounding_mode)


def maximum(input: Any, other: Any):  # noqa: A002
    """Elementwise maximum; ties share the gradient."""
    return _ops.maximum(input, other)


def minimum(input: Any, other: Any):  # noqa: A002
    """Elementwise minimum; ties share the gradient."""
    return _ops.minimum(input, other)


def lerp(input: Any, end: Any, weight: Any):  # noqa: A002
    """``input + weight * (end - input)``."""
    return _ops.lerp(input, end, weight)


def matmul(input: Any, other: Any):  # noqa: A002
    """Matrix product with broadcasting, as ``@``."""
    return _ops.matmul(input, other)


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1):  # noqa: A002
    """``input`` with dims ``start_dim..end_dim`` merged into one."""
    return _ops.flatten(_as_tensor(input), start_dim, end_dim)


def reshape(input: Any, shape: Any):  # noqa: A002
    """``input`` with a new shape (``-1`` infers one size)."""
    return _as_tensor(input).reshape(shape)


def squeeze(input: Any, dim: Any = None):  # noqa: A002
    """``input`` without its size-1 dims (or only those in ``dim``)."""
    return _ops.squeeze(_as_tensor(input), dim)


def unsqueeze(input: Any, dim: int):  # noqa: A002
    """``input`` with a size-1 dim inserted at ``dim``."""
    return _ops.unsqueeze(_as_tensor(input), dim)


def transpose(input: Any, dim0: int, dim1: int):  # noqa: A002
    """``input`` with dims ``dim0`` and ``dim1`` swapped."""
    return _ops.transpose(_as_tensor(input), dim0, dim1)


def permute(input: Any, dims: Any):  # noqa: A002
    """``input`` with its dims reordered."""
    return _ops.permute(_as_tensor(input), dims)


def split(tensor: Any, split_size_or_sections: Any, dim: int = 0):
    """Pieces along ``dim``: each ``split_size`` long, or the given section sizes."""
    return _ops.split(_as_tensor(tensor), split_size_or_sections, dim)


def chunk(input: Any, chunks: int, dim: int = 0):  # noqa: A002
    """At most ``chunks`` pieces of equal size along ``dim``."""
    return _ops.chunk(_as_tensor(input), chunks, dim)


def gather(input: Any, dim: int, index: Any):  # noqa: A002
    """Values of ``input`` at ``index`` along ``dim``."""
    return _ops.gather(_as_tensor(input), dim, index)


def scatter(input: Any, dim: int, index: Any, src: Any = None, value: Any = None,  # noqa: A002
            reduce: Any = None):
    """``input`` with ``src`` (or ``value``) written at ``index`` along ``dim``."""
    return _ops.scatter(_as_tensor(input), dim, index, src, value, reduce)


def scatter_add(input: Any, dim: int, index: Any, src: Any):  # noqa: A002
    """``input`` with ``src`` added at ``index`` along ``dim``."""
    return _ops.scatter(_as_tensor(input), dim, index, src, add=True)


def index_select(input: Any, dim: int, index: Any):  # noqa: A002
    """The entries of ``input`` at the 1-D ``index`` along ``dim``."""
    return _ops.index_select(_as_tensor(input), dim, index)


def masked_fill(input: Any, mask: Any, value: Any):  # noqa: A002
    """``input`` with ``value`` where ``mask`` is True."""
    return _ops.masked_fill(_as_tensor(input), mask, value)


def sigmoid(input: Any):  # noqa: A002
    """Elementwise logistic sigmoid."""
    return _as_tensor(input).sigmoid()


def tanh(input: Any):  # noqa: A002
    """Elementwise hyperbolic tangent."""
    return _as_tensor(input).tanh()


def relu(input: Any):  # noqa: A002
    """Elementwise ``max(input, 0)``."""
    return _as_tensor(input).relu()


def isnan(input: Any):  # noqa: A002
    """Where ``input`` is NaN (bool)."""
    return _as_tensor(input).isnan()


def isfinite(input: Any):  # noqa: A002
    """Where ``input`` is finite (bool)."""
    return _as_tensor(input).isfinite()


def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
             equal_nan: bool = False) -> bool:
    """True when every element of ``input`` is close to ``other``, as ``torch.allclose``."""
    return bool(np.allclose(_ops.raw(input), _ops.raw(other), rtol, atol, equal_nan))


def equal(input: Any, other: Any) -> bool:  # noqa: A002
    """True when both have the same shape and the same values."""
    return _as_tensor(input).equal(_as_tensor(other))


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Accepted: every convlens op already gives the same result for the same inputs."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms(mode) needs a bool; got {mode!r}")


def numel(input: Any) -> int:  # noqa: A002
    """The number of elements."""
    return _as_tensor(input).numel()

