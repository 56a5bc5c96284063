"""``conv1d``, ``conv2d`` and ``conv3d``: one N-d convolution op with its backward.

These are *cross-correlations*, as in every NN library: the filter is not flipped. For true
convolution see :func:`convlens.signal.convolve`.
"""

from __future__ import annotations

import contextlib
import functools
import math

import numpy as np

from .. import _validate
from ..autograd import is_grad_enabled
from ..conv import _threads, compiled, geometry
from ..conv.choose import choose, runner, uses_blas
from ..conv.context import ConvContext
from ..conv.padding import PADDING_MODES
from ..tensor import Tensor
from .conv_args import check_conv_inputs
from .padding import pad_pairs


def conv_nd(op: str, nd: int, input, weight, bias=None, stride=1, padding=0, dilation=1,
            groups=1, padding_mode: str = "zeros", algorithm: str = "auto") -> Tensor:
    """The shared body of conv1d/2d/3d; see :func:`conv2d` for the parameters."""
    x, weight, bias = check_conv_inputs(op, nd, input, weight, bias)
    _validate.one_of(padding_mode, PADDING_MODES, "padding_mode")
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x.reshape((1, *x.shape))
    spec = _checked_spec(op, x, weight, stride, padding, dilation, groups)
    if padding_mode != "zeros" and not spec.is_unpadded:
        x = pad_pairs(x, spec.padding, padding_mode)
        spec = geometry.ConvSpec(spec.stride, ((0, 0),) * nd, spec.dilation, spec.groups)
    training = is_grad_enabled() and (x.requires_grad or weight.requires_grad)
    # The weight tensor keys the FFT engine's filter-spectrum cache (hits checked by value).
    ctx = ConvContext(weight=weight, version=weight.version, save=training)
    name = choose(x.shape, weight.shape, spec, algorithm, dtype=x.dtype,
                  requires_grad=training, ctx=ctx, input_grad=x.requires_grad)
    # multiply-adds of one pass: small convolutions run on one thread (see conv._threads)
    work = x.shape[0] * math.prod(weight.shape) * math.prod(
        spec.output_size(x.shape[2:], weight.shape[2:]))
    threads = _one_thread_if_small(name, work, weight.shape, spec)
    with threads():
        out = _forward(name, x._data, weight._data, spec, ctx)
    if bias is not None:
        add_channel_bias(out, bias._data)
    inputs = (x, weight) if bias is None else (x, weight, bias)

    @np.errstate(invalid="ignore", over="ignore")
    def backward(grad_output):
        grad_output = np.ascontiguousarray(grad_output)
        empty = grad_output.size == 0 or x._data.size == 0
        with threads():
            return _backward(grad_output, empty)

    def _backward(grad_output, empty):
        grad_input = grad_weight = None
        if x.requires_grad:
            grad_input = np.zeros(x.shape, x.dtype) if empty else runner(
                name, "grad_input", grad_output, weight._data)(
                grad_output, weight._data, x.shape, spec, ctx=ctx)
        if weight.requires_grad:
            grad_weight = np.zeros(weight.shape, x.dtype) if empty else runner(
                name, "grad_weight", grad_output, x._data)(
                grad_output, x._data, weight.shape, spec, ctx=ctx)
        if bias is None:
            return grad_input, grad_weight
        return grad_input, grad_weight, channel_sums(grad_output)

    y = Tensor._from_op(out, inputs, backward, f"Conv{nd}d")
    return y.reshape(y.shape[1:]) if unbatched else y


def add_channel_bias(out: np.ndarray, bias: np.ndarray) -> None:
    """out (N, C, *S) += bias (C,) per channel, in place: one compiled pass where numba is
    there and ``out`` is C-contiguous, else NumPy's broadcast add (the same numbers)."""
    loops = compiled.optional("convlens.functional._bias_compiled")
    if loops is not None and out.flags.c_contiguous and out.dtype == bias.dtype:
        loops.add_channel_bias(out.reshape(*out.shape[:2], math.prod(out.shape[2:])), bias)
    else:
        out += bias.reshape(-1, *(1,) * (out.ndim - 2))


def channel_sums(grad_output: np.ndarray) -> np.ndarray:
    """A bias's gradient: ``grad_output`` (N, C, *S) summed over every axis but C.

    One BLAS matrix-vector product against ones per sample, then a sum over samples: 2-4 times
    faster than ``sum(axis=(0, 2, ...))``, which NumPy reduces element by element over the
    non-contiguous axes, and as accurate (BLAS keeps partial sums in vector lanes).
    """
    rows = grad_output.reshape(*grad_output.shape[:2], math.prod(grad_output.shape[2:]))
    return (rows @ np.ones(rows.shape[2], dtype=rows.dtype)).sum(axis=0)


def _one_thread_if_small(name: str, work: int, w_shape: tuple[int, ...],
                         spec: geometry.ConvSpec):
    """The context a pass runs in: ``for_work``'s thread limit, or nothing for an engine path
    that calls no BLAS and splits its own work (setting the BLAS thread count twice costs
    about 10 microseconds, a noticeable part of a small layer's call)."""
    if uses_blas(name, w_shape, spec):
        return functools.partial(_threads.for_work, work)
    return contextlib.nullcontext


_SPECS: dict[tuple, geometry.ConvSpec] = {}     # validated arguments -> their ConvSpec
_SPECS_KEPT = 4096


def _typed(value):
    """A hashable key that tells ``1`` from ``True`` and ``(1, 1)`` from ``[1, 1]``."""
    if isinstance(value, (tuple, list)):
        return type(value), tuple(_typed(v) for v in value)
    return type(value), value


def _checked_spec(op: str, x: Tensor, weight: Tensor, stride, padding, dilation,
                  groups) -> geometry.ConvSpec:
    """``geometry.conv_spec`` plus the size checks, remembered per shapes and arguments.

    A training loop calls each layer with the same arguments every step; only arguments that
    passed every check are remembered, so a bad call is checked (and refused) every time.
    """
    try:
        key = (op, x.shape, weight.shape, x.dtype.itemsize, _typed(stride), _typed(padding),
               _typed(dilation), _typed(groups))
        spec = _SPECS.get(key)
    except TypeError:                   # an unhashable argument: check it every time
        key, spec = None, None
    if spec is None:
        spec = geometry.conv_spec(op, x.shape, weight.shape, stride, padding, dilation, groups)
        _check_sizes(op, x, weight, spec, padding, dilation)
        if key is not None:
            if len(_SPECS) >= _SPECS_KEPT:
                _SPECS.clear()
            _SPECS[key] = spec
    return spec


def _check_sizes(op: str, x: Tensor, weight: Tensor, spec: geometry.ConvSpec, padding,
                 dilation) -> None:
    """Refuse padded inputs and outputs that cannot fit in memory before any work."""
    argument = f"padding={padding!r}"
    if isinstance(padding, str):
        argument += f" with dilation={dilation!r}"
    in_size = tuple(x.shape[2:])
    geometry.check_allocation(op, "the padded input", (*x.shape[:2], *spec.padded_size(in_size)),
                              x.dtype.itemsize, argument)
    out_size = spec.output_size(in_size, tuple(weight.shape[2:]))
    geometry.check_allocation(op, "the output", (x.shape[0], weight.shape[0], *out_size),
                              x.dtype.itemsize, argument)


def _forward(name: str, x: np.ndarray, w: np.ndarray, spec: geometry.ConvSpec,
             ctx: ConvContext) -> np.ndarray:
    """The engine's forward (its local fallback where x or w holds NaN/inf), or zeros of the
    right shape when there is nothing to compute."""
    out_size = spec.output_size(x.shape[2:], w.shape[2:])
    if x.size == 0 or w.size == 0:
        return np.zeros((x.shape[0], w.shape[0], *out_size), dtype=x.dtype)
    with np.errstate(invalid="ignore", over="ignore"):  # inf*0 = NaN is expected, as in torch
        return runner(name, "forward", x, w)(x, w, spec, ctx=ctx)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,  # noqa: A002
           padding_mode: str = "zeros", algorithm: str = "auto") -> Tensor:
    """1-D convolution (cross-correlation) over an (N, C, L) input; see :func:`conv2d`.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> x = cl.tensor([[[1.0, 2.0, 3.0, 4.0]]])
    >>> F.conv1d(x, cl.tensor([[[1.0, 0.0, -1.0]]])).numpy().tolist()
    [[[-2.0, -2.0]]]
    """
    return conv_nd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups,
                   padding_mode, algorithm)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,  # noqa: A002
           padding_mode: str = "zeros", algorithm: str = "auto") -> Tensor:
    """2-D convolution (cross-correlation), as ``torch.nn.functional.conv2d``.

    Each of the ``out_channels`` filters spans the full depth of its input group, slides over
    the padded input and takes a dot product at every position; the resulting activation maps
    are stacked along the channel axis.

    Parameters
    ----------
    input : Tensor
        (N, C_in, H, W), or (C_in, H, W) unbatched; float32 or float64.
    weight : Tensor
        (C_out, C_in / groups, kH, kW), same dtype as ``input``.
    bias : Tensor, optional
        (C_out,).
    stride, dilation : int or tuple of 2 ints, default 1
        Must be positive. ``dilation=1`` means no dilation.
    padding : int, tuple of 2 ints, ((top, bottom), (left, right)), or str, default 0
        ``"valid"`` (no padding), ``"full"`` (``dilation * (k - 1)`` on both sides) or
        ``"same"``. ``"same"`` follows ONNX/TensorFlow SAME_UPPER: the output has
        ``ceil(in / stride)`` pixels, and when the total padding is odd the extra pixel goes at
        the end (bottom/right). For stride 1 this is PyTorch's ``padding="same"``, which
        PyTorch does not allow with stride > 1.
    groups : int, default 1
        Split channels into groups; ``groups == C_in`` is a depthwise convolution.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}, default "zeros"
        How the padding is filled (as in ``torch.nn.Conv2d``).
    algorithm : {"auto", "direct", "gemm", "winograd", "fft", "compiled"}, default "auto"
        Which engine computes it. ``"auto"`` lets :func:`convlens.conv.choose` pick the one
        with the lowest estimated cost (see :func:`convlens.conv.explain`); forcing an engine
        that cannot compute this convolution (``"winograd"`` needs a 3x3 kernel, stride 1
        and dilation 1) raises ``ValueError``.

    Returns
    -------
    Tensor
        (N, C_out, H_out, W_out) with
        ``H_out = floor((H + pad_top + pad_bottom - dilation[0] * (kH - 1) - 1) / stride[0]) + 1``
        and likewise for W_out. An empty batch (N = 0) gives an empty output of that shape.

    Raises
    ------
    TypeError
        Non-tensor or non-float input/weight, mismatched dtypes, or malformed arguments.
    ValueError
        Wrong rank, channel mismatch, channels not divisible by ``groups``, non-positive
        stride or dilation, negative padding, unknown padding or padding mode, a dilated
        kernel larger than the padded input, an unknown ``algorithm``, or one that does not
        support this convolution.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> x = cl.tensor(np.ones((1, 3, 5, 5), np.float32))
    >>> w = cl.tensor(np.ones((2, 3, 3, 3), np.float32))
    >>> F.conv2d(x, w, padding=1).shape
    (1, 2, 5, 5)
    >>> float(F.conv2d(x, w)[0, 0, 0, 0])
    27.0
    """
    return conv_nd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups,
                   padding_mode, algorithm)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,  # noqa: A002
           padding_mode: str = "zeros", algorithm: str = "auto") -> Tensor:
    """3-D convolution (cross-correlation) over an (N, C, D, H, W) input; see :func:`conv2d`."""
    return conv_nd("conv3d", 3, input, weight, bias, stride, padding, dilation, groups,
                   padding_mode, algorithm)
