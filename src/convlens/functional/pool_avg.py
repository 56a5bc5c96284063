"""Average and power-average pooling: ``avg_pool1d/2d/3d`` and ``lp_pool1d/2d``.

Each sum runs over kernel taps, one strided slice of the zero-padded input per tap, so a NaN
or inf reaches only the windows that contain it, as in PyTorch.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate
from ..conv.geometry import ConvSpec
from ..tensor import Tensor
from . import _pool_common as common
from .pool_max import max_pool_nd


def _divisor(spec: ConvSpec, kernel: tuple[int, ...], in_size: tuple[int, ...],
             pairs: tuple[tuple[int, int], ...], count_include_pad: bool,
             divisor_override: int | None, dtype) -> np.ndarray:
    """Torch's divisor per output window, broadcastable against (N, C, *S_out).

    A window is clipped to the padded input (so ceil-mode overhang never counts); with
    ``count_include_pad=False`` it is clipped to the input itself.
    """
    out_size = spec.output_size(in_size, kernel)
    if divisor_override is not None:
        return np.asarray(divisor_override, dtype=dtype)
    divisor = np.ones((1,) * len(out_size), dtype=dtype)
    for axis, (k, s, (lo, hi), n, m) in enumerate(
            zip(kernel, spec.stride, pairs, in_size, out_size)):
        start = np.arange(m) * s - lo
        end = np.minimum(start + k, n + hi)
        count = end - start if count_include_pad else (
            np.minimum(end, n) - np.maximum(start, 0))
        shape = [1] * len(out_size)
        shape[axis] = m
        divisor = divisor * count.reshape(shape).astype(dtype)
    return divisor


@common.quiet()
def _avg_arrays(op: str, nd: int, x: np.ndarray, kernel_size, stride, padding, ceil_mode,
                count_include_pad, divisor_override):
    """Average pooling of a batched ndarray: the output and its backward (ndarray -> ndarray)."""
    kernel, stride, pairs, _ = common.window_args(op, nd, kernel_size, stride, padding, 1)
    spec = common.window_spec(op, x.shape, kernel, stride, pairs, (1,) * nd, bool(ceil_mode),
                              x.dtype.itemsize)
    if divisor_override is not None:
        divisor_override = _validate.nonzero_int(divisor_override, "divisor_override")
    divisor = _divisor(spec, kernel, x.shape[2:], pairs, bool(count_include_pad),
                       divisor_override, x.dtype)
    out_size = spec.output_size(x.shape[2:], kernel)
    padded = common.pad_nd(x, spec, 0.0)
    total = np.zeros((*x.shape[:2], *out_size), dtype=x.dtype)           # (N, C, *S_out)
    for offset in np.ndindex(*kernel):
        total += padded[(..., *spec.window(offset, out_size))]

    @common.quiet()
    def backward(grad_output: np.ndarray) -> np.ndarray:
        share = grad_output / divisor
        grad_padded = np.zeros(padded.shape, dtype=share.dtype)
        for offset in np.ndindex(*kernel):
            grad_padded[(..., *spec.window(offset, out_size))] += share
        return common.crop(grad_padded, spec)

    return total / divisor, backward


def avg_pool_nd(op: str, nd: int, input, kernel_size, stride=None, padding=0,  # noqa: A002
                ceil_mode: bool = False, count_include_pad: bool = True,
                divisor_override: int | None = None) -> Tensor:
    """The shared body of avg_pool1d/2d/3d; see :func:`avg_pool2d`."""
    x, unbatched = common.pool_input(op, nd, input)
    out, backward = _avg_arrays(op, nd, x._data, kernel_size, stride, padding, ceil_mode,
                                count_include_pad, divisor_override)
    y = Tensor._from_op(out, (x,), lambda g: (backward(g),), f"AvgPool{nd}d")
    return common.unbatch(y, unbatched)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,  # noqa: A002
               count_include_pad: bool = True) -> Tensor:
    """1-D average pooling over an (N, C, L) or (C, L) input; see :func:`avg_pool2d`.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.avg_pool1d(cl.tensor([[[1.0, 3.0, 2.0, 6.0]]]), 2).numpy().tolist()
    [[[2.0, 4.0]]]
    """
    return avg_pool_nd("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                       count_include_pad)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,  # noqa: A002
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d``.

    Parameters
    ----------
    input : Tensor
        (N, C, H, W) or unbatched (C, H, W); float32 or float64.
    kernel_size : int or tuple of 2 ints
        A 1-tuple is used for both dims, as in torch (likewise for stride and padding).
    stride : int or tuple of 2 ints, optional
        Defaults to ``kernel_size``.
    padding : int, tuple of 2 ints, or 2 (low, high) pairs, default 0
        Implicit zeros on each side; at most ``kernel_size // 2``. Per-side pairs are a
        convlens addition (see :func:`max_pool2d`).
    ceil_mode : bool, default False
        Round the output size up (see :func:`max_pool2d`).
    count_include_pad : bool, default True
        Count the zero padding in the divisor.
    divisor_override : int, optional
        Divide every window sum by this instead; must be non-zero.

    Returns
    -------
    Tensor
        (N, C, H_out, W_out), sizes as in :func:`max_pool2d` with dilation 1.

    Raises
    ------
    TypeError
        Non-float input or malformed arguments.
    ValueError
        As :func:`max_pool2d`, and ``divisor_override=0``.

    Notes
    -----
    Each window sum is divided by, in order of precedence: ``divisor_override``; with
    ``count_include_pad`` the window size clipped to the padded input (a ceil-mode window
    running past the high padding counts only up to it); else the number of real input
    elements in the window. This is PyTorch's rule.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> x = cl.tensor(np.ones((1, 1, 3, 3)))
    >>> F.avg_pool2d(x, 2, stride=1, padding=1)[0, 0, 0, 0].item()
    0.25
    >>> F.avg_pool2d(x, 2, stride=1, padding=1, count_include_pad=False)[0, 0, 0, 0].item()
    1.0
    """
    return avg_pool_nd("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                       count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,  # noqa: A002
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """3-D average pooling over an (N, C, D, H, W) or (C, D, H, W) input; see :func:`avg_pool2d`.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> F.avg_pool3d(cl.tensor(np.arange(8.0).reshape(1, 1, 2, 2, 2)), 2).numpy().ravel().tolist()
    [3.5]
    """
    return avg_pool_nd("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                       count_include_pad, divisor_override)


# -- power-average (LP) pooling ------------------------------------------------------------
def _sign(a: np.ndarray) -> np.ndarray:
    """Torch's ``sign``: 0 at NaN, where NumPy's gives NaN."""
    return (a > 0).astype(a.dtype) - (a < 0)


def _lp_backward(grad_output, x, mean, z, p: float, k: int, pool_backward):
    """Torch's chain rule for ``(sign(m) * relu(|m|) * k) ** (1 / p)``, step by step.

    Following each step keeps torch's values where the chain meets 0 or NaN: ``relu``'s
    gradient is a selection (``m == 0`` gives 0, not ``0 * inf``), ``sign``'s is zero, and
    ``sign(NaN)`` is 0.
    """
    with np.errstate(all="ignore"):
        grad_z = grad_output * ((1.0 / p) * z ** (1.0 / p - 1.0))
        grad_s = grad_z * k
        grad_relu = np.where(np.abs(mean) <= 0, 0, grad_s * _sign(mean))
        grad_mean = grad_relu * _sign(mean)
        return pool_backward(grad_mean) * (p * x ** (p - 1.0))


def lp_pool_nd(op: str, nd: int, input, norm_type, kernel_size, stride=None,  # noqa: A002
               ceil_mode: bool = False) -> Tensor:
    """The shared body of lp_pool1d/2d; see :func:`lp_pool2d`."""
    p = _validate.any_real(norm_type, "norm_type")
    if p == 0:  # torch divides by it (a ZeroDivisionError there)
        raise ValueError(f"{op}: norm_type must be non-zero; got {norm_type!r}")
    if math.isinf(p):  # torch's rule: the max (or min) of |x| over each window
        x = _validate.float_tensor(input, "input", op)
        sign = 1.0 if p > 0 else -1.0
        return sign * max_pool_nd(op, nd, sign * x.abs(), kernel_size, stride, 0, 1, ceil_mode)
    x, unbatched = common.pool_input(op, nd, input)
    kernel = common.window_tuple(kernel_size, nd, "kernel_size")
    with np.errstate(all="ignore"):
        mean, pool_backward = _avg_arrays(op, nd, x._data ** p, kernel, stride, 0, ceil_mode,
                                          True, None)
        z = _sign(mean) * np.maximum(np.abs(mean), 0) * math.prod(kernel)
        out = z ** (1.0 / p)

    def backward(grad_output):
        return (_lp_backward(grad_output, x._data, mean, z, p, math.prod(kernel),
                             pool_backward),)

    y = Tensor._from_op(out.astype(x.dtype, copy=False), (x,), backward, f"LPPool{nd}d")
    return common.unbatch(y, unbatched)


def lp_pool1d(input, norm_type: float, kernel_size, stride=None,  # noqa: A002
              ceil_mode: bool = False) -> Tensor:
    """1-D power-average pooling over an (N, C, L) or (C, L) input; see :func:`lp_pool2d`.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.lp_pool1d(cl.tensor([[[3.0, 4.0, 1.0, 1.0]]]), 2, 2).numpy().tolist()[0][0][0]
    5.0
    """
    return lp_pool_nd("lp_pool1d", 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type: float, kernel_size, stride=None,  # noqa: A002
              ceil_mode: bool = False) -> Tensor:
    """2-D power-average pooling, as ``torch.nn.functional.lp_pool2d``.

    Each window gives ``(sum of x ** p) ** (1 / p)``: ``p = 1`` is sum pooling, ``p = 2``
    the Euclidean norm, ``p = inf`` max pooling of ``|x|``.

    Parameters
    ----------
    input : Tensor
        (N, C, H, W) or unbatched (C, H, W); float32 or float64.
    norm_type : float
        The power ``p``; ``inf`` and ``-inf`` give the max and min of ``|x|``.
    kernel_size : int or tuple of 2 ints
    stride : int or tuple of 2 ints, optional
        Defaults to ``kernel_size``.
    ceil_mode : bool, default False
        Round the output size up (see :func:`max_pool2d`).

    Returns
    -------
    Tensor
        (N, C, H_out, W_out), sizes as in :func:`avg_pool2d` without padding.

    Notes
    -----
    As in PyTorch, this is ``(sign(m) * relu(|m|) * prod(kernel_size)) ** (1 / p)`` with ``m``
    the average of ``x ** p`` over each window, so a ceil-mode window that overhangs the input
    is scaled by the full kernel size; a window whose sum is zero gets a zero gradient, and
    a negative sum (odd ``p`` with negative inputs) gives NaN.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> F.lp_pool2d(cl.tensor(np.full((1, 1, 2, 2), 2.0)), 2, 2).item()
    4.0
    """
    return lp_pool_nd("lp_pool2d", 2, input, norm_type, kernel_size, stride, ceil_mode)
