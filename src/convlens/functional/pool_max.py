"""Max pooling: ``max_pool1d/2d/3d``.

Each pool is one graph node with its backward beside it. The Python loops run over kernel
taps (K**d of them), never over pixels: every tap meets a strided slice of the padded input
(:meth:`convlens.conv.geometry.ConvSpec.window`), exactly as in the ``direct`` conv engine.
A NaN or inf reaches only the windows that contain it, as in PyTorch.

With numba installed (``convlens[jit]``) and ``convlens.conv.compiled`` enabled, the same
rules run as compiled loops (:mod:`._pool_compiled`); both paths give the same bits, forward
and backward, and tests switch between them with ``compiled.set_enabled``.
"""

from __future__ import annotations

import math

import numpy as np

from ..conv import compiled
from ..conv.geometry import ConvSpec
from ..tensor import Tensor
from . import _pool_common as common


def _tap_dtype(kernel: tuple[int, ...]) -> type:
    """The smallest integer type that holds every tap number and -1 (int8 for K <= 127)."""
    return np.int8 if math.prod(kernel) <= 127 else np.int64


def _argmax_taps(x: np.ndarray, kernel: tuple[int, ...], spec: ConvSpec, nan: bool
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Max over each window and the tap it came from (-1 where a window meets only padding).

    Torch's rule: the first real element of a window starts the search, and a later element
    replaces the maximum only if it is strictly greater or NaN, so ties go to the first.
    ``nan`` says whether ``x`` holds a NaN (without one, that test is skipped).
    """
    in_size = x.shape[2:]
    out_size = spec.output_size(in_size, kernel)
    padded = common.pad_nd(x, spec, -np.inf)
    best = np.full((*x.shape[:2], *out_size), -np.inf, dtype=x.dtype)   # (N, C, *S_out)
    tap = np.full(best.shape, -1, dtype=_tap_dtype(kernel))
    for t, offset in enumerate(np.ndindex(*kernel)):
        value = padded[(..., *spec.window(offset, out_size))]
        take = (value > best) | (tap < 0)
        if nan:
            take |= np.isnan(value)
        if not spec.is_unpadded:
            take &= common.tap_inside(offset, spec, in_size, out_size)
        np.copyto(best, value, where=take)
        np.copyto(tap, t, where=take)
    return best, tap


def _is_tiled(x: np.ndarray, kernel: tuple[int, ...], spec: ConvSpec, nan: bool) -> bool:
    """Windows that tile the input without overlap or padding, on data without NaN."""
    return (spec.stride == kernel and spec.is_unpadded and set(spec.dilation) == {1}
            and all(o * k <= n for o, k, n in
                    zip(spec.output_size(x.shape[2:], kernel), kernel, x.shape[2:]))
            and not nan)


def _has_negative_zero(x: np.ndarray) -> bool:
    """Whether ``x`` holds a -0.0 (its bits are the integer minimum): one cheap pass."""
    bits = x.view(np.int32 if x.dtype.itemsize == 4 else np.int64)
    return bool((bits == np.iinfo(bits.dtype).min).any())


def _tiled_argmax(x: np.ndarray, kernel: tuple[int, ...], spec: ConvSpec,
                  out_size: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``_argmax_taps`` without padding, NaN or -0.0: plain strided views, ties to the first.

    ``np.maximum`` gives the maximum's bits exactly here (equal numbers have equal bits once
    -0.0 is ruled out), and the first tap equal to it is the argmax.
    """
    views = [x[(..., *spec.window(offset, out_size))] for offset in np.ndindex(*kernel)]
    best = np.maximum(views[0], views[-1])
    for value in views[1:-1]:
        np.maximum(best, value, out=best)
    number = _tap_dtype(kernel)
    tap = np.zeros(best.shape, dtype=number) if len(views) == 1 else number(len(views) - 1)
    for t in range(len(views) - 2, -1, -1):      # the outermost select is the first maximum
        tap = np.where(views[t] == best, number(t), tap)   # (faster than copyto's where=)
    return best, tap


def _scatter_taps(grad_output: np.ndarray, tap: np.ndarray, kernel: tuple[int, ...],
                  spec: ConvSpec, in_shape: tuple[int, ...], tiled: bool) -> np.ndarray:
    """The backward of the max: each window's gradient goes to its argmax tap."""
    out_size = grad_output.shape[2:]
    if tiled:  # windows do not overlap: plain assignment, no padding to crop
        covered = tuple(o * k for o, k in zip(out_size, kernel))
        exact = covered == tuple(in_shape[2:])       # then every element is written below
        grad_input = (np.empty if exact else np.zeros)(in_shape, dtype=grad_output.dtype)
        # The gradient where the tap won, else +0.0, as integer bits: bits * True are the
        # bits (NaN and -0.0 included), bits * False is +0.0; one pass per tap, no temporary.
        bits = np.int32 if grad_output.dtype.itemsize == 4 else np.int64
        g_bits, gi_bits = np.ascontiguousarray(grad_output).view(bits), grad_input.view(bits)
        for t, offset in enumerate(np.ndindex(*kernel)):
            np.multiply(g_bits, tap == t, out=gi_bits[(..., *spec.window(offset, out_size))])
        return grad_input
    grad_padded = np.zeros((*in_shape[:2], *spec.padded_size(in_shape[2:])),
                           dtype=grad_output.dtype)
    for t, offset in enumerate(np.ndindex(*kernel)):
        grad_padded[(..., *spec.window(offset, out_size))] += np.where(tap == t, grad_output, 0)
    return common.crop(grad_padded, spec)


def _flat_indices(tap: np.ndarray, kernel: tuple[int, ...], spec: ConvSpec,
                  in_size: tuple[int, ...]) -> np.ndarray:
    """Torch's ``return_indices``: the argmax as a flat index into each spatial plane.

    A window of only padding (possible with dilation) gets -1; torch reports an index past
    the input there.
    """
    offsets = np.unravel_index(np.maximum(tap, 0), kernel)
    flat = np.zeros(tap.shape, dtype=np.int64)
    for axis, (d, s, (lo, _), n) in enumerate(zip(spec.dilation, spec.stride, spec.padding,
                                                in_size)):
        shape = [1] * tap.ndim
        shape[2 + axis] = tap.shape[2 + axis]
        start = (np.arange(tap.shape[2 + axis]) * s - lo).reshape(shape)
        flat = flat * n + start + offsets[axis] * d
    return np.where(tap < 0, -1, flat)  # a window that meets only padding has no argmax


def _numpy_argmax(x: np.ndarray, kernel: tuple[int, ...], spec: ConvSpec, nan: bool,
                  tiled: bool) -> tuple[np.ndarray, np.ndarray]:
    """The NumPy path's max and argmax tap; plain strided views where the windows tile."""
    if tiled and not _has_negative_zero(x):
        return _tiled_argmax(x, kernel, spec, spec.output_size(x.shape[2:], kernel))
    return _argmax_taps(x, kernel, spec, nan)


def max_pool_nd(op: str, nd: int, input, kernel_size, stride=None, padding=0,  # noqa: A002
                dilation=1, ceil_mode: bool = False, return_indices: bool = False):
    """The shared body of max_pool1d/2d/3d; see :func:`max_pool2d`."""
    x, unbatched = common.pool_input(op, nd, input)
    kernel, stride, pairs, dilation = common.window_args(op, nd, kernel_size, stride, padding,
                                                         dilation)
    spec = common.window_spec(op, x.shape, kernel, stride, pairs, dilation, bool(ceil_mode),
                              x.dtype.itemsize)
    data = x._data
    nan = bool(np.isnan(data).any())
    tiled = _is_tiled(data, kernel, spec, nan)
    kernels = compiled.optional("convlens.functional._pool_compiled")  # or the NumPy path
    if kernels is not None:
        out, index = kernels.max_pool(data, kernel, spec.stride, spec.dilation, spec.padding,
                                      spec.output_size(x.shape[2:], kernel), nan)

        def backward(grad_output):
            return (kernels.scatter(grad_output, index, x.shape, tiled),)
    else:
        out, tap = _numpy_argmax(data, kernel, spec, nan, tiled)

        def backward(grad_output):
            return (_scatter_taps(grad_output, tap, kernel, spec, x.shape, tiled),)

    y = common.unbatch(Tensor._from_op(out, (x,), backward, f"MaxPool{nd}d"), unbatched)
    if not return_indices:
        return y
    if kernels is not None:
        indices = index.astype(np.int64)   # a copy (the backward keeps ``index``), as torch's
    else:
        indices = _flat_indices(tap, kernel, spec, x.shape[2:])
    return y, Tensor(indices[0] if unbatched else indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
               ceil_mode: bool = False, return_indices: bool = False):
    """1-D max pooling over an (N, C, L) or (C, L) input; see :func:`max_pool2d`.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.max_pool1d(cl.tensor([[[1.0, 3.0, 2.0, 5.0, 4.0]]]), 2).numpy().tolist()
    [[[3.0, 5.0]]]
    """
    return max_pool_nd("max_pool1d", 1, input, kernel_size, stride, padding, dilation,
                       ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
               ceil_mode: bool = False, return_indices: bool = False):
    """2-D max pooling, as ``torch.nn.functional.max_pool2d``.

    Parameters
    ----------
    input : Tensor
        (N, C, H, W) or unbatched (C, H, W); float32 or float64.
    kernel_size : int or tuple of 2 ints
        A 1-tuple is used for both dims, as in torch (likewise for the arguments below).
    stride : int or tuple of 2 ints, optional
        Defaults to ``kernel_size``.
    padding : int, tuple of 2 ints, or 2 (low, high) pairs, default 0
        Implicit -inf on each side; at most ``kernel_size // 2``. Per-side pairs such as
        ``((0, 1), (1, 0))`` are a convlens addition (torch has no such form).
    dilation : int or tuple of 2 ints, default 1
        Spacing between kernel taps (1 means none).
    ceil_mode : bool, default False
        Round the output size up, keeping a last window that starts inside the input or
        its low padding.
    return_indices : bool, default False
        Also return the argmax of each window as a flat index into the (H, W) plane.

    Returns
    -------
    Tensor or (Tensor, Tensor)
        (N, C, H_out, W_out) with
        ``H_out = floor((H + pad_lo + pad_hi - dilation[0] * (kernel_size[0] - 1) - 1)
        / stride[0]) + 1`` (``ceil`` with ``ceil_mode``), likewise W_out; and the int64
        indices of the same shape when ``return_indices``.

    Raises
    ------
    TypeError
        Non-float input or malformed arguments.
    ValueError
        Wrong rank, a zero-sized channel or spatial dim, non-positive kernel_size, stride or
        dilation, padding negative or above half the kernel, an empty output, or sizes
        beyond ``MAX_BYTES``, ``MAX_TAPS`` or ``MAX_WORK`` (see :mod:`.pool`).

    Notes
    -----
    The gradient goes to the maximum of each window; on ties, to the first one met in
    row-major window order, as in PyTorch. A NaN is the maximum of every window holding it
    (the last NaN wins). Pooling makes the output nearly invariant to shifts of the input
    by a pixel or two.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> x = cl.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> F.max_pool2d(x, 2).numpy().tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    >>> F.max_pool2d(x, 3, stride=2).shape, F.max_pool2d(x, 3, stride=2, ceil_mode=True).shape
    ((1, 1, 1, 1), (1, 1, 2, 2))
    """
    return max_pool_nd("max_pool2d", 2, input, kernel_size, stride, padding, dilation,
                       ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
               ceil_mode: bool = False, return_indices: bool = False):
    """3-D max pooling over an (N, C, D, H, W) or (C, D, H, W) input; see :func:`max_pool2d`.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> F.max_pool3d(cl.tensor(np.arange(8.0).reshape(1, 1, 2, 2, 2)), 2).numpy().ravel().tolist()
    [7.0]
    """
    return max_pool_nd("max_pool3d", 3, input, kernel_size, stride, padding, dilation,
                       ceil_mode, return_indices)
