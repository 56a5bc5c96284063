"""``unfold`` (im2col: every sliding block of an image as a column) and ``fold`` (col2im: the
columns summed back into an image), as ``torch.nn.functional.unfold`` and ``fold``.

A convolution is ``weight.view(O, -1) @ unfold(x)``: each column holds the C * kH * kW input
values one output pixel's dot product reads. ``fold`` is the adjoint of ``unfold``: where
blocks overlap, their values add up. So each one's gradient is the other.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate
from ..tensor import Tensor
from ._pool_common import window_tuple


def _window(kernel_size, dilation, padding, stride) -> tuple[tuple[int, int], ...]:
    """(kernel, dilation, padding, stride) as pairs, checked as torch checks them."""
    return (window_tuple(kernel_size, 2, "kernel_size"), window_tuple(dilation, 2, "dilation"),
            window_tuple(padding, 2, "padding", minimum=0), window_tuple(stride, 2, "stride"))


def _blocks(op: str, size: tuple[int, int], kernel, dilation, padding, stride
            ) -> tuple[int, int]:
    """The number of sliding blocks along H and W; ``ValueError`` if one is below 1."""
    blocks = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                   for n, k, d, p, s in zip(size, kernel, dilation, padding, stride))
    if min(blocks) < 1:
        raise ValueError(f"{op}: input of spatial size {size} with kernel_size={kernel}, "
                         f"dilation={dilation}, padding={padding}, stride={stride} has "
                         f"{blocks[0]} x {blocks[1]} sliding blocks; both must be at least 1")
    return blocks


def _taps(kernel, dilation, stride, blocks):
    """Per kernel position (row-major): the slices of the padded image it reads."""
    for i in range(kernel[0]):
        rows = slice(i * dilation[0], i * dilation[0] + stride[0] * (blocks[0] - 1) + 1,
                     stride[0])
        for j in range(kernel[1]):
            yield rows, slice(j * dilation[1], j * dilation[1] + stride[1] * (blocks[1] - 1) + 1,
                              stride[1])


def _im2col(x: np.ndarray, kernel, dilation, padding, stride, blocks) -> np.ndarray:
    """(N, C, H, W) -> (N, C * kH * kW, L)."""
    N, C, H, W = x.shape
    padded = np.zeros((N, C, H + 2 * padding[0], W + 2 * padding[1]), dtype=x.dtype)
    padded[:, :, padding[0]:padding[0] + H, padding[1]:padding[1] + W] = x
    cols = np.empty((N, C, kernel[0] * kernel[1], *blocks), dtype=x.dtype)
    for tap, (rows, columns) in enumerate(_taps(kernel, dilation, stride, blocks)):
        cols[:, :, tap] = padded[:, :, rows, columns]
    return cols.reshape(N, C * kernel[0] * kernel[1], blocks[0] * blocks[1])


def _col2im(cols: np.ndarray, size: tuple[int, int], kernel, dilation, padding, stride,
            blocks) -> np.ndarray:
    """(N, C * kH * kW, L) -> (N, C, H, W), overlapping blocks summed tap by tap."""
    N, K = cols.shape[0], kernel[0] * kernel[1]
    C = cols.shape[1] // K
    blocks_view = cols.reshape(N, C, K, *blocks)
    padded = np.zeros((N, C, size[0] + 2 * padding[0], size[1] + 2 * padding[1]),
                      dtype=cols.dtype)
    for tap, (rows, columns) in enumerate(_taps(kernel, dilation, stride, blocks)):
        padded[:, :, rows, columns] += blocks_view[:, :, tap]
    return padded[:, :, padding[0]:padding[0] + size[0], padding[1]:padding[1] + size[1]].copy()


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:  # noqa: A002
    """Every sliding block of an image as a column, as ``torch.nn.functional.unfold``.

    Parameters
    ----------
    input : Tensor
        (N, C, H, W), or unbatched (C, H, W).
    kernel_size, dilation, padding, stride : int or (int, int)
        The blocks' size, the spacing of their elements, zero padding on both sides of each
        spatial dim, and the step between blocks.

    Returns
    -------
    Tensor
        (N, C * kH * kW, L) (or (C * kH * kW, L)), L the number of blocks, row by row; row
        ``c * kH * kW + i * kW + j`` holds channel ``c`` at kernel position ``(i, j)``.

    Raises
    ------
    ValueError
        If ``input`` is not 3-D or 4-D, or no block fits.
    TypeError
        A non-float ``input``, or window arguments that are not ints or pairs of ints.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> F.unfold(cl.tensor(np.arange(9.0).reshape(1, 1, 3, 3)), 2).numpy()[0].tolist()
    [[0.0, 1.0, 3.0, 4.0], [1.0, 2.0, 4.0, 5.0], [3.0, 4.0, 6.0, 7.0], [4.0, 5.0, 7.0, 8.0]]
    """
    x = _validate.float_tensor(input, "input", "unfold")
    if x.ndim not in (3, 4):
        raise ValueError(f"unfold expects input of shape (N, C, H, W) or (C, H, W); got "
                         f"{x.shape}")
    window = _window(kernel_size, dilation, padding, stride)
    data = x._data if x.ndim == 4 else x._data[None]
    blocks = _blocks("unfold", data.shape[2:], *window)
    out = _im2col(data, *window, blocks)

    def backward(g):
        grad = _col2im(g.reshape(out.shape), data.shape[2:], *window, blocks)
        return (grad if x.ndim == 4 else grad[0],)

    return Tensor._from_op(out if x.ndim == 4 else out[0], (x,), backward, "Unfold")


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0,  # noqa: A002
         stride=1) -> Tensor:
    """Sum columns of sliding blocks back into an image, as ``torch.nn.functional.fold``.

    The adjoint of :func:`unfold`: ``fold(unfold(x))`` multiplies each pixel by the number of
    blocks that cover it.

    Parameters
    ----------
    input : Tensor
        (N, C * kH * kW, L), or unbatched (C * kH * kW, L); L must be the number of blocks
        that fit in ``output_size``.
    output_size : int or (int, int)
        The image's (H, W).
    kernel_size, dilation, padding, stride : int or (int, int)
        As in :func:`unfold`.

    Returns
    -------
    Tensor
        (N, C, H, W), or (C, H, W).

    Raises
    ------
    ValueError
        If ``input`` is not 2-D or 3-D, its second to last size is not divisible by kH * kW,
        or its last size is not the number of blocks.
    TypeError
        A non-float ``input``, or size arguments that are not ints or pairs of ints.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> x = cl.tensor(np.ones((1, 1, 3, 3)))
    >>> F.fold(F.unfold(x, 2), 3, 2).numpy()[0, 0].tolist()
    [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    cols = _validate.float_tensor(input, "input", "fold")
    if cols.ndim not in (2, 3):
        raise ValueError(f"fold expects input of shape (N, C * kH * kW, L) or "
                         f"(C * kH * kW, L); got {cols.shape}")
    size = window_tuple(output_size, 2, "output_size")
    window = _window(kernel_size, dilation, padding, stride)
    data = cols._data if cols.ndim == 3 else cols._data[None]
    taps = math.prod(window[0])
    if data.shape[1] % taps:
        raise ValueError(f"fold expects input's size {data.shape[1]} in dimension "
                         f"{cols.ndim - 2} to be divisible by kernel_size's product "
                         f"{window[0][0]} * {window[0][1]} = {taps}")
    blocks = _blocks("fold", size, *window)
    if data.shape[2] != blocks[0] * blocks[1]:
        raise ValueError(f"fold: output_size={size} with kernel_size={window[0]}, "
                         f"dilation={window[1]}, padding={window[2]}, stride={window[3]} has "
                         f"{blocks[0]} x {blocks[1]} = {blocks[0] * blocks[1]} sliding blocks, "
                         f"but input's last dimension is {data.shape[2]}")
    out = _col2im(data, size, *window, blocks)

    def backward(g):
        grad = _im2col(g.reshape(out.shape), *window, blocks)
        return (grad if cols.ndim == 3 else grad[0],)

    return Tensor._from_op(out if cols.ndim == 3 else out[0], (cols,), backward, "Fold")
