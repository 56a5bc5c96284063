"""More activations, with ``torch.nn.functional``'s names, arguments and gradients.

``gelu``, ``silu``, ``mish``, ``elu``, ``selu``, ``celu``, ``relu6``, ``hardtanh``,
``hardswish``, ``hardsigmoid``, ``softplus``, ``softsign``, ``prelu``, ``logsigmoid``,
``tanhshrink`` and ``softmin``. Each takes a float32 or float64 Tensor of any shape and returns
one of the same shape and dtype. ``inplace`` is accepted where torch has it, but convlens never
overwrites its input: the result is always a new tensor with the same values.

Where a derivative is undefined (the kinks of ``hardtanh``, ``relu6``, ``hardsigmoid``), the
value torch uses is kept, and the tests pin it against torch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import _validate
from ..tensor import Tensor
from .activation import _softmax_input, softmax

# SELU's constants (Klambauer et al. 2017), to torch's precision.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _unary(x: Tensor, out: np.ndarray, derivative: Callable[[], np.ndarray],
           name: str) -> Tensor:
    """One graph node: ``out`` and the local derivative, computed only on backward."""
    out = np.asarray(out, dtype=x.dtype)
    return Tensor._from_op(out, (x,), lambda g: (g * derivative().astype(x.dtype),), name)


def _input(input, op: str) -> Tensor:  # noqa: A002
    return _validate.float_tensor(input, "input", op)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + exp(z)) without overflow."""
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """``x * Phi(x)``, Phi the standard normal CDF, as ``torch.nn.functional.gelu``.

    Parameters
    ----------
    input : Tensor
    approximate : {"none", "tanh"}, default "none"
        ``"tanh"`` uses ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> [round(v, 4) for v in F.gelu(cl.tensor([-1.0, 0.0, 1.0])).tolist()]
    [-0.1587, 0.0, 0.8413]
    """
    x = _input(input, "gelu")
    _validate.one_of(approximate, ("none", "tanh"), "approximate")
    z = x._data
    if approximate == "tanh":
        k = np.sqrt(2 / np.pi)
        t = np.tanh(k * (z + 0.044715 * z**3))
        return _unary(x, 0.5 * z * (1 + t), lambda: 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * k
                      * (1 + 3 * 0.044715 * z * z), "Gelu")
    from scipy.special import erf  # lazy: keeps `import convlens` fast

    cdf = 0.5 * (1 + erf(z / np.sqrt(2)))
    return _unary(x, z * cdf, lambda: cdf + z * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi),
                  "Gelu")


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x * sigmoid(x)`` (also called swish), as ``torch.nn.functional.silu``."""
    x = _input(input, "silu")
    s = _sigmoid(x._data)
    return _unary(x, x._data * s, lambda: s * (1 + x._data * (1 - s)), "Silu")


def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x * tanh(softplus(x))`` (Misra 2019), as ``torch.nn.functional.mish``."""
    x = _input(input, "mish")
    t = np.tanh(_softplus(x._data))
    return _unary(x, x._data * t, lambda: t + x._data * _sigmoid(x._data) * (1 - t * t), "Mish")


def _elu(x: Tensor, alpha: float, scale: float, input_scale: float, name: str) -> Tensor:
    """torch's shared ELU kernel: ``scale * (x if x > 0 else alpha * (exp(x * s) - 1))``."""
    z = x._data
    negative = alpha * np.expm1(np.minimum(z, 0) * input_scale)
    out = scale * np.where(z > 0, z, negative)
    return _unary(x, out, lambda: scale * np.where(
        z > 0, 1.0, alpha * input_scale * np.exp(np.minimum(z, 0) * input_scale)), name)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``, as ``torch.nn.functional.elu``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> [round(v, 4) for v in F.elu(cl.tensor([-1.0, 2.0])).tolist()]
    [-0.6321, 2.0]
    """
    x = _input(input, "elu")
    return _elu(x, _validate.real_number(alpha, "alpha"), 1.0, 1.0, "Elu")


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``scale * elu(x, alpha)`` with SELU's fixed constants, as ``torch.nn.functional.selu``."""
    return _elu(_input(input, "selu"), SELU_ALPHA, SELU_SCALE, 1.0, "Selu")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``, as ``torch.nn.functional.celu``.

    Raises
    ------
    ValueError
        If ``alpha`` is 0.
    """
    x = _input(input, "celu")
    alpha = _validate.real_number(alpha, "alpha")
    if alpha == 0:
        raise ValueError("celu needs a non-zero alpha; got alpha=0.0")
    return _elu(x, alpha, 1.0, 1.0 / alpha, "Celu")


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,  # noqa: A002
             inplace: bool = False) -> Tensor:
    """Clamp to ``[min_val, max_val]``; the gradient is 1 strictly inside, as torch.

    Raises
    ------
    ValueError
        If ``max_val < min_val``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.hardtanh(cl.tensor([-2.0, 0.5, 3.0])).tolist()
    [-1.0, 0.5, 1.0]
    """
    x = _input(input, "hardtanh")
    low = _validate.real_number(min_val, "min_val")
    high = _validate.real_number(max_val, "max_val")
    if high < low:
        raise ValueError(f"hardtanh needs max_val >= min_val; got min_val={low}, "
                         f"max_val={high}")
    return _clip(x, low, high, "Hardtanh")


def _clip(x: Tensor, low: float, high: float, name: str) -> Tensor:
    z = x._data
    return _unary(x, np.clip(z, low, high), lambda: (z > low) & (z < high), name)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``min(max(x, 0), 6)``, as ``torch.nn.functional.relu6``."""
    return _clip(_input(input, "relu6"), 0.0, 6.0, "Relu6")


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``relu6(x + 3) / 6``, as ``torch.nn.functional.hardsigmoid``."""
    x = _input(input, "hardsigmoid")
    z = x._data
    return _unary(x, np.clip(z + 3, 0, 6) / 6, lambda: ((z > -3) & (z < 3)) / 6, "HardSigmoid")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x * relu6(x + 3) / 6`` (Howard et al. 2019), as ``torch.nn.functional.hardswish``."""
    x = _input(input, "hardswish")
    z = x._data
    return _unary(x, z * np.clip(z + 3, 0, 6) / 6, lambda: np.where(
        z <= -3, 0.0, np.where(z < 3, z / 3 + 0.5, 1.0)), "HardSwish")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """``log(1 + exp(beta * x)) / beta``; linear where ``beta * x > threshold``, as torch.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> [round(v, 4) for v in F.softplus(cl.tensor([0.0, 30.0])).tolist()]
    [0.6931, 30.0]
    """
    x = _input(input, "softplus")
    beta = _validate.real_number(beta, "beta")
    threshold = _validate.real_number(threshold, "threshold")
    if beta == 0:
        raise ValueError("softplus needs a non-zero beta; got beta=0.0")
    z = x._data * beta
    linear = z > threshold
    out = np.where(linear, x._data, _softplus(z) / beta)
    return _unary(x, out, lambda: np.where(linear, 1.0, _sigmoid(z)), "Softplus")


def softsign(input: Tensor) -> Tensor:  # noqa: A002
    """``x / (1 + |x|)``, as ``torch.nn.functional.softsign``."""
    x = _input(input, "softsign")
    d = 1 + np.abs(x._data)
    return _unary(x, x._data / d, lambda: 1 / (d * d), "Softsign")


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """``log(sigmoid(x))``, computed without overflow, as ``torch.nn.functional.logsigmoid``."""
    x = _input(input, "logsigmoid")
    return _unary(x, -_softplus(-x._data), lambda: _sigmoid(-x._data), "LogSigmoid")


def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002
    """``x - tanh(x)``, as ``torch.nn.functional.tanhshrink``."""
    x = _input(input, "tanhshrink")
    t = np.tanh(x._data)
    return _unary(x, x._data - t, lambda: t * t, "Tanhshrink")


def softmin(input: Tensor, dim: int = -1, dtype=None) -> Tensor:  # noqa: A002
    """``softmax(-x)`` along ``dim``; ``dtype`` casts first, as ``torch.nn.functional.softmin``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> [round(v, 4) for v in F.softmin(cl.tensor([0.0, 1.0]), dim=0).tolist()]
    [0.7311, 0.2689]
    """
    return softmax(-_softmax_input(input, dtype, "softmin"), dim)


def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    """``x`` where ``x > 0``, else ``weight * x``, with a learnt slope per channel.

    Parameters
    ----------
    input : Tensor
        (N, C, *) with the channels on axis 1; 0-d and 1-D inputs count as one channel.
    weight : Tensor
        (C,), or (1,) for one slope shared by all channels.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.prelu(cl.tensor([[-2.0, 2.0]]), cl.tensor([0.25])).tolist()
    [[-0.5, 2.0]]
    """
    x = _input(input, "prelu")
    w = _validate.float_tensor(weight, "weight", "prelu")
    axis = 1 if x.ndim >= 2 else 0
    channels = x.shape[1] if x.ndim >= 2 else 1  # torch: lower ranks have one channel
    if w.ndim == 0:  # torch takes a 0-d weight as one shared slope
        w = w.reshape((1,))
    if w.ndim != 1 or w.shape[0] not in (1, channels):
        raise ValueError(f"prelu expects weight of shape (1,) or ({channels},) (the channels "
                         f"of input {x.shape}); got {w.shape}")
    shape = [1] * x.ndim
    if x.ndim >= 2:
        shape[axis] = w.shape[0]
    slope = w._data.reshape(shape).astype(x.dtype)
    negative = x._data <= 0
    out = np.where(negative, slope * x._data, x._data)

    def backward(g):
        grad_w = np.where(negative, g * x._data, 0)
        axes = tuple(i for i in range(x.ndim) if i != axis or w.shape[0] == 1)
        return (g * np.where(negative, slope, 1).astype(x.dtype),
                grad_w.sum(axis=axes).reshape(w.shape).astype(w.dtype))

    return Tensor._from_op(out, (x, w), backward, "PRelu")
