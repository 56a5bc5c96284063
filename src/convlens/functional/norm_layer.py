"""Normalisation beyond the batch: ``layer_norm``, ``group_norm``, ``instance_norm``,
``local_response_norm`` and ``normalize``, with ``torch.nn.functional``'s arguments.

The first three share one graph node, :func:`standardize`: subtract the mean and divide by
``sqrt(biased variance + eps)`` over some axes, with the backward written next to it. The
affine ``weight`` and ``bias`` are then ordinary broadcasting Tensor ops.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np

from .. import _validate
from ..tensor import Tensor
from .norm import _stat_array, _update_running
from .padding import pad_pairs


def standardize(x: Tensor, axes: tuple[int, ...], eps: float,
                name: str) -> tuple[Tensor, np.ndarray, np.ndarray]:
    """``(x - mean) / sqrt(var + eps)`` over ``axes``; also returns the mean and biased var."""
    n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    mean = x._data.mean(axis=axes, keepdims=True) if x._data.size else np.zeros(())
    var = x._data.var(axis=axes, keepdims=True) if x._data.size else np.zeros(())
    inv_std = (1 / np.sqrt(var + eps)).astype(x.dtype)
    x_hat = ((x._data - mean) * inv_std).astype(x.dtype)

    def backward(g):
        return (inv_std / max(n, 1) * (n * g - g.sum(axis=axes, keepdims=True)
                               - x_hat * (g * x_hat).sum(axis=axes, keepdims=True)),)

    return Tensor._from_op(x_hat, (x,), backward, name), mean, var


def _affine(y: Tensor, weight, bias, shape: tuple[int, ...], op: str) -> Tensor:
    """``y * weight + bias``, each of ``shape`` (broadcast against ``y``), when given."""
    for name, param in (("weight", weight), ("bias", bias)):
        if param is None:
            continue
        param = _validate.float_tensor(param, name, op)
        if param.numel() != int(np.prod(shape)):
            raise ValueError(f"{op} expects {name} with {int(np.prod(shape))} elements "
                             f"(shape {shape}); got shape {param.shape}")
        param = param.reshape(shape)
        y = y * param if name == "weight" else y + param
    return y


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int],  # noqa: A002
               weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims, as ``torch.nn.functional``.

    Each sample's last ``len(normalized_shape)`` dims are standardised with their own mean
    and biased variance, then scaled by ``weight`` and shifted by ``bias`` (both of shape
    ``normalized_shape``).

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> [round(v, 3) for v in F.layer_norm(cl.tensor([[1.0, 3.0]]), (2,))[0].tolist()]
    [-1.0, 1.0]
    """
    x = _validate.float_tensor(input, "input", "layer_norm")
    shape = _shape(normalized_shape)
    if x.shape[x.ndim - len(shape):] != shape or len(shape) > x.ndim:
        raise ValueError(f"layer_norm expects input whose trailing dims are normalized_shape "
                         f"{shape}; got input of shape {x.shape}")
    eps = _validate.real_number(eps, "eps")  # torch allows any eps, even a negative one
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    y, _, _ = standardize(x, axes, eps, "LayerNorm")
    return _affine(y, weight, bias, shape, "layer_norm")


def _shape(normalized_shape: object) -> tuple[int, ...]:
    if isinstance(normalized_shape, Integral) and not isinstance(normalized_shape, bool):
        normalized_shape = (normalized_shape,)
    if not isinstance(normalized_shape, Sequence) or not all(
            isinstance(n, Integral) and not isinstance(n, bool) and n > 0
            for n in normalized_shape):
        raise TypeError(f"normalized_shape must be a positive int or a tuple of positive ints; "
                        f"got {normalized_shape!r}")
    return tuple(int(n) for n in normalized_shape)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each group of ``C / num_groups`` channels per sample, as torch.

    Input (N, C, *); ``weight`` and ``bias`` are per channel (C,).

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> y = F.group_norm(cl.tensor(np.arange(8.0).reshape(1, 4, 2)), 2)
    >>> np.round(y.numpy()[0, :2].ravel(), 3).tolist()
    [-1.342, -0.447, 0.447, 1.342]
    """
    x = _validate.float_tensor(input, "input", "group_norm")
    groups = _validate.positive_int(num_groups, "num_groups")
    if x.ndim < 2 or x.shape[1] % groups:
        raise ValueError(f"group_norm expects input (N, C, *) with C divisible by num_groups "
                         f"(={groups}); got input of shape {x.shape}")
    eps = _validate.real_number(eps, "eps")  # torch allows any eps, even a negative one
    grouped = x.reshape((x.shape[0], groups, x._data.size // max(x.shape[0] * groups, 1)))
    y, _, _ = standardize(grouped, (2,), eps, "GroupNorm")
    channel_shape = (x.shape[1],) + (1,) * (x.ndim - 2)
    return _affine(y.reshape(x.shape), weight, bias, channel_shape, "group_norm")


def instance_norm(input: Tensor, running_mean=None, running_var=None,  # noqa: A002
                  weight: Tensor | None = None, bias: Tensor | None = None,
                  use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample over its spatial dims, as torch.

    With ``use_input_stats`` (training, or no running statistics) each (sample, channel) uses
    its own mean and biased variance, and running statistics, when given, are updated in place
    with the batch average of the per-instance mean and unbiased variance. Otherwise the running
    statistics normalise.

    Parameters
    ----------
    input : Tensor
        (N, C, *d) with at least one spatial dim.
    running_mean, running_var : Tensor or ndarray (C,), optional
    weight, bias : Tensor (C,), optional
    use_input_stats : bool, default True
    momentum : float, default 0.1
    eps : float, default 1e-5
    """
    x = _validate.float_tensor(input, "input", "instance_norm")
    if x.ndim < 3:
        raise ValueError(f"instance_norm expects input (N, C, *d) with at least one spatial "
                         f"dim; got shape {x.shape}")
    momentum = _validate.real_number(momentum, "momentum")
    eps = _validate.real_number(eps, "eps", low=0.0)
    channels = x.shape[1]
    arrays = (_stat_array(running_mean, "running_mean", channels),
              _stat_array(running_var, "running_var", channels))
    channel_shape = (channels,) + (1,) * (x.ndim - 2)
    axes = tuple(range(2, x.ndim))
    if use_input_stats:
        y, mean, var = standardize(x, axes, eps, "InstanceNorm")
        count = int(np.prod(x.shape[2:]))
        if count > 1 and x.shape[0]:
            batch = (mean.mean(axis=0).reshape(-1), (var * count / (count - 1)).mean(
                axis=0).reshape(-1))
            _update_running((running_mean, running_var), arrays, batch, momentum)
    elif arrays[0] is None or arrays[1] is None:
        raise ValueError("instance_norm with use_input_stats=False needs running_mean and "
                         "running_var")
    else:
        inv_std = (1 / np.sqrt(arrays[1] + eps)).astype(x.dtype).reshape(channel_shape)
        y = (x - arrays[0].astype(x.dtype).reshape(channel_shape)) * Tensor(inv_std)
    return _affine(y, weight, bias, channel_shape, "instance_norm")


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4,  # noqa: A002
                        beta: float = 0.75, k: float = 1.0) -> Tensor:
    """Divide by ``(k + alpha * mean of x**2 over `size` neighbouring channels) ** beta``.

    As ``torch.nn.functional.local_response_norm`` (Krizhevsky et al. 2012): the window is
    centred on each channel (``size // 2`` before, ``(size - 1) // 2`` after), zero-padded,
    and the mean always divides by ``size``.
    """
    x = _validate.float_tensor(input, "input", "local_response_norm")
    size = _validate.positive_int(size, "size")
    if x.ndim < 3:
        raise ValueError(f"local_response_norm expects input (N, C, *) with at least 3 dims; "
                         f"got shape {x.shape}")
    alpha = _validate.real_number(alpha, "alpha")
    beta = _validate.real_number(beta, "beta")
    k = _validate.real_number(k, "k")
    channels = x.shape[1]
    pairs = ((size // 2, (size - 1) // 2),) + ((0, 0),) * (x.ndim - 2)
    padded = pad_pairs(x * x, pairs, "zeros")
    window = padded[:, 0:channels]
    for offset in range(1, size):
        window = window + padded[:, offset:offset + channels]
    return x / (window * (alpha / size) + k) ** beta


def _p_norm(z: np.ndarray, p: float, axis: int) -> np.ndarray:
    if p == np.inf:
        return np.abs(z).max(axis=axis, keepdims=True, initial=0)
    if p == 0:  # torch: the number of non-zero entries
        return (z != 0).sum(axis=axis, keepdims=True).astype(z.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.abs(z) ** p).sum(axis=axis, keepdims=True) ** (1 / p)


def _p_norm_grad(z: np.ndarray, p: float, axis: int, norm: np.ndarray) -> np.ndarray:
    """d ||z||_p / dz; the max norm shares its gradient between tied maxima."""
    if p == np.inf:
        ties = np.abs(z) == norm
        return np.sign(z) * ties / np.maximum(ties.sum(axis=axis, keepdims=True), 1)
    if p == 0:
        return np.zeros_like(z)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.nan_to_num(np.sign(z) * np.abs(z) ** (p - 1) / norm ** (p - 1))


def normalize(input: Tensor, p: float = 2.0, dim: int = 1,  # noqa: A002
              eps: float = 1e-12) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``, as ``torch.nn.functional.normalize``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> [round(v, 4) for v in F.normalize(cl.tensor([[3.0, 4.0]]))[0].tolist()]
    [0.6, 0.8]
    """
    x = _validate.float_tensor(input, "input", "normalize")
    p = _validate.any_real(p, "p")
    if np.isnan(p) or p == -np.inf:
        raise ValueError(f"normalize needs a p-norm order: a number or inf; got p={p}")
    eps = _validate.real_number(eps, "eps", low=0.0)
    axis = _validate.dim_index(dim, x.ndim)
    z = x._data.reshape(x.shape or (1,))
    norm = _p_norm(z, p, axis)
    denom = np.maximum(norm, eps)
    out = (z / denom).reshape(x.shape)

    def backward(g):
        g = g.reshape(z.shape)
        d_norm = np.where(norm > eps, _p_norm_grad(z, p, axis, norm), 0)  # 0 at a zero vector
        grad = g / denom - (g * z).sum(axis=axis, keepdims=True) / denom**2 * d_norm
        return (grad.reshape(x.shape).astype(x.dtype),)

    return Tensor._from_op(out.astype(x.dtype), (x,), backward, "Normalize")
