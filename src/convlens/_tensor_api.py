"""Tensor methods that PyTorch users reach for, built on the ops in :mod:`convlens._ops`.

Kept apart from :mod:`convlens.tensor` (the core: data, grad, backward, arithmetic) so each
file stays readable; ``Tensor`` inherits these.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from . import _ops
from .autograd import is_grad_enabled


class ValuesIndices(NamedTuple):
    """What ``Tensor.max(dim)`` and ``Tensor.min(dim)`` return, as torch does."""

    values: Any
    indices: Any


class TorchMethods:
    """Mixin for :class:`convlens.Tensor`."""

    __slots__ = ()

    # -- in-place operators: `p -= lr * p.grad` under no_grad updates p itself -----------
    def _in_place(self, method: str, out_of_place, other):
        other_needs_grad = getattr(other, "requires_grad", False)
        if is_grad_enabled() and (self.requires_grad or other_needs_grad):
            if self.is_leaf and self.requires_grad:
                raise RuntimeError(
                    "a leaf tensor that requires grad cannot be changed in place while "
                    "gradients are recorded; do the update inside `with convlens.no_grad():`")
            return out_of_place(other)       # inside a graph: record it as a new node
        return getattr(self, method)(other)

    def __iadd__(self, other):
        return self._in_place("add_", self.__add__, other)

    def __isub__(self, other):
        return self._in_place("sub_", self.__sub__, other)

    def __imul__(self, other):
        return self._in_place("mul_", self.__mul__, other)

    def __itruediv__(self, other):
        return self._in_place("div_", self.__truediv__, other)

    def div_(self, other):
        return self._assign(self._data / np.asarray(_ops.raw(other)))

    # -- reductions with torch's return conventions ----------------------------------
    def max(self, dim: int | None = None, keepdim: bool = False):
        """The maximum; with an int ``dim``, ``(values, indices)`` along it (as torch)."""
        if dim is None:
            return _ops.amax(self, None, False)
        indices = np.argmax(self._data, axis=_int_dim(dim, "max"), keepdims=keepdim)
        return ValuesIndices(_ops.take_along(self, indices, dim, keepdim), type(self)(indices))

    def min(self, dim: int | None = None, keepdim: bool = False):
        """The minimum; with an int ``dim``, ``(values, indices)`` along it (as torch)."""
        if dim is None:
            return _ops.amin(self, None, False)
        indices = np.argmin(self._data, axis=_int_dim(dim, "min"), keepdims=keepdim)
        return ValuesIndices(_ops.take_along(self, indices, dim, keepdim), type(self)(indices))

    def amax(self, dim=None, keepdim: bool = False):
        """Maximum over one or more dims; ties share the gradient."""
        return _ops.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim: bool = False):
        """Minimum over one or more dims; ties share the gradient."""
        return _ops.amin(self, dim, keepdim)

    def argmin(self, dim=None, keepdim: bool = False):
        return type(self)(np.argmin(self._data, axis=dim, keepdims=keepdim))

    def all(self) -> bool:
        return bool(np.all(self._data))

    def any(self) -> bool:
        return bool(np.any(self._data))

    # -- copies and conversions --------------------------------------------------------
    def clone(self):
        """A copy that stays in the graph (its gradient flows back to ``self``)."""
        return _ops.astype(self, self.dtype) if self.requires_grad else type(self)(
            self._data.copy())

    def to(self, *args: Any, dtype: Any = None, **kwargs: Any):
        """Cast to ``dtype``, as ``tensor.to(dtype)`` or ``tensor.to("cpu", dtype)``; the only
        device is the CPU."""
        dtype = target_dtype(args, dtype)
        return self if dtype is None or dtype == self.dtype else _ops.astype(self, dtype)

    def cpu(self):
        return self

    def contiguous(self):
        return self

    # -- math spelled as methods --------------------------------------------------------
    def pow(self, exponent):
        return self ** exponent

    def matmul(self, other):
        return self @ other

    def t(self):
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with at most 2 dimensions; got shape "
                             f"{self.shape}")
        return self.T

    def sigmoid(self):
        from .functional import sigmoid

        return sigmoid(self)

    def tanh(self):
        from .functional import tanh

        return tanh(self)

    def softmax(self, dim: int):
        from .functional import softmax

        return softmax(self, dim)

    def log_softmax(self, dim: int):
        from .functional import log_softmax

        return log_softmax(self, dim)


def _int_dim(dim: Any, op: str) -> int:
    if not isinstance(dim, int | np.integer) or isinstance(dim, bool):
        raise TypeError(f"{op}(dim) takes one int dim and returns (values, indices); got "
                        f"dim={dim!r} (use amax/amin for several dims)")
    return int(dim)


def target_dtype(args: tuple[Any, ...], dtype: Any = None) -> np.dtype | None:
    """The dtype in torch-style ``.to(...)`` arguments: (dtype), ("cpu", dtype) or ("cpu")."""
    args = tuple(a for a in args if not (isinstance(a, str) and a == "cpu"))
    if len(args) > 1 or (args and dtype is not None):
        raise TypeError(f"to() takes one dtype (and optionally 'cpu'); got {args}, dtype={dtype}")
    chosen = args[0] if args else dtype
    return None if chosen is None else np.dtype(chosen)
