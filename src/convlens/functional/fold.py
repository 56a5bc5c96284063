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
from ..conv._columns import zero_pad
from ..conv.geometry import ConvSpec
from ..conv.padding import pad_adjoint
from ..tensor import Tensor
from ._pool_common import window_tuple


class SlidingBlocks:
    """The sliding blocks of one call: the kernel and the same ``ConvSpec`` geometry the
    convolution engines use (its tap slices, zero padding and crop)."""

    def __init__(self, kernel_size, dilation, padding, stride):
        self.kernel = window_tuple(kernel_size, 2, "kernel_size")
        dilation = window_tuple(dilation, 2, "dilation")
        padding = window_tuple(padding, 2, "padding", minimum=0)
        stride = window_tuple(stride, 2, "stride")
        self.spec = ConvSpec(stride, tuple((p, p) for p in padding), dilation)
        self.arguments = (f"kernel_size={self.kernel}, dilation={dilation}, "
                          f"padding={padding}, stride={stride}")

    def blocks(self, op: str, size: tuple[int, int]) -> tuple[int, int]:
        """The number of sliding blocks along H and W; ``ValueError`` if one is below 1."""
        blocks = self.spec.output_size(size, self.kernel)
        if min(blocks) < 1:
            raise ValueError(f"{op}: input of spatial size {size} with {self.arguments} has "
                             f"{blocks[0]} x {blocks[1]} sliding blocks; both must be at "
                             f"least 1")
        return blocks

    def columns(self, x: np.ndarray, blocks: tuple[int, int]) -> np.ndarray:
        """im2col: (N, C, H, W) -> (N, C * kH * kW, L)."""
        N, C = x.shape[:2]
        padded = zero_pad(x, self.spec)
        K = math.prod(self.kernel)
        cols = np.empty((N, C, K, *blocks), dtype=x.dtype)
        for index, tap in enumerate(np.ndindex(*self.kernel)):
            cols[:, :, index] = padded[(..., *self.spec.window(tap, blocks))]
        return cols.reshape(N, C * K, math.prod(blocks))

    def image(self, cols: np.ndarray, size: tuple[int, int], blocks: tuple[int, int]
              ) -> np.ndarray:
        """col2im: (N, C * kH * kW, L) -> (N, C, H, W), overlapping blocks summed tap by tap."""
        N, K = cols.shape[0], math.prod(self.kernel)
        by_tap = cols.reshape(N, cols.shape[1] // K, K, *blocks)
        padded = np.zeros((*by_tap.shape[:2], *self.spec.padded_size(size)), dtype=cols.dtype)
        for index, tap in enumerate(np.ndindex(*self.kernel)):
            padded[(..., *self.spec.window(tap, blocks))] += by_tap[:, :, index]
        return pad_adjoint(padded, self.spec.padding, "zeros")


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
    window = SlidingBlocks(kernel_size, dilation, padding, stride)
    data = x._data if x.ndim == 4 else x._data[None]
    blocks = window.blocks("unfold", data.shape[2:])
    out = window.columns(data, blocks)

    def backward(g):
        grad = window.image(g.reshape(out.shape), data.shape[2:], blocks)
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
    window = SlidingBlocks(kernel_size, dilation, padding, stride)
    data = cols._data if cols.ndim == 3 else cols._data[None]
    taps = math.prod(window.kernel)
    if data.shape[1] % taps:
        raise ValueError(f"fold expects input's size {data.shape[1]} in dimension "
                         f"{cols.ndim - 2} to be divisible by kernel_size's product "
                         f"{window.kernel[0]} * {window.kernel[1]} = {taps}")
    blocks = window.blocks("fold", size)
    if data.shape[2] != blocks[0] * blocks[1]:
        raise ValueError(f"fold: output_size={size} with {window.arguments} has "
                         f"{blocks[0]} x {blocks[1]} = {blocks[0] * blocks[1]} sliding blocks, "
                         f"but input's last dimension is {data.shape[2]}")
    out = window.image(data, size, blocks)

    def backward(g):
        grad = window.columns(g.reshape(out.shape), blocks)
        return (grad if cols.ndim == 3 else grad[0],)

    return Tensor._from_op(out if cols.ndim == 3 else out[0], (cols,), backward, "Fold")
