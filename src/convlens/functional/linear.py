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
    TypeError
        Non-float tensors, or dtypes that differ between input, weight and bias.
    ValueError
        If ``weight`` is not 2-D, the trailing size of ``input`` is not ``in_features``, or
        ``bias`` has the wrong shape.

    Notes
    -----
    A fully connected layer: every output feature is a dot product with every input feature,
    so it has ``in_features * out_features`` weights, where a convolution shares a small
    filter across all positions.

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
    _validate.same_dtype(x.dtype, w.dtype, ("input", "weight"), "linear")
    b = None
    if bias is not None:
        b = _validate.float_tensor(bias, "bias", "linear")
        if b.shape != (w.shape[0],):
            raise ValueError(f"linear expects bias of shape ({w.shape[0]},); got {b.shape}")
        _validate.same_dtype(x.dtype, b.dtype, ("input", "bias"), "linear")
    out = x._data @ w._data.T
    if b is not None:
        out += b._data

    def backward(g):
        g2 = g.reshape(-1, g.shape[-1])
        grad_x = g @ w._data if x.requires_grad else None
        grad_w = g2.T @ x._data.reshape(-1, x.shape[-1]) if w.requires_grad else None
        if b is None:
            return grad_x, grad_w
        return grad_x, grad_w, g2.sum(axis=0)

    inputs = (x, w) if b is None else (x, w, b)
    return Tensor._from_op(np.asarray(out), inputs, backward, "Linear")


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    """Merge dimensions ``start_dim..end_dim`` into one, as ``torch.flatten``.

    Parameters
    ----------
    input : Tensor
    start_dim, end_dim : int, default 0 and -1
        First and last dimension to merge (negative counts from the end);
        ``start_dim=1`` keeps the batch dimension, as ``nn.Flatten`` does.

    Returns
    -------
    Tensor
        ``input.shape[:start_dim] + (prod(input.shape[start_dim:end_dim + 1]),)
        + input.shape[end_dim + 1:]``; a 0-d input becomes shape (1,).

    Raises
    ------
    IndexError
        If a dim is out of range.
    ValueError
        If ``start_dim`` comes after ``end_dim``.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> F.flatten(cl.tensor(np.zeros((2, 3, 4, 5))), start_dim=1).shape
    (2, 60)
    """
    x = _validate.as_tensor(input, "input", "flatten")
    return _ops.flatten(x, start_dim, end_dim)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """``y[o] = x1 @ weight[o] @ x2 + bias[o]``, as ``torch.nn.functional.bilinear``.

    Parameters
    ----------
    input1 : Tensor
        (*, in1_features).
    input2 : Tensor
        (*, in2_features), the same leading dims.
    weight : Tensor
        (out_features, in1_features, in2_features).
    bias : Tensor, optional
        (out_features,).

    Returns
    -------
    Tensor
        (*, out_features).

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> w = cl.tensor(np.ones((1, 2, 2)))
    >>> F.bilinear(cl.tensor([[1.0, 2.0]]), cl.tensor([[3.0, 4.0]]), w).tolist()
    [[21.0]]
    """
    a = _validate.float_tensor(input1, "input1", "bilinear")
    b = _validate.float_tensor(input2, "input2", "bilinear")
    w = _validate.float_tensor(weight, "weight", "bilinear")
    _validate.rank(w.shape, {3: "(out_features, in1_features, in2_features)"}, "weight",
                   "bilinear")
    if a.ndim == 0 or a.shape[:-1] != b.shape[:-1] or (a.shape[-1], b.shape[-1]) != w.shape[1:]:
        raise ValueError(f"bilinear expects input1 (*, {w.shape[1]}) and input2 "
                         f"(*, {w.shape[2]}) with the same leading dims; got {a.shape} and "
                         f"{b.shape}")
    out = np.einsum("...i,oij,...j->...o", a._data, w._data, b._data)
    inputs = (a, b, w)
    if bias is not None:
        bias = _validate.float_tensor(bias, "bias", "bilinear")
        if bias.shape != (w.shape[0],):
            raise ValueError(f"bilinear expects bias of shape ({w.shape[0]},); got {bias.shape}")
        out = out + bias._data
        inputs = (a, b, w, bias)

    def backward(g):
        grads = (np.einsum("...o,oij,...j->...i", g, w._data, b._data),
                 np.einsum("...o,oij,...i->...j", g, w._data, a._data),
                 np.einsum("no,ni,nj->oij", g.reshape(-1, w.shape[0]),
                           a._data.reshape(-1, w.shape[1]), b._data.reshape(-1, w.shape[2])))
        if bias is None:
            return grads
        return (*grads, g.reshape(-1, w.shape[0]).sum(axis=0))

    return Tensor._from_op(out.astype(a.dtype), inputs, backward, "Bilinear")
