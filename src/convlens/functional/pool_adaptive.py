"""Adaptive pooling: ``adaptive_avg_pool1d/2d/3d`` and ``adaptive_max_pool1d/2d``.

Output bin ``i`` along a dimension of size ``n`` with ``m`` bins covers input elements
``floor(i * n / m) <= j < ceil((i + 1) * n / m)`` (PyTorch's rule; bins may overlap by one).
Every bin is reduced over its own elements only: by a reshape when bins tile evenly, a 0/1
matrix product only on finite data (one ``np.isfinite`` check), else by gathering; never by a
cumulative sum. So a NaN or inf reaches exactly the outputs whose bins contain it, as in
PyTorch.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate
from ..tensor import Tensor
from . import _pool_common as common


def _bins(n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) of the ``m`` bins over ``n`` elements."""
    i = np.arange(m)
    return i * n // m, -(-(i + 1) * n // m)


def _gather(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(m, L) indices of each bin's elements (clipped) and which of them are real."""
    width = int((end - start).max(initial=1))
    index = start[:, None] + np.arange(width)
    valid = index < end[:, None]
    return np.where(valid, index, start[:, None]), valid


# Above this many (bins x inputs) a 0/1 matrix costs more memory than gathering.
_MATRIX_LIMIT = 2**22


@common.quiet()
def _bin_sum(x: np.ndarray, axis: int, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Sum of each bin along ``axis``; every element of a bin is added once, others never.

    Three ways, all exact in that sense: on finite data a 0/1 matrix product (one BLAS call)
    is safe, since ``0 * x`` is 0 there; bins that tile the axis evenly are a reshape;
    otherwise each bin's elements are gathered, so ``0 * inf`` never happens.
    """
    n, m = x.shape[axis], len(start)
    if n == 0:  # no elements to read from (output_size 0): every sum is empty
        return np.zeros((*x.shape[:axis], m, *x.shape[axis + 1:]), x.dtype)
    if n * m <= _MATRIX_LIMIT and np.isfinite(x).all():
        j = np.arange(n)
        inside = ((j >= start[:, None]) & (j < end[:, None])).astype(x.dtype)   # (m, n)
        if axis == x.ndim - 1:
            return x @ inside.T
        if axis == x.ndim - 2:
            return inside @ x
        return np.moveaxis(np.moveaxis(x, axis, -1) @ inside.T, -1, axis)
    if n % m == 0 and np.array_equal(start, np.arange(m) * (n // m)) and np.array_equal(
            end, start + n // m):
        return x.reshape(*x.shape[:axis], m, n // m, *x.shape[axis + 1:]).sum(axis=axis + 1)
    moved = np.moveaxis(x, axis, -1)
    index, valid = _gather(start, end)
    taken = np.take(moved, index, axis=-1)                               # (..., m, L)
    return np.moveaxis(np.where(valid, taken, 0).sum(axis=-1), -1, axis)


def _tiled_mean(x: Tensor, out_size: tuple[int, ...], nd: int) -> Tensor:
    """Bins that tile every axis evenly (global pooling): one reshaped mean."""
    split = [v for n, m in zip(x.shape[2:], out_size) for v in (m, n // m)]
    taps = tuple(range(3, 2 + 2 * nd, 2))                  # the within-bin axes
    with common.quiet():
        out = x._data.reshape(*x.shape[:2], *split).mean(axis=taps)
    count = np.prod(split[1::2])

    def backward(grad_output):
        share = np.expand_dims(grad_output / np.asarray(count, grad_output.dtype), taps)
        return (np.broadcast_to(share, (*x.shape[:2], *split)).reshape(x.shape),)

    return Tensor._from_op(out, (x,), backward, f"AdaptiveAvgPool{nd}d")


def _output_size(op: str, nd: int, output_size, x: Tensor) -> tuple[int, ...]:
    sizes = _validate.optional_sizes(output_size, nd, "output_size", x.shape[2:])
    common.check_bytes(op, "output_size", sizes, x.shape[:2], x.dtype.itemsize, output_size)
    return sizes


def adaptive_avg_pool_nd(op: str, nd: int, input, output_size) -> Tensor:  # noqa: A002
    """The shared body of adaptive_avg_pool1d/2d/3d; see :func:`adaptive_avg_pool2d`."""
    x, unbatched = common.pool_input(op, nd, input)
    in_size, out_size = x.shape[2:], _output_size(op, nd, output_size, x)
    if set(out_size) == {1}:  # global pooling
        return common.unbatch(_tiled_mean(x, out_size, nd), unbatched)
    bins = [_bins(n, m) for n, m in zip(in_size, out_size)]
    # the reverse bins: which output bins hold input element j (for the backward)
    covers = [(np.searchsorted(end, np.arange(n), side="right"),
               np.searchsorted(start, np.arange(n), side="right"))
              for n, (start, end) in zip(in_size, bins)]
    count = np.ones((1,) * nd, dtype=x.dtype)
    for axis, (start, end) in enumerate(bins):
        count = count * (end - start).astype(x.dtype).reshape(
            [-1 if a == axis else 1 for a in range(nd)])
    out = x._data
    for axis, (start, end) in enumerate(bins):
        out = _bin_sum(out, 2 + axis, start, end)
    with common.quiet():
        out = out / count

    @common.quiet()
    def backward(grad_output):
        grad = grad_output / count
        for axis, (first, stop) in enumerate(covers):
            grad = _bin_sum(grad, 2 + axis, first, stop)
        return (grad,)

    y = Tensor._from_op(out.astype(x.dtype, copy=False), (x,), backward,
                        f"AdaptiveAvgPool{nd}d")
    return common.unbatch(y, unbatched)


def adaptive_avg_pool1d(input, output_size) -> Tensor:  # noqa: A002
    """1-D adaptive average pooling to ``output_size`` outputs; see :func:`adaptive_avg_pool2d`.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.adaptive_avg_pool1d(cl.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), 2).numpy().tolist()
    [[[2.0, 4.0]]]
    """
    return adaptive_avg_pool_nd("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input, output_size) -> Tensor:  # noqa: A002
    """Average over a grid of ``output_size`` bins, as ``torch.nn.functional.adaptive_avg_pool2d``.

    Parameters
    ----------
    input : Tensor
        (N, C, H, W) or unbatched (C, H, W); float32 or float64.
    output_size : int, or tuple of 2 ints or None
        (H_out, W_out); ``None`` keeps that input size. ``1`` is global average pooling.

    Returns
    -------
    Tensor
        (N, C, H_out, W_out).

    Raises
    ------
    TypeError
        Non-float input or malformed ``output_size``.
    ValueError
        Wrong rank, a zero-sized channel or spatial dim, a negative ``output_size``, or an
        output beyond ``MAX_BYTES`` (see :mod:`.pool`).

    Notes
    -----
    Output bin ``i`` along a dimension of size ``n`` averages input elements
    ``floor(i * n / out) <= j < ceil((i + 1) * n / out)``: bins may overlap by one element
    when ``out`` does not divide ``n``, as in PyTorch. A NaN or inf reaches only the bins
    that contain it.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> x = cl.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> F.adaptive_avg_pool2d(x, 1).numpy().ravel().tolist()
    [7.5]
    >>> F.adaptive_avg_pool2d(x, (None, 2)).shape
    (1, 1, 4, 2)
    """
    return adaptive_avg_pool_nd("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool3d(input, output_size) -> Tensor:  # noqa: A002
    """3-D adaptive average pooling of (N, C, D, H, W) input; see :func:`adaptive_avg_pool2d`.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> F.adaptive_avg_pool3d(cl.tensor(np.ones((1, 2, 3, 4, 5))), (1, 2, None)).shape
    (1, 2, 1, 2, 5)
    """
    return adaptive_avg_pool_nd("adaptive_avg_pool3d", 3, input, output_size)


# -- adaptive max pooling ------------------------------------------------------------------
def _window_argmax(windows: np.ndarray) -> np.ndarray:
    """Torch's argmax over the last axis: the first maximum, or the last NaN if any."""
    first = np.argmax(windows, axis=-1)   # NumPy's argmax stops at the first NaN
    nan = np.isnan(windows)
    last_nan = windows.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
    return np.where(nan.any(axis=-1), last_nan, first)


def _bin_windows(x: np.ndarray, bins) -> tuple[np.ndarray, np.ndarray]:
    """Every bin's elements in row-major order, (N, C, *S_out, L), and their flat indices.

    Padding slots (bins shorter than the longest) hold -inf and the bin's first index, so
    they never win over a real element.
    """
    nd = len(bins)
    gathered = [_gather(start, end) for start, end in bins]
    index, valid = np.zeros((1,) * (2 * nd), dtype=np.int64), np.ones((1,) * (2 * nd), bool)
    for axis, ((idx, ok), n) in enumerate(zip(gathered, x.shape[2:])):
        shape = [1] * (2 * nd)
        shape[axis], shape[nd + axis] = idx.shape
        index = index * n + idx.reshape(shape)
        valid = valid & ok.reshape(shape)
    index = np.broadcast_to(index, valid.shape)                          # (*S_out, *L)
    out_size, width = index.shape[:nd], math.prod(index.shape[nd:])
    flat_index = index.reshape(*out_size, width)
    planes = x.reshape(*x.shape[:2], -1)
    windows = np.where(valid.reshape(*out_size, width), planes[..., flat_index], -np.inf)
    return windows.astype(x.dtype, copy=False), flat_index


def adaptive_max_pool_nd(op: str, nd: int, input, output_size,  # noqa: A002
                         return_indices: bool = False):
    """The shared body of adaptive_max_pool1d/2d; see :func:`adaptive_max_pool2d`."""
    x, unbatched = common.pool_input(op, nd, input)
    in_size, out_size = x.shape[2:], _output_size(op, nd, output_size, x)
    bins = [_bins(n, m) for n, m in zip(in_size, out_size)]
    widths = [int((end - start).max(initial=1)) for start, end in bins]
    common.check_bytes(op, "output_size", (*out_size, *widths), x.shape[:2], 8, output_size)
    windows, flat_index = _bin_windows(x._data, bins)
    choice = _window_argmax(windows)                                     # (N, C, *S_out)
    out = np.take_along_axis(windows, choice[..., None], axis=-1)[..., 0]
    indices = np.take_along_axis(np.broadcast_to(flat_index, windows.shape), choice[..., None],
                                 axis=-1)[..., 0]

    def backward(grad_output):
        plane = math.prod(in_size)
        rows = np.arange(math.prod(x.shape[:2])).reshape(*x.shape[:2], *(1,) * nd) * plane
        flat = np.bincount((rows + indices).ravel(), weights=grad_output.ravel(),
                           minlength=math.prod(x.shape))
        return (flat.reshape(x.shape).astype(grad_output.dtype, copy=False),)

    y = common.unbatch(Tensor._from_op(out, (x,), backward, f"AdaptiveMaxPool{nd}d"),
                       unbatched)
    if not return_indices:
        return y
    return y, Tensor(indices[0] if unbatched else indices)


def adaptive_max_pool1d(input, output_size, return_indices: bool = False):  # noqa: A002
    """1-D adaptive max pooling to ``output_size`` outputs; see :func:`adaptive_max_pool2d`.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.adaptive_max_pool1d(cl.tensor([[[1.0, 5.0, 3.0, 4.0, 2.0]]]), 2).numpy().tolist()
    [[[5.0, 4.0]]]
    """
    return adaptive_max_pool_nd("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices: bool = False):  # noqa: A002
    """Max over a grid of ``output_size`` bins, as ``torch.nn.functional.adaptive_max_pool2d``.

    Parameters
    ----------
    input : Tensor
        (N, C, H, W) or unbatched (C, H, W); float32 or float64.
    output_size : int, or tuple of 2 ints or None
        (H_out, W_out); ``None`` keeps that input size. ``1`` is global max pooling.
    return_indices : bool, default False
        Also return each maximum's flat index into the (H, W) plane (int64).

    Returns
    -------
    Tensor or (Tensor, Tensor)
        (N, C, H_out, W_out), and the indices when ``return_indices``.

    Notes
    -----
    Bins as in :func:`adaptive_avg_pool2d`. Within a bin the first maximum in row-major order
    wins, and a NaN beats everything (the last NaN wins), as in PyTorch; the gradient goes
    to the winner.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> y, i = F.adaptive_max_pool2d(cl.tensor(np.arange(16.0).reshape(1, 1, 4, 4)), 1, True)
    >>> y.item(), i.item()
    (15.0, 15)
    """
    return adaptive_max_pool_nd("adaptive_max_pool2d", 2, input, output_size, return_indices)
