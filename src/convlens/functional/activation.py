"""Activations: ``relu``, ``leaky_relu``, ``sigmoid``, ``tanh``, ``softmax``, ``log_softmax``.

Each takes a float32 or float64 Tensor of any shape and returns one of the same shape and
dtype; each raises ``TypeError`` for other input (non-tensors, integer or complex dtypes).
"""

from __future__ import annotations

import numpy as np

from .. import _ops, _validate
from ..conv import compiled
from ..tensor import Tensor


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002 - torch's name
    """Rectified linear unit, ``max(x, 0)`` elementwise, as ``torch.nn.functional.relu``.

    ``inplace`` is accepted for torch code but never overwrites ``input``.
    The gradient is 1 where ``x > 0`` and 0 where ``x <= 0`` (including ``x == 0``); at NaN it
    passes the incoming gradient through, as torch does.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.relu(cl.tensor([-1.0, 0.0, 2.0])).numpy().tolist()
    [0.0, 0.0, 2.0]
    """
    x = _validate.float_tensor(input, "input", "relu")
    kernels = (compiled.optional("convlens.functional._relu_compiled")
               if x._data.flags.c_contiguous else None)
    if kernels is None:
        positive = ~(x._data <= 0)  # NaN counts as positive: torch passes its gradient through
        out = np.maximum(x._data, 0)  # not x * (x > 0), which gives -0.0 for negative x
        return Tensor._from_op(out, (x,), lambda g: (g * positive,), "Relu")
    out, positive = np.empty_like(x._data), np.empty(x.shape, dtype=bool)
    kernels.forward(x._data.reshape(-1), out.reshape(-1), positive.reshape(-1))

    def backward(g):
        grad = g if g.flags.c_contiguous else g.copy()    # (ascontiguousarray makes 0-d 1-d)
        result = np.empty_like(grad)
        kernels.backward(grad.reshape(-1), positive.reshape(-1), result.reshape(-1))
        return (result,)

    return Tensor._from_op(out, (x,), backward, "Relu")


def leaky_relu(input: Tensor, negative_slope: float = 0.01,  # noqa: A002
               inplace: bool = False) -> Tensor:
    """``x`` where ``x > 0``, else ``negative_slope * x``, as ``torch.nn.functional.leaky_relu``.

    Parameters
    ----------
    input : Tensor
    negative_slope : float, default 0.01

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.leaky_relu(cl.tensor([-2.0, 3.0]), 0.5).numpy().tolist()
    [-1.0, 3.0]
    """
    x = _validate.float_tensor(input, "input", "leaky_relu")
    slope = _validate.real_number(negative_slope, "negative_slope")
    scale = np.where(x._data > 0, 1.0, slope).astype(x.dtype)
    return Tensor._from_op(x._data * scale, (x,), lambda g: (g * scale,), "LeakyRelu")


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """Logistic function ``1 / (1 + exp(-x))``, computed without overflow for large ``|x|``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.sigmoid(cl.tensor([0.0, 1000.0, -1000.0])).numpy().tolist()
    [0.5, 1.0, 0.0]
    """
    x = _validate.float_tensor(input, "input", "sigmoid")
    e = np.exp(-np.abs(x._data))
    out = np.where(x._data >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)
    return Tensor._from_op(out, (x,), lambda g: (g * out * (1 - out),), "Sigmoid")


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    """Hyperbolic tangent, elementwise; its derivative is ``1 - tanh(x)**2``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.tanh(cl.tensor([0.0])).numpy().tolist()
    [0.0]
    """
    x = _validate.float_tensor(input, "input", "tanh")
    out = np.tanh(x._data)
    return Tensor._from_op(out, (x,), lambda g: (g * (1 - out * out),), "Tanh")


def _log_softmax(data: np.ndarray, dim: int) -> np.ndarray:
    if data.size == 0:  # an empty axis (or an empty batch) gives an empty result, as torch
        return data.copy()
    with np.errstate(invalid="ignore", divide="ignore"):  # an all -inf row is NaN, as torch
        shifted = data - data.max(axis=dim, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


def _softmax_input(input, dtype, op: str) -> Tensor:  # noqa: A002
    """The input, cast to ``dtype`` first when given (torch casts before the op)."""
    if dtype is None:
        return _validate.float_tensor(input, "input", op)
    x = _validate.as_tensor(input, "input", op)
    try:
        target = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op} expects dtype to be a float dtype or None; got {dtype!r}") from None
    _validate.float_dtype(target, "dtype", op)
    return x if x.dtype == target else _ops.astype(x, target)


def _stable_log_softmax(x: Tensor, dim: int) -> tuple[np.ndarray, int]:
    """log_softmax along a validated ``dim``; a 0-d input counts as one element."""
    axis = _validate.dim_index(dim, x.ndim)
    return _log_softmax(x._data.reshape(x.shape or (1,)), axis).reshape(x.shape), axis


def softmax(input: Tensor, dim: int = -1, dtype=None) -> Tensor:  # noqa: A002
    """``exp(x) / sum(exp(x))`` along ``dim``, as ``torch.nn.functional.softmax``.

    Parameters
    ----------
    input : Tensor
    dim : int, default -1
        The axis that sums to one. (torch has no default and guesses; convlens uses -1.)
    dtype : numpy float dtype, optional
        Cast ``input`` to this dtype before the op (integer input is accepted then); the
        gradient is cast back, as in torch.

    Raises
    ------
    IndexError
        If ``dim`` is out of range.
    TypeError
        Non-float input without ``dtype``, or a ``dtype`` that is not float32/float64.

    Notes
    -----
    Computed as ``exp(x - max(x) - log(sum(exp(x - max(x)))))``, so large logits do not
    overflow. An empty input gives an empty output.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.softmax(cl.tensor([0.0, 0.0]), dim=0).numpy().tolist()
    [0.5, 0.5]
    """
    x = _softmax_input(input, dtype, "softmax")
    logp, axis = _stable_log_softmax(x, dim)
    out = np.exp(logp)

    def backward(g):
        if x.ndim == 0:
            return (np.zeros_like(g),)
        return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)

    return Tensor._from_op(out, (x,), backward, "Softmax")


def log_softmax(input: Tensor, dim: int = -1, dtype=None) -> Tensor:  # noqa: A002
    """``log(softmax(x))`` along ``dim``, computed stably; see :func:`softmax`.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> round(F.log_softmax(cl.tensor([0.0, 0.0]), dim=0)[0].item(), 4)
    -0.6931
    """
    x = _softmax_input(input, dtype, "log_softmax")
    out, axis = _stable_log_softmax(x, dim)

    def backward(g):
        if x.ndim == 0:
            return (np.zeros_like(g),)
        return (g - np.exp(out) * g.sum(axis=axis, keepdims=True),)

    return Tensor._from_op(out, (x,), backward, "LogSoftmax")
