"""Tensor methods that PyTorch users reach for: reductions, comparisons, math and conversions,
built on the ops in :mod:`convlens._ops`. Kept apart from :mod:`convlens.tensor` (the core:
data, grad, backward, operators) so each file stays readable; ``Tensor`` inherits these.

``Tensor.type()`` returns torch's type strings (``'torch.FloatTensor'``, ...), so scripts that
compare them keep working; see :func:`type_name`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _ops
from ._opbase import tensor_cls
from ._ops import ValuesIndices
from .device import cpu_only_error, device, is_device

_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}
_BY_TYPE_NAME = {name: np.dtype(dtype) for dtype, name in _TYPE_NAMES.items()}

__all__ = ["TorchMethods", "ValuesIndices", "target_dtype", "type_name"]


class TorchMethods:
    """Mixin for :class:`convlens.Tensor`."""

    __slots__ = ()

    # -- reductions with torch's return conventions ----------------------------------
    def max(self, dim: Any = None, keepdim: bool = False):
        """The maximum; with an int ``dim``, ``(values, indices)`` along it; with a tensor,
        the elementwise maximum (as torch)."""
        if dim is None:
            return _ops.amax(self, None, False)
        if hasattr(dim, "_data"):
            return _ops.maximum(self, dim)
        return _ops.extreme_dim(self, dim, keepdim, largest=True)

    def min(self, dim: Any = None, keepdim: bool = False):
        """The minimum; with an int ``dim``, ``(values, indices)`` along it (as torch)."""
        if dim is None:
            return _ops.amin(self, None, False)
        if hasattr(dim, "_data"):
            return _ops.minimum(self, dim)
        return _ops.extreme_dim(self, dim, keepdim, largest=False)

    def amax(self, dim=None, keepdim: bool = False):
        """Maximum over one or more dims; ties share the gradient."""
        return _ops.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim: bool = False):
        """Minimum over one or more dims; ties share the gradient."""
        return _ops.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim: bool = False):
        return _ops.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim: bool = False):
        return _ops.argmin(self, dim, keepdim)

    def sum(self, dim=None, keepdim: bool = False, *, dtype=None):
        return _ops.sum(self, dim, keepdim, dtype)

    def mean(self, dim=None, keepdim: bool = False, *, dtype=None):
        return _ops.mean(self, dim, keepdim, dtype)

    def var(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
        return _ops.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
        return _ops.std(self, dim, unbiased, keepdim, correction=correction)

    def norm(self, p: Any = "fro", dim=None, keepdim: bool = False):
        return _ops.norm(self, p, dim, keepdim)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
        return _ops.topk(self, k, dim, largest, sorted)

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False):
        return _ops.sort(self, dim, descending, stable)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False):
        return _ops.argsort(self, dim, descending, stable)

    def all(self, dim=None, keepdim: bool = False):
        return tensor_cls()._wrap(np.asarray(np.all(self._data, axis=dim, keepdims=keepdim)))

    def any(self, dim=None, keepdim: bool = False):
        return tensor_cls()._wrap(np.asarray(np.any(self._data, axis=dim, keepdims=keepdim)))

    # -- comparisons as methods (bool tensors, no gradient) --------------------------
    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    def equal(self, other) -> bool:
        """True when ``other`` has the same shape and the same values."""
        return self.shape == other.shape and bool(np.array_equal(self._data, other._data))

    def allclose(self, other, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: bool = False) -> bool:
        return bool(np.allclose(self._data, _ops.raw(other), rtol, atol, equal_nan))

    def isnan(self):
        return tensor_cls()._wrap(np.isnan(self._data))

    def isfinite(self):
        return tensor_cls()._wrap(np.isfinite(self._data))

    # -- math spelled as methods --------------------------------------------------------
    def add(self, other, *, alpha: float = 1):
        return _ops.add(self, other if alpha == 1 else _ops.mul(other, alpha))

    def sub(self, other, *, alpha: float = 1):
        return _ops.sub(self, other if alpha == 1 else _ops.mul(other, alpha))

    def mul(self, other):
        return _ops.mul(self, other)

    def div(self, other, *, rounding_mode: str | None = None):
        return _ops.div(self, other, rounding_mode)

    def pow(self, exponent):
        return _ops.power(self, exponent)

    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def abs(self):
        return _ops.absolute(self)

    def neg(self):
        return _ops.neg(self)

    def clamp(self, min=None, max=None):  # noqa: A002 - torch's argument names
        return _ops.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        return _ops.maximum(self, other)

    def minimum(self, other):
        return _ops.minimum(self, other)

    def lerp(self, end, weight):
        return _ops.lerp(self, end, weight)

    def matmul(self, other):
        return _ops.matmul(self, other)

    def mm(self, other):
        from ._ops_linalg import mm

        return mm(self, other)

    def bmm(self, other):
        from ._ops_linalg import bmm

        return bmm(self, other)

    def relu(self):
        from .functional import relu

        return relu(self)

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

    # -- copies, devices and conversions -------------------------------------------------
    def clone(self):
        """A copy that stays in the graph (its gradient flows back to ``self``)."""
        return _ops.astype(self, self.dtype)

    def to(self, *args: Any, dtype: Any = None, **kwargs: Any):
        """Cast to ``dtype``, as ``tensor.to(dtype)``, ``tensor.to(device, dtype)`` or
        ``tensor.to(other)``; the only device is the CPU (others raise)."""
        if args and hasattr(args[0], "_data"):
            args = (args[0].dtype, *args[1:])
        dtype = target_dtype(args, dtype, kwargs.pop("device", None))
        if kwargs.pop("copy", False):
            return self.clone() if dtype is None else _ops.astype(self, dtype)
        return self if dtype is None or dtype == self.dtype else _ops.astype(self, dtype)

    def cpu(self):
        return self

    def cuda(self, *args: Any, **kwargs: Any):
        """Raises: convlens has no CUDA device."""
        raise cpu_only_error("cuda")

    def contiguous(self, *args: Any, **kwargs: Any):
        return self

    def new_tensor(self, data: Any, dtype: Any = None, device: Any = None,
                   requires_grad: bool = False):
        """A new tensor of ``data`` with this tensor's dtype (unless ``dtype`` is given)."""
        return self._new(np.array(_ops.raw(data), dtype=dtype or self.dtype), device,
                         requires_grad)

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False):
        return self._new(np.zeros(_ops.sizes_arg(size), dtype or self.dtype), device,
                         requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False):
        return self._new(np.ones(_ops.sizes_arg(size), dtype or self.dtype), device,
                         requires_grad)

    def new_full(self, size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False):
        data = np.full(_ops.sizes_arg((size,)), fill_value, dtype or self.dtype)
        return self._new(data, device, requires_grad)

    @staticmethod
    def _new(data: np.ndarray, device_arg: Any, requires_grad: bool):
        if device_arg is not None:
            device(device_arg)
        return tensor_cls()(data, requires_grad=requires_grad)

    new_empty = new_zeros

    def __format__(self, spec: str) -> str:
        """A one-element tensor formats as its number (``f"{loss:.4f}"``), as in torch."""
        if self.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __invert__(self):
        if self.dtype.kind not in "biu":
            raise TypeError(f"~ needs a bool or integer tensor; got dtype {self.dtype}")
        return tensor_cls()._wrap(~self._data)

    def __and__(self, other):
        return tensor_cls()._wrap(np.asarray(self._data & _ops.raw(other)))

    def __or__(self, other):
        return tensor_cls()._wrap(np.asarray(self._data | _ops.raw(other)))

    def __xor__(self, other):
        return tensor_cls()._wrap(np.asarray(self._data ^ _ops.raw(other)))

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __floordiv__(self, other):
        return tensor_cls()._wrap(np.asarray(np.floor_divide(self._data, _ops.raw(other))))

    def __mod__(self, other):
        return tensor_cls()._wrap(np.asarray(np.remainder(self._data, _ops.raw(other))))

    def __abs__(self):
        return _ops.absolute(self)

    def get_device(self) -> int:
        """-1, torch's answer for a CPU tensor."""
        return -1

    def astype(self, dtype: Any):
        return _ops.astype(self, dtype)

    def float(self, memory_format: Any = None):
        return self.to(np.float32)

    def double(self, memory_format: Any = None):
        return self.to(np.float64)

    def half(self, memory_format: Any = None):
        return self.to(np.float16)

    def long(self, memory_format: Any = None):
        return self.to(np.int64)

    def int(self, memory_format: Any = None):
        return self.to(np.int32)

    def short(self, memory_format: Any = None):
        return self.to(np.int16)

    def byte(self, memory_format: Any = None):
        return self.to(np.uint8)

    def bool(self, memory_format: Any = None):
        return self.to(np.bool_)

    def type_as(self, other):
        return self.to(other.dtype)

    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    def element_size(self) -> int:
        return self.dtype.itemsize

    def type(self, dtype: Any = None, non_blocking: bool = False):
        """Without ``dtype``, torch's type string (``'torch.FloatTensor'``); with one (a
        dtype or such a string), the tensor cast to it."""
        if dtype is None:
            return type_name(self.dtype)
        if isinstance(dtype, str):
            name = dtype.rpartition(".")[2]
            if name not in _BY_TYPE_NAME:
                raise ValueError(f"type() knows {sorted(_BY_TYPE_NAME)}; got {dtype!r}")
            dtype = _BY_TYPE_NAME[name]
        return self.to(dtype)


def type_name(dtype: np.dtype) -> str:
    """torch's type string for ``dtype``: ``'torch.FloatTensor'`` for float32, and so on.

    The ``torch.`` prefix is kept (not ``convlens.``) because scripts compare these strings
    with torch's; the name says which dtype, not which library.
    """
    return f"torch.{_TYPE_NAMES.get(np.dtype(dtype).name, 'Tensor')}"


def target_dtype(args: tuple[Any, ...], dtype: Any = None, device_arg: Any = None
                 ) -> np.dtype | None:
    """The dtype in torch-style ``.to(...)`` arguments: (dtype), (device, dtype) or (device).

    Devices are checked: ``"cpu"`` and ``device("cpu")`` pass, anything else raises.
    """
    devices = [a for a in (*args, device_arg) if a is not None and is_device(a)]
    for found in devices:
        device(found)
    rest = tuple(a for a in args if not is_device(a))
    if len(rest) > 1 or (rest and dtype is not None):
        raise TypeError(f"to() takes one dtype (and optionally a device); got {args}, "
                        f"dtype={dtype}")
    chosen = rest[0] if rest else dtype
    return None if chosen is None else np.dtype(chosen)


