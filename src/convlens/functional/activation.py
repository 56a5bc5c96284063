"""Activations: ``relu``, ``leaky_relu``, ``sigmoid``, ``tanh``, ``softmax``, ``log_softmax``."""

from __future__ import annotations

import numpy as np

from .. import _validate
from ..tensor import Tensor


def relu(input: Tensor) -> Tensor:  # noqa: A002 - torch's argument name
    """max(x, 0) elementwise; the gradient at exactly 0 is 0, as in torch.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.relu(cl.tensor([-1.0, 0.0, 2.0])).numpy().tolist()
    [0.0, 0.0, 2.0]
    """
    x = _validate.float_tensor(input, "input", "relu")
    positive = x.data > 0
    return Tensor._from_op(x.data * positive, (x,), lambda g: (g * positive,), "Relu")


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """x for x > 0, ``negative_slope * x`` otherwise."""
    x = _validate.float_tensor(input, "input", "leaky_relu")
    slope = _validate.real_number(negative_slope, "negative_slope")
    scale = np.where(x.data > 0, 1.0, slope).astype(x.dtype)
    return Tensor._from_op(x.data * scale, (x,), lambda g: (g * scale,), "LeakyRelu")


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """1 / (1 + exp(-x)), computed without overflow for large |x|."""
    x = _validate.float_tensor(input, "input", "sigmoid")
    e = np.exp(-np.abs(x.data))
    out = np.where(x.data >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)
    return Tensor._from_op(out, (x,), lambda g: (g * out * (1 - out),), "Sigmoid")


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    """Hyperbolic tangent."""
    x = _validate.float_tensor(input, "input", "tanh")
    out = np.tanh(x.data)
    return Tensor._from_op(out, (x,), lambda g: (g * (1 - out * out),), "Tanh")


def _log_softmax(data: np.ndarray, dim: int) -> np.ndarray:
    shifted = data - data.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


def _check_dim(x: Tensor, dim: int, op: str) -> int:
    if not isinstance(dim, int) or not -max(x.ndim, 1) <= dim < max(x.ndim, 1):
        raise ValueError(f"{op} needs dim in [-{max(x.ndim, 1)}, {max(x.ndim, 1) - 1}] for "
                         f"input of shape {x.shape}; got dim={dim!r}")
    return dim


def softmax(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """exp(x) / sum(exp(x)) along ``dim`` (shifted by the max for stability)."""
    x = _validate.float_tensor(input, "input", "softmax")
    dim = _check_dim(x, dim, "softmax")
    out = np.exp(_log_softmax(x.data, dim))

    def backward(g):
        return (out * (g - (g * out).sum(axis=dim, keepdims=True)),)

    return Tensor._from_op(out, (x,), backward, "Softmax")


def log_softmax(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """log(softmax(x)) along ``dim``, computed stably."""
    x = _validate.float_tensor(input, "input", "log_softmax")
    dim = _check_dim(x, dim, "log_softmax")
    out = _log_softmax(x.data, dim)

    def backward(g):
        return (g - np.exp(out) * g.sum(axis=dim, keepdims=True),)

    return Tensor._from_op(out, (x,), backward, "LogSoftmax")
