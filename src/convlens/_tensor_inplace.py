"""The in-place Tensor methods (``add_``, ``mul_``, ``addcmul_``, ``normal_``, ``t[i] = v``, ...).

Each one computes its result with the ordinary ops and then writes it into the tensor, so one
rule covers all of them:

- outside a graph (under ``no_grad``, or when nothing requires grad) the values are written
  into the tensor's own memory, so ``.data`` aliases and ``.numpy()`` views see them;
- inside a graph the tensor takes the new op as its history, as torch does: a leaf that
  requires grad is refused, and any node that saved the old value raises at backward time.

Every write bumps the version counter (shared with ``.data`` aliases), which autograd and the
filter-spectrum cache read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import _ops
from ._opbase import tensor_cls
from .autograd import is_grad_enabled, no_grad
from .random import as_generator

_LEAF = ("a leaf Variable that requires grad is being used in an in-place operation (a leaf "
         "tensor that requires grad cannot be changed in place while gradients are recorded); "
         "change it inside `with convlens.no_grad():` or through `.data`")


class InPlaceMethods:
    """Mixin for :class:`convlens.Tensor`."""

    __slots__ = ()

    # -- the one write path ----------------------------------------------------------------
    def _assign(self, value: np.ndarray) -> Any:
        np.copyto(self._data, value, casting="same_kind")
        self._version += 1
        return self

    def _update(self, compute: Callable[[Any], Any], *others: Any) -> Any:
        """Replace this tensor's values by ``compute(self)``; ``others`` are its other inputs."""
        recording = is_grad_enabled() and (
            self.requires_grad or any(getattr(o, "requires_grad", False) for o in others))
        if not recording:
            with no_grad():
                return self._assign(_ops.raw(compute(self)))
        if self.is_leaf and self.requires_grad:
            raise RuntimeError(_LEAF)
        before = tensor_cls()._wrap(self._data)  # the old value, keeping the old history
        before._node, before.requires_grad = self._node, self.requires_grad
        before._counter = [self._version]
        result = compute(before)
        if before.requires_grad and not result.requires_grad:  # overwritten: zero gradient
            result = tensor_cls()._from_op(result._data, (before,),
                                         lambda g: (np.zeros(before.shape, g.dtype),), "Fill")
        if result.dtype != self.dtype:
            result = _ops.astype(result, self.dtype)
        self._data = np.array(np.broadcast_to(result._data, self.shape))
        self._node, self.requires_grad = result._node, result.requires_grad
        self._version += 1
        if self._node is not None:
            self._node.out_version = self._version
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        self._update(lambda t: _ops.index_put(t, index, value), value)

    # -- operators: `p -= lr * p.grad` under no_grad updates p itself ---------------------
    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    # -- filling -------------------------------------------------------------------------
    def zero_(self):
        return self._update(lambda t: _constant(t, 0))

    def fill_(self, value: Any):
        return self._update(lambda t: _ops.expand(_ops.astype(_as(value, t), t.dtype), t.shape)
                            if hasattr(value, "_data") else _constant(t, value), value)

    def copy_(self, src: Any, non_blocking: bool = False):
        """Copy ``src`` (broadcast to this shape) into this tensor; the gradient flows to src."""
        return self._update(lambda t: _ops.expand(_ops.astype(_as(src, t), t.dtype), t.shape),
                            src)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None):
        """Fill with samples from N(mean, std**2), drawn from ``generator``."""
        values = as_generator(generator).normal(mean, std, size=self.shape)
        return self._update(lambda t: _constant(t, values))

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: Any = None):
        """Fill with samples from U(a, b), as torch's ``uniform_(from, to)``."""
        values = as_generator(generator).uniform(a, b, size=self.shape)
        return self._update(lambda t: _constant(t, values))

    def bernoulli_(self, p: float = 0.5, *, generator: Any = None):
        """Fill with 1 with probability ``p``, else 0."""
        values = as_generator(generator).random(self.shape) < _ops.raw(p)
        return self._update(lambda t: _constant(t, values))

    def masked_fill_(self, mask: Any, value: Any):
        return self._update(lambda t: _ops.masked_fill(t, mask, value), value)

    def scatter_(self, dim: int, index: Any, src: Any = None, value: Any = None,
                 reduce: str | None = None):
        return self._update(lambda t: _ops.scatter(t, dim, index, src, value, reduce), src)

    def scatter_add_(self, dim: int, index: Any, src: Any):
        return self._update(lambda t: _ops.scatter(t, dim, index, src, add=True), src)

    # -- arithmetic ------------------------------------------------------------------------
    def add_(self, other: Any, *, alpha: float = 1):
        return self._update(lambda t: t + _scaled(other, alpha), other)

    def sub_(self, other: Any, *, alpha: float = 1):
        return self._update(lambda t: t - _scaled(other, alpha), other)

    def mul_(self, other: Any):
        return self._update(lambda t: t * other, other)

    def div_(self, other: Any, *, rounding_mode: str | None = None):
        return self._update(lambda t: _ops.div(t, other, rounding_mode), other)

    def addcmul_(self, tensor1: Any, tensor2: Any, *, value: float = 1):
        """``self += value * tensor1 * tensor2``."""
        return self._update(lambda t: t + _scaled(_ops.mul(tensor1, tensor2), value),
                            tensor1, tensor2)

    def addcdiv_(self, tensor1: Any, tensor2: Any, *, value: float = 1):
        """``self += value * tensor1 / tensor2``."""
        return self._update(lambda t: t + _scaled(_ops.div(tensor1, tensor2), value),
                            tensor1, tensor2)

    def lerp_(self, end: Any, weight: Any):
        """``self += weight * (end - self)``."""
        return self._update(lambda t: _ops.lerp(t, end, weight), end, weight)

    def pow_(self, exponent: Any):
        return self._update(lambda t: _ops.power(t, exponent), exponent)

    def clamp_(self, min: Any = None, max: Any = None):  # noqa: A002 - torch's names
        return self._update(lambda t: _ops.clamp(t, min, max), min, max)

    def clamp_min_(self, min: Any):  # noqa: A002
        return self.clamp_(min, None)

    def clamp_max_(self, max: Any):  # noqa: A002
        return self.clamp_(None, max)

    def sqrt_(self):
        return self._update(_ops.sqrt)

    def exp_(self):
        return self._update(_ops.exp)

    def log_(self):
        return self._update(_ops.log)

    def neg_(self):
        return self._update(_ops.neg)

    def abs_(self):
        return self._update(_ops.absolute)

    def relu_(self):
        from .functional import relu

        return self._update(relu)

    def sigmoid_(self):
        from .functional import sigmoid

        return self._update(sigmoid)

    def tanh_(self):
        from .functional import tanh

        return self._update(tanh)


def _as(value: Any, like: Any) -> Any:
    return value if hasattr(value, "_data") else tensor_cls()(np.asarray(value, like.dtype))


def _constant(like: Any, values: Any) -> Any:
    """A tensor outside the graph holding ``values`` in ``like``'s shape and dtype."""
    data = np.empty(like.shape, like.dtype)
    data[...] = values
    return tensor_cls()._wrap(data)


def _scaled(other: Any, alpha: Any) -> Any:
    """``alpha * other`` in ``other``'s precision (an ndarray is not rounded to float32)."""
    if isinstance(alpha, int | float) and alpha == 1:
        return other
    if isinstance(other, np.ndarray | np.generic):
        other = tensor_cls()._wrap(np.asarray(other))
    elif not hasattr(other, "_data"):
        return other * alpha
    return _ops.mul(other, alpha)
