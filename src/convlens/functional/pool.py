"""Pooling: ``max_pool1d/2d``, ``avg_pool1d/2d`` and ``adaptive_avg_pool1d/2d``.

Each pool is one graph node with its backward beside it. The Python loops run over kernel
taps (K**d of them), never over pixels: every tap meets a strided slice of the padded input
(:meth:`convlens.conv.geometry.ConvSpec.window`), exactly as in the ``direct`` conv engine.
Window geometry follows PyTorch, including ``ceil_mode`` and its divisor rules.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _validate
from ..conv import geometry
from ..conv.geometry import ConvSpec
from ..tensor import Tensor

_LAYOUTS = {1: ("(C, L)", "(N, C, L)"), 2: ("(C, H, W)", "(N, C, H, W)")}


def _pool_input(op: str, nd: int, input) -> tuple[Tensor, bool]:  # noqa: A002
    """Check dtype and rank; return the batched input and whether it came unbatched."""
    x = _validate.float_tensor(input, "input", op)
    single, batched = _LAYOUTS[nd]
    _validate.rank(x.shape, {nd + 1: single, nd + 2: batched}, "input", op)
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x.reshape((1, *x.shape))
    _validate.nonempty_features(x.shape, op)
    return x, unbatched


def _window_spec(op: str, nd: int, x: Tensor, kernel_size, stride, padding, dilation,
                 ceil_mode) -> tuple[tuple[int, ...], ConvSpec]:
    """Validate the window arguments (torch's rules) and return the kernel and the windows."""
    kernel = _validate.int_tuple(kernel_size, nd, "kernel_size")
    no_stride = stride is None or (isinstance(stride, Sequence) and len(stride) == 0)
    stride = kernel if no_stride else _validate.int_tuple(stride, nd, "stride")
    padding = _validate.int_tuple(padding, nd, "padding", minimum=0)
    dilation = _validate.int_tuple(dilation, nd, "dilation")
    _validate.pool_padding(padding, kernel, op)
    spec = geometry.pool_spec(x.shape[2:], kernel, stride, padding, dilation, bool(ceil_mode))
    _validate.output_not_empty(op, x.shape, spec.output_size(x.shape[2:], kernel))
    return kernel, spec


def _pad_nd(x: np.ndarray, spec: ConvSpec, value: float) -> np.ndarray:
    if spec.is_unpadded:  # the common case: skip np.pad's copy
        return x
    return np.pad(x, [(0, 0), (0, 0), *spec.padding], constant_values=value)


def _crop(padded: np.ndarray, spec: ConvSpec) -> np.ndarray:
    """Drop the padding again: the adjoint of ``_pad_nd``."""
    return padded[(..., *(slice(lo, n - hi) for (lo, hi), n in
                          zip(spec.padding, padded.shape[2:])))]


def _tap_inside(offset: tuple[int, ...], spec: ConvSpec, in_size: tuple[int, ...],
                out_size: tuple[int, ...]) -> np.ndarray:
    """Which output windows see a real input element (not padding) at kernel tap ``offset``."""
    inside = np.ones((1,) * len(out_size), dtype=bool)
    for axis, (o, d, s, (lo, _), n, m) in enumerate(
            zip(offset, spec.dilation, spec.stride, spec.padding, in_size, out_size)):
        index = np.arange(m) * s + o * d - lo
        shape = [1] * len(out_size)
        shape[axis] = m
        inside = inside & ((index >= 0) & (index < n)).reshape(shape)
    return inside


# -- max pooling ---------------------------------------------------------------------------
def _argmax_taps(x: np.ndarray, kernel: tuple[int, ...], spec: ConvSpec
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Max over each window and the tap it came from (-1 where a window meets only padding).

    Torch's rule: the first real element of a window starts the search, and a later element
    replaces the maximum only if it is strictly greater or NaN, so ties go to the first.
    """
    in_size = x.shape[2:]
    out_size = spec.output_size(in_size, kernel)
    padded = _pad_nd(x, spec, -np.inf)
    best = np.full((*x.shape[:2], *out_size), -np.inf, dtype=x.dtype)   # (N, C, *S_out)
    tap = np.full(best.shape, -1, dtype=np.int64)
    for t, offset in enumerate(np.ndindex(*kernel)):
        value = padded[(..., *spec.window(offset, out_size))]
        take = _tap_inside(offset, spec, in_size, out_size) & (
            (value > best) | np.isnan(value) | (tap < 0))
        np.copyto(best, value, where=take)
        np.copyto(tap, t, where=take)
    return best, tap


def _is_tiled(x: np.ndarray, kernel: tuple[int, ...], spec: ConvSpec) -> bool:
    """Windows that tile the input without overlap or padding, on data without NaN."""
    return (spec.stride == kernel and spec.is_unpadded and set(spec.dilation) == {1}
            and all(o * k <= n for o, k, n in
                    zip(spec.output_size(x.shape[2:], kernel), kernel, x.shape[2:]))
            and not np.isnan(x).any())


def _tiled_argmax(x: np.ndarray, kernel: tuple[int, ...], spec: ConvSpec,
                  out_size: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``_argmax_taps`` without padding or NaN: plain strided views, ties to the first tap."""
    taps = list(np.ndindex(*kernel))
    best = x[(..., *spec.window(taps[0], out_size))].copy()
    tap = np.zeros(best.shape, dtype=np.int64)
    for t, offset in enumerate(taps[1:], start=1):
        value = x[(..., *spec.window(offset, out_size))]
        take = value > best
        np.copyto(best, value, where=take)
        tap[take] = t
    return best, tap


def _tiled_scatter(grad_output: np.ndarray, tap: np.ndarray, kernel: tuple[int, ...],
                   spec: ConvSpec, in_shape: tuple[int, ...]) -> np.ndarray:
    """The backward of ``_tiled_argmax``: each window's gradient goes to its argmax tap."""
    grad_input = np.zeros(in_shape, dtype=grad_output.dtype)
    for t, offset in enumerate(np.ndindex(*kernel)):
        grad_input[(..., *spec.window(offset, grad_output.shape[2:]))] = np.where(
            tap == t, grad_output, 0)
    return grad_input


def _flat_indices(tap: np.ndarray, kernel: tuple[int, ...], spec: ConvSpec,
                  in_size: tuple[int, ...]) -> np.ndarray:
    """Torch's ``return_indices``: the argmax as a flat index into each (H, W) or (L,) plane.

    A window of only padding (possible with dilation) gets -1; torch reports an index past
    the input there.
    """
    offsets = np.array(list(np.ndindex(*kernel)), dtype=np.int64)[np.maximum(tap, 0)]
    flat = np.zeros(tap.shape, dtype=np.int64)
    for axis, (d, s, (lo, _), n) in enumerate(zip(spec.dilation, spec.stride, spec.padding,
                                                in_size)):
        shape = [1] * tap.ndim
        shape[2 + axis] = tap.shape[2 + axis]
        start = (np.arange(tap.shape[2 + axis]) * s - lo).reshape(shape)
        flat = flat * n + start + offsets[..., axis] * d
    return np.where(tap < 0, -1, flat)  # a window that meets only padding has no argmax


def max_pool_nd(op: str, nd: int, input, kernel_size, stride=None, padding=0,  # noqa: A002
                dilation=1, ceil_mode: bool = False, return_indices: bool = False):
    """The shared body of max_pool1d/2d; see :func:`max_pool2d`."""
    x, unbatched = _pool_input(op, nd, input)
    kernel, spec = _window_spec(op, nd, x, kernel_size, stride, padding, dilation, ceil_mode)
    tiled = _is_tiled(x._data, kernel, spec)
    if tiled:  # the common 2x2 stride-2 case, without the padding and NaN bookkeeping
        out, tap = _tiled_argmax(x._data, kernel, spec, spec.output_size(x.shape[2:], kernel))
    else:
        out, tap = _argmax_taps(x._data, kernel, spec)
    out_size = out.shape[2:]

    def backward(grad_output):
        if tiled:
            return (_tiled_scatter(grad_output, tap, kernel, spec, x.shape),)
        grad_padded = np.zeros((*x.shape[:2], *spec.padded_size(x.shape[2:])),
                               dtype=grad_output.dtype)
        for t, offset in enumerate(np.ndindex(*kernel)):
            grad_padded[(..., *spec.window(offset, out_size))] += np.where(
                tap == t, grad_output, 0)
        return (_crop(grad_padded, spec),)

    y = Tensor._from_op(out, (x,), backward, f"MaxPool{nd}d")
    if unbatched:
        y = y.reshape(y.shape[1:])
    if not return_indices:
        return y
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
    stride : int or tuple of 2 ints, optional
        Defaults to ``kernel_size``.
    padding : int or tuple of 2 ints, default 0
        Implicit -inf on both sides; at most ``kernel_size // 2``.
    dilation : int or tuple of 2 ints, default 1
        Spacing between kernel taps (1 means none).
    ceil_mode : bool, default False
        Round the output size up, keeping a last window that starts inside the input or
        its left padding.
    return_indices : bool, default False
        Also return the argmax of each window as a flat index into the (H, W) plane.

    Returns
    -------
    Tensor or (Tensor, Tensor)
        (N, C, H_out, W_out) with
        ``H_out = floor((H + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1)
        / stride[0]) + 1`` (``ceil`` with ``ceil_mode``), likewise W_out; and the int64
        indices of the same shape when ``return_indices``.

    Raises
    ------
    TypeError
        Non-float input or malformed arguments.
    ValueError
        Wrong rank, a zero-sized channel or spatial dim, non-positive kernel_size, stride or
        dilation, padding negative or above half the kernel, or an empty output.

    Notes
    -----
    The gradient goes to the maximum of each window; on ties, to the first one met in
    row-major window order, as in PyTorch. Pooling makes the output nearly invariant to
    shifts of the input by a pixel or two.

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


# -- average pooling -----------------------------------------------------------------------
def _divisor(spec: ConvSpec, kernel: tuple[int, ...], in_size: tuple[int, ...],
             count_include_pad: bool, divisor_override: int | None, dtype) -> np.ndarray:
    """Torch's divisor per output window, broadcastable against (N, C, *S_out).

    A window is clipped to the padded input (so ceil-mode overhang never counts); with
    ``count_include_pad=False`` it is clipped to the input itself.
    """
    out_size = spec.output_size(in_size, kernel)
    if divisor_override is not None:
        return np.asarray(divisor_override, dtype=dtype)
    divisor = np.ones((1,) * len(out_size), dtype=dtype)
    for axis, (k, s, (lo, _), n, m) in enumerate(
            zip(kernel, spec.stride, spec.padding, in_size, out_size)):
        start = np.arange(m) * s - lo
        end = np.minimum(start + k, n + lo)
        count = end - start if count_include_pad else (
            np.minimum(end, n) - np.maximum(start, 0))
        shape = [1] * len(out_size)
        shape[axis] = m
        divisor = divisor * count.reshape(shape).astype(dtype)
    return divisor


def avg_pool_nd(op: str, nd: int, input, kernel_size, stride=None, padding=0,  # noqa: A002
                ceil_mode: bool = False, count_include_pad: bool = True,
                divisor_override: int | None = None) -> Tensor:
    """The shared body of avg_pool1d/2d; see :func:`avg_pool2d`."""
    x, unbatched = _pool_input(op, nd, input)
    kernel, spec = _window_spec(op, nd, x, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None:
        divisor_override = _validate.nonzero_int(divisor_override, "divisor_override")
    divisor = _divisor(spec, kernel, x.shape[2:], bool(count_include_pad), divisor_override,
                       x.dtype)
    out_size = spec.output_size(x.shape[2:], kernel)
    padded = _pad_nd(x._data, spec, 0.0)
    total = np.zeros((*x.shape[:2], *out_size), dtype=x.dtype)           # (N, C, *S_out)
    for offset in np.ndindex(*kernel):
        total += padded[(..., *spec.window(offset, out_size))]

    def backward(grad_output):
        share = grad_output / divisor
        grad_padded = np.zeros(padded.shape, dtype=share.dtype)
        for offset in np.ndindex(*kernel):
            grad_padded[(..., *spec.window(offset, out_size))] += share
        return (_crop(grad_padded, spec),)

    y = Tensor._from_op(total / divisor, (x,), backward, f"AvgPool{nd}d")
    return y.reshape(y.shape[1:]) if unbatched else y


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
    stride : int or tuple of 2 ints, optional
        Defaults to ``kernel_size``.
    padding : int or tuple of 2 ints, default 0
        Implicit zeros on both sides; at most ``kernel_size // 2``.
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
    running past the right padding counts only up to it); else the number of real input
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


# -- adaptive average pooling --------------------------------------------------------------
def _bin_matrix(in_size: int, out_size: int, dtype) -> np.ndarray:
    """(out, in) averaging matrix: bin i covers [floor(i*in/out), ceil((i+1)*in/out))."""
    i = np.arange(out_size)
    start = i * in_size // out_size
    end = -(-(i + 1) * in_size // out_size)
    j = np.arange(in_size)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _apply_bins(x: np.ndarray, matrices: Sequence[np.ndarray]) -> np.ndarray:
    """Multiply spatial axis ``2 + i`` of ``x`` by ``matrices[i]`` (bins are separable)."""
    for axis, matrix in enumerate(matrices):
        moved = np.moveaxis(x, 2 + axis, -1) @ matrix.T
        x = np.moveaxis(moved, -1, 2 + axis)
    return x


def adaptive_avg_pool_nd(op: str, nd: int, input, output_size) -> Tensor:  # noqa: A002
    """The shared body of adaptive_avg_pool1d/2d; see :func:`adaptive_avg_pool2d`."""
    x, unbatched = _pool_input(op, nd, input)
    in_size = x.shape[2:]
    out_size = _validate.optional_sizes(output_size, nd, "output_size", in_size)
    bins = [_bin_matrix(n, m, x.dtype) for n, m in zip(in_size, out_size)]
    out = _apply_bins(x._data, bins)

    def backward(grad_output):
        return (_apply_bins(grad_output, [b.T for b in bins]),)

    y = Tensor._from_op(out, (x,), backward, f"AdaptiveAvgPool{nd}d")
    return y.reshape(y.shape[1:]) if unbatched else y


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
        Wrong rank, a zero-sized channel or spatial dim, or a negative ``output_size``.

    Notes
    -----
    Output bin ``i`` along a dimension of size ``n`` averages input elements
    ``floor(i * n / out) <= j < ceil((i + 1) * n / out)``: bins may overlap by one element
    when ``out`` does not divide ``n``, as in PyTorch.

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
