"""``fractional_max_pool2d``: max pooling over pseudo-random windows (Graham, 2014).

Along each dim, window ``i`` of ``kernel_size`` elements starts at
``floor((i + u) * alpha) - floor(u * alpha)`` with ``alpha = (in - k) / (out - 1)`` and one
random ``u`` in [0, 1) per (sample, channel, dim); the last window ends at the input's end.
This is PyTorch's rule, so passing the same ``_random_samples`` gives torch's numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import _validate
from ..random import as_generator
from ..tensor import Tensor
from . import _pool_common as common
from .pool_adaptive import _window_argmax


def _starts(u: np.ndarray, n: int, m: int, k: int, dtype) -> np.ndarray:
    """(N, C, m) window starts along one dim, computed in the input's dtype as torch does."""
    starts = np.full((*u.shape, m), n - k, dtype=np.int64)
    if m > 1:
        alpha = dtype.type(n - k) / dtype.type(m - 1)
        i = np.arange(m - 1).astype(dtype)
        u = u.astype(dtype)[..., None]
        starts[..., :-1] = (np.trunc((i + u) * alpha) - np.trunc(u * alpha)).astype(np.int64)
    return starts


def _output_size(x: Tensor, kernel, output_size, output_ratio) -> tuple[int, int]:
    if (output_size is None) == (output_ratio is None):
        raise ValueError("fractional_max_pool2d needs exactly one of output_size and "
                         f"output_ratio; got output_size={output_size!r}, "
                         f"output_ratio={output_ratio!r}")
    if output_size is None:
        ratios = output_ratio if isinstance(output_ratio, Sequence) else (output_ratio,) * 2
        if len(ratios) != 2 or not all(0 < _validate.real_number(r, "output_ratio") < 1
                                       for r in ratios):
            raise ValueError(f"output_ratio must be a number or 2 numbers in (0, 1); got "
                             f"{output_ratio!r}")
        output_size = tuple(int(n * r) for n, r in zip(x.shape[2:], ratios))
    size = common.window_tuple(output_size, 2, "output_size")
    for n, m, k in zip(x.shape[2:], size, kernel):
        if m + k - 1 > n:
            raise ValueError(f"fractional_max_pool2d: output_size {size} and kernel_size "
                             f"{kernel} need an input of at least {m + k - 1} per dim "
                             f"(output_size + kernel_size - 1); got {tuple(x.shape[2:])}")
    common.check_bytes("fractional_max_pool2d", "output_size", (*size, *kernel), x.shape[:2],
                       8, output_size)
    return size


def fractional_max_pool2d(input, kernel_size, output_size=None,  # noqa: A002
                          output_ratio=None, return_indices: bool = False,
                          _random_samples=None, *, generator=None):
    """Fractional max pooling, as ``torch.nn.functional.fractional_max_pool2d``.

    Parameters
    ----------
    input : Tensor
        (N, C, H, W) or unbatched (C, H, W); float32 or float64.
    kernel_size : int or tuple of 2 ints
    output_size : int or tuple of 2 ints, optional
    output_ratio : float or tuple of 2 floats in (0, 1), optional
        ``output_size = floor(input_size * output_ratio)``; give exactly one of the two.
    return_indices : bool, default False
        Also return each maximum's flat index into the (H, W) plane.
    _random_samples : Tensor, optional
        (N, C, 2) numbers in [0, 1): the ``u`` of the W and H dims, as in torch.
    generator : numpy.random.Generator or int, optional
        Keyword-only convlens addition: draws ``_random_samples`` when they are not given
        (default: the generator :func:`convlens.manual_seed` resets).

    Returns
    -------
    Tensor or (Tensor, Tensor)
        (N, C, H_out, W_out), and the indices when ``return_indices``.

    Examples
    --------
    With ``u = 0`` the windows start at 0 and at ``5 - 2 = 3`` along each dim:

    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> x = cl.tensor(np.arange(25.0).reshape(1, 1, 5, 5))
    >>> F.fractional_max_pool2d(x, 2, output_size=2, _random_samples=cl.tensor(
    ...     np.zeros((1, 1, 2)))).numpy().tolist()
    [[[[6.0, 9.0], [21.0, 24.0]]]]
    """
    x, unbatched = common.pool_input("fractional_max_pool2d", 2, input)
    kernel = common.window_tuple(kernel_size, 2, "kernel_size")
    out_size = _output_size(x, kernel, output_size, output_ratio)
    if _random_samples is None:
        samples = as_generator(generator).random((x.shape[0], x.shape[1], 2))
    else:
        samples = _validate.float_tensor(_random_samples, "_random_samples",
                                         "fractional_max_pool2d")._data
        if samples.shape != (x.shape[0], x.shape[1], 2):
            raise ValueError(f"_random_samples must have shape (N, C, 2) = "
                             f"({x.shape[0]}, {x.shape[1]}, 2); got {samples.shape}")
    rows = _starts(samples[..., 1], x.shape[2], out_size[0], kernel[0], x.dtype)
    cols = _starts(samples[..., 0], x.shape[3], out_size[1], kernel[1], x.dtype)
    # (N, C, H_out, W_out, kH * kW): every window's flat input indices in row-major order
    index = ((rows[..., :, None, None, None] + np.arange(kernel[0])[:, None]) * x.shape[3]
             + cols[..., None, :, None, None] + np.arange(kernel[1]))
    index = index.reshape(*x.shape[:2], *out_size, math.prod(kernel))
    planes = x._data.reshape(*x.shape[:2], -1)
    windows = np.take_along_axis(planes, index.reshape(*x.shape[:2], -1), axis=-1)
    windows = windows.reshape(index.shape)
    choice = _window_argmax(windows)
    out = np.take_along_axis(windows, choice[..., None], axis=-1)[..., 0]
    indices = np.take_along_axis(index, choice[..., None], axis=-1)[..., 0]

    def backward(grad_output):
        offset = np.arange(math.prod(x.shape[:2])).reshape(*x.shape[:2], 1, 1) * math.prod(
            x.shape[2:])
        flat = np.bincount((offset + indices).ravel(), weights=grad_output.ravel(),
                           minlength=math.prod(x.shape))
        return (flat.reshape(x.shape).astype(grad_output.dtype, copy=False),)

    y = common.unbatch(Tensor._from_op(out, (x,), backward, "FractionalMaxPool2d"), unbatched)
    if not return_indices:
        return y
    return y, Tensor(indices[0] if unbatched else indices)
