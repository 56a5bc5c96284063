"""Piecewise and gated activations: ``threshold``, ``hardshrink``, ``softshrink``, ``rrelu`` and
``glu``, with ``torch.nn.functional``'s arguments, values and gradients.

As the other activations, ``inplace`` is accepted where torch has it but never overwrites the
input.
"""

from __future__ import annotations

import numpy as np

from .. import _validate
from ..random import as_generator
from ..tensor import Tensor
from .activation_extra import _input, _sigmoid, _unary


def threshold(input: Tensor, threshold: float, value: float,  # noqa: A002
              inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value``, as ``torch.nn.functional.threshold``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.threshold(cl.tensor([0.5, 2.0]), 1.0, -1.0).tolist()
    [-1.0, 2.0]
    """
    x = _input(input, "threshold")
    limit = _validate.any_real(threshold, "threshold")
    fill = _validate.any_real(value, "value")
    above = x._data > limit
    return _unary(x, np.where(above, x._data, fill), lambda: above, "Threshold")


def _lambd(value: object, op: str) -> float:
    lambd = _validate.real_number(value, "lambd")
    if lambd < 0:
        raise ValueError(f"{op} needs lambd >= 0; got lambd={lambd}")
    return lambd


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """``x`` where ``|x| > lambd``, else 0, as ``torch.nn.functional.hardshrink``."""
    x = _input(input, "hardshrink")
    lambd = _validate.real_number(lambd, "lambd")
    outside = np.abs(x._data) > lambd
    return _unary(x, np.where(outside, x._data, 0), lambda: outside, "Hardshrink")


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """Shrink towards 0 by ``lambd``, zero inside ``[-lambd, lambd]``, as torch.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.softshrink(cl.tensor([-2.0, 0.25, 1.5])).tolist()
    [-1.5, 0.0, 1.0]
    """
    x = _input(input, "softshrink")
    lambd = _lambd(lambd, "softshrink")
    z = x._data
    out = np.where(z > lambd, z - lambd, np.where(z < -lambd, z + lambd, 0))
    return _unary(x, out, lambda: np.abs(z) > lambd, "Softshrink")


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,  # noqa: A002
          training: bool = False, inplace: bool = False,
          generator: np.random.Generator | int | None = None) -> Tensor:
    """Randomized leaky ReLU (Xu et al. 2015), as ``torch.nn.functional.rrelu``.

    In training each negative element gets its own slope drawn from U(lower, upper) (from
    ``generator``); otherwise the slope is ``(lower + upper) / 2``. Note torch's default
    ``training=False``.
    """
    x = _input(input, "rrelu")
    lower = _validate.real_number(lower, "lower")
    upper = _validate.real_number(upper, "upper")
    if upper < lower:
        raise ValueError(f"rrelu needs lower <= upper; got lower={lower}, upper={upper}")
    rng = as_generator(generator)
    if training:
        slope = rng.uniform(lower, upper, x.shape)
    else:
        slope = np.full(x.shape, (lower + upper) / 2)
    scale = np.where(x._data > 0, 1.0, slope).astype(x.dtype)
    return Tensor._from_op(x._data * scale, (x,), lambda g: (g * scale,), "RRelu")


def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """Gated linear unit ``a * sigmoid(b)``, ``a`` and ``b`` the halves of ``input`` along ``dim``.

    As ``torch.nn.functional.glu`` (Dauphin et al. 2017); ``dim`` must have an even size.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.glu(cl.tensor([[2.0, 0.0]])).tolist()
    [[1.0]]
    """
    x = _input(input, "glu")
    if x.ndim == 0:
        raise ValueError("glu expects an input of at least 1 dimension; got a 0-d tensor")
    axis = _validate.dim_index(dim, x.ndim)
    if x.shape[axis] % 2:
        raise ValueError(f"glu halves dimension {dim}, which must have an even size; got "
                         f"input of shape {x.shape}")
    a, b = np.split(x._data, 2, axis=axis)
    gate = _sigmoid(b).astype(x.dtype)

    def backward(g):
        return (np.concatenate([g * gate, g * a * gate * (1 - gate)], axis=axis),)

    return Tensor._from_op(a * gate, (x,), backward, "Glu")
