"""``batch_norm`` over the channel axis, training and eval, with running statistics."""

from __future__ import annotations

import numpy as np

from .. import _validate
from ..tensor import Tensor


def batch_norm(input: Tensor, running_mean, running_var, weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Batch normalisation over (N, C) or (N, C, *d), as ``torch.nn.functional.batch_norm``.

    In training, normalise with the batch's biased variance and update the running statistics
    in place: ``running = (1 - momentum) * running + momentum * batch``, using the unbiased
    variance for ``running_var``. In eval, normalise with the running statistics.

    Parameters
    ----------
    input : Tensor
        (N, C) or (N, C, *d).
    running_mean, running_var : Tensor or ndarray of shape (C,), or None
        Updated in place when ``training``. May be None only when ``training`` is True.
    weight, bias : Tensor, optional
        Per-channel scale and shift (C,).
    training : bool, default False
    momentum : float, default 0.1
    eps : float, default 1e-5

    Returns
    -------
    Tensor
        Same shape as ``input``.
    """
    x = _validate.float_tensor(input, "input", "batch_norm")
    if x.ndim < 2:
        raise ValueError(f"batch_norm expects input of shape (N, C) or (N, C, *d); got {x.shape}")
    momentum = _validate.real_number(momentum, "momentum", low=0.0, high=1.0)
    eps = _validate.real_number(eps, "eps", low=0.0)
    C = x.shape[1]
    axes = (0, *range(2, x.ndim))
    bshape = (1, C) + (1,) * (x.ndim - 2)
    for name, stat in (("running_mean", running_mean), ("running_var", running_var),
                       ("weight", weight), ("bias", bias)):
        if stat is not None and np.shape(stat.data if isinstance(stat, Tensor) else stat) != (C,):
            raise ValueError(f"batch_norm expects {name} of shape ({C},) for input of shape "
                             f"{x.shape}; got {np.shape(getattr(stat, 'data', stat))}")
    if training:
        count = x.data.size // C
        if count <= 1:
            raise ValueError(f"batch_norm in training needs more than 1 value per channel; "
                             f"got input of shape {x.shape}")
        mean = x.data.mean(axis=axes)
        var = x.data.var(axis=axes)
        for stat, batch in ((running_mean, mean), (running_var, var * count / (count - 1))):
            if stat is None:
                continue
            arr = stat.data if isinstance(stat, Tensor) else stat
            arr *= 1 - momentum
            arr += momentum * batch.astype(arr.dtype)
            if isinstance(stat, Tensor):
                stat._version += 1
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm in eval mode needs running_mean and running_var")
        mean = np.asarray(getattr(running_mean, "data", running_mean), x.dtype)
        var = np.asarray(getattr(running_var, "data", running_var), x.dtype)
    inv_std = (1 / np.sqrt(var + eps)).astype(x.dtype)
    x_hat = (x.data - mean.reshape(bshape)) * inv_std.reshape(bshape)
    gamma = np.ones(C, x.dtype) if weight is None else weight.data
    out = x_hat * gamma.reshape(bshape)
    if bias is not None:
        out = out + bias.data.reshape(bshape)

    def backward(g):
        g_hat = g * gamma.reshape(bshape)
        if training:
            n = x.data.size // C
            grad_x = inv_std.reshape(bshape) / n * (
                n * g_hat - g_hat.sum(axis=axes, keepdims=True)
                - x_hat * (g_hat * x_hat).sum(axis=axes, keepdims=True))
        else:
            grad_x = g_hat * inv_std.reshape(bshape)
        grads = [grad_x]
        if weight is not None:
            grads.append((g * x_hat).sum(axis=axes))
        if bias is not None:
            grads.append(g.sum(axis=axes))
        return tuple(grads)

    inputs = tuple(t for t in (x, weight, bias) if t is not None)
    return Tensor._from_op(out.astype(x.dtype), inputs, backward, "BatchNorm")
