"""``Tensor``: an ndarray plus what backward needs (``requires_grad``, ``grad``, the node).

The arithmetic lives in :mod:`convlens._ops`, one function per op with its backward beside it;
the methods here only forward to those functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import _ops, _validate, autograd
from ._tensor_api import TorchMethods
from ._tensor_inplace import InPlaceMethods
from ._tensor_shape import ShapeMethods
from .autograd import Node, run_backward
from .device import CPU
from .device import device as device_type

_FLOAT_DTYPES = (np.float32, np.float64)


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Build an ndarray the way ``torch.tensor`` would: Python floats become float32."""
    if isinstance(data, Tensor):
        data = data._data
    try:
        array = np.array(data) if dtype is None else np.array(data, dtype=dtype)
    except ValueError as error:  # ragged nested lists, or values the dtype cannot hold
        raise ValueError(f"tensor data must be a rectangular nested list or array of numbers; "
                         f"NumPy could not convert it: {error}") from None
    if dtype is not None:
        return array
    if array.dtype == np.float64 and not isinstance(data, np.ndarray | np.generic):
        array = array.astype(np.float32)
    if array.dtype.kind in "OSUV":
        raise TypeError(f"tensor data must be numeric; got an array of dtype {array.dtype}")
    return array


class Tensor(InPlaceMethods, ShapeMethods, TorchMethods):
    """An n-dimensional array that can record the ops applied to it for backprop.

    Use :func:`convlens.tensor` to make one. ``numpy()`` gives the ndarray (shared, not
    copied); ``data`` is torch's alias (a Tensor sharing memory and version counter, outside
    the graph); ``grad`` is filled by :meth:`backward` for leaves with ``requires_grad=True``.
    """

    __slots__ = ("_data", "requires_grad", "grad", "_node", "_counter", "_hooks",
                 "_retains_grad", "__weakref__")
    __array_ufunc__ = None  # make ndarray <op> Tensor defer to Tensor's reflected operators

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self._data = _as_array(data, dtype)
        if requires_grad and self._data.dtype.type not in _FLOAT_DTYPES:
            raise TypeError(
                "requires_grad=True needs a float32 or float64 tensor; "
                f"got dtype {self._data.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        self.grad: Tensor | None = None
        self._node: Node | None = None
        self._counter = [0]  # shared with .data aliases, as torch's version counter
        self._hooks: list[Callable] = []
        self._retains_grad = False

    # -- construction by ops -------------------------------------------------------------
    @classmethod
    def _wrap(cls, data: np.ndarray) -> Tensor:
        """A tensor around ``data`` (no copy), outside any graph."""
        out = cls.__new__(cls)
        out._data = data
        out.grad = None
        out._node = None
        out._counter = [0]
        out._hooks = []
        out._retains_grad = False
        out.requires_grad = False
        return out

    @classmethod
    def _from_op(cls, data: np.ndarray, inputs: tuple[Tensor, ...], backward, name: str) -> Tensor:
        """Wrap an op's result, recording a node when any input needs a gradient.

        NumPy reductions return scalars rather than 0-d arrays; ``np.asarray`` undoes that so
        ``.numpy()`` always gives an ndarray. Results that are not float never need a gradient.
        """
        out = cls._wrap(data if type(data) is np.ndarray else np.asarray(data))
        if autograd._grad_enabled and out._data.dtype.kind == "f":
            for t in inputs:
                if t.requires_grad:
                    out.requires_grad = True
                    out._node = Node(inputs, backward, name)
                    break
        return out

    # -- data and metadata ----------------------------------------------------------------
    @property
    def data(self) -> Tensor:
        """This tensor's values as a tensor outside the graph, as torch's ``.data``.

        It shares memory and the version counter with ``self``: writes through it
        (``p.data.mul_(0.5)``) change ``self``, and are not recorded for backward.
        Assigning ``t.data = value`` replaces the values (any shape or dtype).
        """
        alias = Tensor._wrap(self._data)
        alias._counter = self._counter
        return alias

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)
        self._version += 1

    @property
    def _version(self) -> int:
        return self._counter[0]

    @_version.setter
    def _version(self, value: int) -> None:
        self._counter[0] = value

    @property
    def device(self) -> device_type:
        """Always the CPU."""
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def grad_fn(self) -> Node | None:
        return self._node

    @property
    def version(self) -> int:
        """Counts in-place writes; caches keyed on (identity, version) use it."""
        return self._version

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        return self.shape if dim is None else self.shape[_validate.dim_index(dim, self.ndim)]

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numpy(self) -> np.ndarray:
        """Return the underlying ndarray (shared, not copied), as ``torch.Tensor.numpy``."""
        return self._data

    def item(self) -> float | int:
        if self._data.size != 1:
            raise ValueError(f"item() needs a tensor with one element; got shape {self.shape}")
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="tensor(")
        extra = ""
        if self.dtype != np.float32 and self.dtype.kind == "f" or self.dtype.kind != "f":
            extra += f", dtype={self.dtype}"
        if self._node is not None:
            extra += f", grad_fn={self._node!r}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        """A one-element integer tensor used as an index (``items[t]``), as in torch."""
        if self.dtype.kind not in "biu" or self._data.size != 1:
            raise TypeError(f"only integer tensors of a single element can be converted to an "
                            f"index; got dtype {self.dtype} and shape {self.shape}")
        return int(self._data.reshape(-1)[0])

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        """NumPy's protocol: ``np.array(t)`` copies, ``np.asarray(t)`` shares the memory."""
        array = self._data if dtype is None else self._data.astype(dtype, copy=False)
        if copy is False and array is not self._data:
            raise ValueError(f"cannot view a {self.dtype} tensor as {np.dtype(dtype)} without "
                             "a copy (copy=False)")
        return array.copy() if copy and array is self._data else array

    # -- autograd ----------------------------------------------------------------------
    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        Parameters
        ----------
        gradient : array_like, optional
            d loss / d self. May be left out only when ``self`` holds one element.
        retain_graph : bool, optional
            Keep the graph so that backward can run through it again; without it a second
            backward through the same ops raises torch's error.
        create_graph : bool, default False
            Must be False (convlens has no higher-order gradients).
        inputs : Tensor or sequence of Tensor, optional
            Accumulate only into these tensors' ``.grad``.
        """
        if create_graph:
            raise NotImplementedError("convlens computes first-order gradients only; "
                                      "create_graph=True is not supported")
        if not self.requires_grad:
            raise RuntimeError(
                "backward() needs a tensor that requires grad: none of its inputs had "
                "requires_grad=True, or it was computed under no_grad()"
            )
        if gradient is None:
            if self._data.size != 1:
                raise ValueError(
                    "backward() without gradient needs a one-element tensor; "
                    f"got shape {self.shape}"
                )
            grad = np.ones_like(self._data)
        else:
            grad = np.asarray(gradient._data if isinstance(gradient, Tensor) else gradient,
                              dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(
                    f"gradient must have the tensor's shape {self.shape}; got {grad.shape}"
                )
        if isinstance(inputs, Tensor):
            inputs = [inputs]
        run_backward(self, grad, retain_graph=bool(retain_graph),
                     inputs=None if inputs is None else list(inputs))

    def detach(self) -> Tensor:
        """A tensor sharing the data (and version counter) but cut from the graph."""
        return self.data

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph, in place."""
        self._node, self.requires_grad = None, False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self.dtype.type not in _FLOAT_DTYPES:
            raise TypeError(
                f"requires_grad=True needs a float32 or float64 tensor; got dtype {self.dtype}"
            )
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> None:
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one."""
        self._hooks.append(hook)

    # -- arithmetic (see _ops for forward and backward) --------------------------------
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __pow__(self, exponent):
        return _ops.power(self, exponent)

    def __rpow__(self, base):
        return _ops.rpower(base, self) if not isinstance(base, Tensor) else _ops.power(base, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    def __lt__(self, other):
        return Tensor._wrap(np.asarray(self._data < _ops.raw(other)))

    def __le__(self, other):
        return Tensor._wrap(np.asarray(self._data <= _ops.raw(other)))

    def __gt__(self, other):
        return Tensor._wrap(np.asarray(self._data > _ops.raw(other)))

    def __ge__(self, other):
        return Tensor._wrap(np.asarray(self._data >= _ops.raw(other)))

    def __eq__(self, other):  # elementwise, as in torch
        return Tensor._wrap(np.asarray(self._data == _ops.raw(other)))

    def __ne__(self, other):
        return Tensor._wrap(np.asarray(self._data != _ops.raw(other)))


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, device: Any = None
           ) -> Tensor:
    """Make a :class:`Tensor` from array-like data, as ``torch.tensor``.

    Parameters
    ----------
    data : array_like
        Numbers, nested lists or an ndarray. Python floats become float32; an ndarray keeps its
        dtype (so float64 arrays stay float64).
    requires_grad : bool, default False
        Record ops on this tensor so that :meth:`Tensor.backward` fills its ``grad``.
    dtype : numpy dtype, optional
        Cast to this dtype.
    device : str or device, optional
        Only the CPU exists; any other device raises.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        If ``requires_grad=True`` for a non-float dtype, or ``data`` is not numeric.

    Examples
    --------
    >>> import convlens as cl
    >>> x = cl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad.numpy().tolist()
    [[2.0, 4.0], [6.0, 8.0]]
    """
    if device is not None:
        device_type(device)
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)
