"""``linear`` (a fully connected layer: a matrix product plus a bias) and ``flatten``."""

from __future__ import annotations

import numpy as np

from .. import _ops, _validate
from ..tensor import Tensor


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """y = x @ weight.T + bias, as ``torch.nn.functional.linear``.

    Parameters
    ----------
    input : Tensor
        (*, in_features).
    weight : Tensor
        (out_features, in_features).
    bias : Tensor, optional
        (out_features,).

    Returns
    -------
    Tensor
        (*, out_features).

    Raises
    ------
    ValueError
        If the trailing size of ``input`` is not ``in_features`` or ``bias`` has the wrong shape.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.linear(cl.tensor([[1.0, 2.0]]), cl.tensor([[1.0, 1.0]]), cl.tensor([0.5])).tolist()
    [[3.5]]
    """
    x = _validate.float_tensor(input, "input", "linear")
    w = _validate.float_tensor(weight, "weight", "linear")
    _validate.rank(w.shape, {2: "(out_features, in_features)"}, "weight", "linear")
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"linear expects input with in_features = {w.shape[1]} in its last "
                         f"dimension; got input of shape {x.shape}")
    if w.dtype != x.dtype:
        raise TypeError(f"linear expects input and weight of the same dtype; "
                        f"got {x.dtype} and {w.dtype}")
    b = None
    if bias is not None:
        b = _validate.float_tensor(bias, "bias", "linear")
        if b.shape != (w.shape[0],):
            raise ValueError(f"linear expects bias of shape ({w.shape[0]},); got {b.shape}")
    out = x.data @ w.data.T
    if b is not None:
        out += b.data

    def backward(g):
        g2 = g.reshape(-1, g.shape[-1])
        grad_x = g @ w.data if x.requires_grad else None
        grad_w = g2.T @ x.data.reshape(-1, x.shape[-1]) if w.requires_grad else None
        if b is None:
            return grad_x, grad_w
        return grad_x, grad_w, g2.sum(axis=0)

    inputs = (x, w) if b is None else (x, w, b)
    return Tensor._from_op(np.asarray(out), inputs, backward, "Linear")


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    """Merge dimensions ``start_dim..end_dim`` into one, as ``torch.flatten``."""
    x = _validate.as_tensor(input, "input", "flatten")
    return _ops.flatten(x, start_dim, end_dim)
