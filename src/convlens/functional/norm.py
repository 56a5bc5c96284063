"""``batch_norm`` over the channel axis, training and eval, with running statistics."""

from __future__ import annotations

import numpy as np

from .. import _validate
from ..tensor import Tensor

_OP = "batch_norm"


def _stat_array(stat, name: str, channels: int) -> np.ndarray | None:
    """The ndarray behind a running statistic (Tensor or ndarray, updated in place), or None."""
    if stat is None:
        return None
    array = stat._data if isinstance(stat, Tensor) else stat
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{_OP} expects {name} to be a convlens Tensor or ndarray; "
                        f"got {type(stat).__name__}")
    _validate.float_dtype(array.dtype, name, _OP)
    if array.shape != (channels,):
        raise ValueError(f"{_OP} expects {name} of shape ({channels},); got {array.shape}")
    return array


def _affine(param, name: str, x: Tensor) -> Tensor | None:
    if param is None:
        return None
    param = _validate.float_tensor(param, name, _OP)
    if param.shape != (x.shape[1],):
        raise ValueError(f"{_OP} expects {name} of shape ({x.shape[1]},) for input of shape "
                         f"{x.shape}; got {param.shape}")
    return param


def _update_running(stats: tuple, arrays: tuple, batch: tuple, momentum: float) -> None:
    """``running = (1 - momentum) * running + momentum * batch``, in place; bumps versions."""
    for stat, array, value in zip(stats, arrays, batch):
        if array is None:
            continue
        array *= 1 - momentum
        array += momentum * value.astype(array.dtype)
        if isinstance(stat, Tensor):
            stat._version += 1


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
        (N, C) or (N, C, *d), float32 or float64.
    running_mean, running_var : Tensor or ndarray of shape (C,), or None
        Updated in place when ``training``. May be None only when ``training`` is True.
    weight, bias : Tensor, optional
        Per-channel scale and shift (C,).
    training : bool, default False
    momentum : float, default 0.1
        Any finite number, as in torch (values outside [0, 1] extrapolate).
    eps : float, default 1e-5
        Added to the variance; non-negative.

    Returns
    -------
    Tensor
        ``(x - mean) / sqrt(var + eps) * weight + bias``, same shape as ``input``. An empty
        batch gives an empty output and leaves the running statistics alone.

    Raises
    ------
    ValueError
        Input of fewer than 2 dims (except an empty (0,) input, returned as an empty copy),
        statistics or parameters not of shape (C,), missing running statistics in eval, or a
        single value per channel in training.
    TypeError
        Non-float input, statistics or parameters.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> mean, var = np.zeros(1), np.ones(1)
    >>> y = F.batch_norm(cl.tensor(np.array([[1.0], [3.0]])), mean, var, training=True)
    >>> y.numpy().ravel().round(3).tolist(), mean.tolist(), var.tolist()
    ([-1.0, 1.0], [0.2], [1.1])
    """
    x = _validate.float_tensor(input, "input", _OP)
    if x.shape == (0,):  # torch returns an empty copy and checks nothing else
        return Tensor._from_op(x._data.copy(), (x,), lambda g: (g,), "BatchNorm")
    if x.ndim < 2:
        raise ValueError(f"{_OP} expects input of shape (N, C) or (N, C, *d); got {x.shape}")
    momentum = _validate.real_number(momentum, "momentum")  # torch allows any value
    eps = _validate.real_number(eps, "eps", low=0.0)
    arrays = (_stat_array(running_mean, "running_mean", x.shape[1]),
              _stat_array(running_var, "running_var", x.shape[1]))
    weight, bias = _affine(weight, "weight", x), _affine(bias, "bias", x)
    axes = (0, *range(2, x.ndim))
    count = x._data.size // max(x.shape[1], 1)
    if training and count == 1:
        raise ValueError(f"{_OP} in training needs more than 1 value per channel; "
                         f"got input of shape {x.shape}")
    if training and count > 1:
        mean, var = x._data.mean(axis=axes), x._data.var(axis=axes)
        _update_running((running_mean, running_var), arrays,
                        (mean, var * count / (count - 1)), momentum)
    elif training:  # an empty batch: nothing to normalise, no statistics to update
        mean = var = np.zeros(x.shape[1], x.dtype)
    elif arrays[0] is None or arrays[1] is None:
        raise ValueError(f"{_OP} in eval mode needs running_mean and running_var")
    else:
        mean, var = arrays[0].astype(x.dtype), arrays[1].astype(x.dtype)
    return _normalise(x, mean, var, eps, weight, bias, bool(training))


def _normalise(x: Tensor, mean: np.ndarray, var: np.ndarray, eps: float, weight, bias,
               batch_stats: bool) -> Tensor:
    """The graph node: normalise with given statistics; backward through them if ``batch_stats``."""
    axes = (0, *range(2, x.ndim))
    bshape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    inv_std = (1 / np.sqrt(var + eps)).astype(x.dtype).reshape(bshape)
    x_hat = (x._data - mean.reshape(bshape)) * inv_std
    gamma = np.ones(bshape, x.dtype) if weight is None else weight._data.reshape(bshape)
    out = x_hat * gamma if bias is None else x_hat * gamma + bias._data.reshape(bshape)

    def backward(g):
        g_hat = g * gamma
        if batch_stats and x._data.size:  # mean and var depend on x too
            n = x._data.size // x.shape[1]
            grad_x = inv_std / n * (n * g_hat - g_hat.sum(axis=axes, keepdims=True)
                                    - x_hat * (g_hat * x_hat).sum(axis=axes, keepdims=True))
        else:
            grad_x = g_hat * inv_std
        grads = [grad_x]
        if weight is not None:
            grads.append((g * x_hat).sum(axis=axes))
        if bias is not None:
            grads.append(g.sum(axis=axes))
        return tuple(grads)

    inputs = tuple(t for t in (x, weight, bias) if t is not None)
    return Tensor._from_op(out.astype(x.dtype), inputs, backward, "BatchNorm")
