"""``max_unpool1d/2d``: the partial inverse of max pooling.

Each input value goes back to the place its ``indices`` entry names (the flat index into each
output plane that ``max_pool*d(..., return_indices=True)`` returned); every other output is 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import _validate
from ..tensor import Tensor
from . import _pool_common as common


def _unpool_size(nd: int, in_size: tuple[int, ...], kernel, stride, padding,
                 output_size) -> tuple[int, ...]:
    """Torch's output size: ``(in - 1) * stride - 2 * padding + kernel_size``, or a given
    ``output_size`` (with or without the N and C dims) within ``stride`` of that."""
    default = tuple((n - 1) * s + k - 2 * p for n, k, s, p in zip(in_size, kernel, stride,
                                                                    padding))
    if output_size is None:
        size = default
    else:
        if isinstance(output_size, Sequence) and len(output_size) == nd + 2:
            output_size = tuple(output_size)[2:]
        size = _validate.int_tuple(output_size, nd, "output_size", minimum=0)
        for d, (m, s, want) in enumerate(zip(default, stride, size)):
            if not m - s < want < m + s:
                raise ValueError(f"output_size (={tuple(size)}) is invalid: dim {d} must be "
                                 f"between {m - s} and {m + s}, exclusive")
    if any(m < 0 for m in size):
        raise ValueError(f"max_unpool: the output size {size} is negative; use a smaller "
                         f"padding or a larger kernel_size or stride")
    return size


def max_unpool_nd(op: str, nd: int, input, indices, kernel_size, stride=None,  # noqa: A002
                  padding=0, output_size=None) -> Tensor:
    """The shared body of max_unpool1d/2d; see :func:`max_unpool2d`."""
    x, unbatched = common.pool_input(op, nd, input)
    idx = _validate.as_tensor(indices, "indices", op)._data
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op} expects integer indices; got dtype {idx.dtype}")
    if idx.shape != input.shape:
        raise ValueError(f"{op} expects indices of the input's shape {tuple(input.shape)}; "
                         f"got {idx.shape}")
    kernel = common.window_tuple(kernel_size, nd, "kernel_size")
    no_stride = stride is None or (isinstance(stride, Sequence) and len(stride) == 0)
    stride = kernel if no_stride else common.window_tuple(stride, nd, "stride")
    padding = common.window_tuple(padding, nd, "padding", minimum=0)
    size = _unpool_size(nd, x.shape[2:], kernel, stride, padding, output_size)
    common.check_bytes(op, "output_size", size, x.shape[:2], x.dtype.itemsize, output_size)
    plane = math.prod(size)
    flat = idx.reshape(x.shape[0], x.shape[1], -1).astype(np.int64)      # (N, C, L_in)
    bad = (flat < 0) | (flat >= plane)
    if bad.any():
        raise ValueError(f"{op}: indices must lie in [0, {plane}) for an output of spatial "
                         f"size {size}; got {int(flat[bad][0])}")
    rows = np.arange(x.shape[0] * x.shape[1]).reshape(x.shape[0], x.shape[1], 1) * plane
    where = (rows + flat).ravel()
    out = np.zeros(x.shape[0] * x.shape[1] * plane, dtype=x.dtype)
    out[where] = x._data.ravel()   # repeated indices: the last one written stays, as in torch

    def backward(grad_output):
        return (grad_output.reshape(-1)[where].reshape(x.shape),)

    y = Tensor._from_op(out.reshape(*x.shape[:2], *size), (x,), backward, f"MaxUnpool{nd}d")
    return common.unbatch(y, unbatched)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0,  # noqa: A002
                 output_size=None) -> Tensor:
    """Partial inverse of :func:`max_pool1d`, as ``torch.nn.functional.max_unpool1d``.

    See :func:`max_unpool2d`.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> y, i = F.max_pool1d(cl.tensor([[[1.0, 3.0, 4.0, 2.0]]]), 2, return_indices=True)
    >>> F.max_unpool1d(y, i, 2).numpy().tolist()
    [[[0.0, 3.0, 4.0, 0.0]]]
    """
    return max_unpool_nd("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                         output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0,  # noqa: A002
                 output_size=None) -> Tensor:
    """Partial inverse of :func:`max_pool2d`, as ``torch.nn.functional.max_unpool2d``.

    Parameters
    ----------
    input : Tensor
        (N, C, H, W) or unbatched (C, H, W); float32 or float64.
    indices : Tensor
        Integer tensor of ``input``'s shape: flat indices into each output (H_out, W_out)
        plane, as returned by ``max_pool2d(..., return_indices=True)``.
    kernel_size, stride, padding : int or tuple of 2 ints
        The arguments of the max pool being inverted; ``stride`` defaults to ``kernel_size``.
    output_size : tuple of 2 (or 4) ints, optional
        The output's spatial size, to resolve the sizes that max pooling maps together;
        each must lie strictly within ``stride`` of the default.

    Returns
    -------
    Tensor
        (N, C, H_out, W_out), by default
        ``H_out = (H - 1) * stride[0] - 2 * padding[0] + kernel_size[0]``; zero except at
        ``indices``. The gradient of each input is the output gradient at its index.

    Raises
    ------
    ValueError
        An index outside the output plane, indices of another shape, an ``output_size`` too
        far from the default, or an output beyond ``MAX_BYTES``.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> y, i = F.max_pool2d(cl.tensor(np.arange(16.0).reshape(1, 1, 4, 4)), 2,
    ...                     return_indices=True)
    >>> F.max_unpool2d(y, i, 2).numpy()[0, 0].tolist()[1]
    [0.0, 5.0, 0.0, 7.0]
    """
    return max_unpool_nd("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                         output_size)
