"""``conv_transpose1d/2d/3d``: transposed convolution, one N-d op with its backward.

A transposed convolution is the gradient of a convolution with respect to its input, so it
runs on the engines' ``grad_input`` (see :mod:`convlens.conv.transposed`); its backward is
the convolution's ``forward`` and ``grad_weight``. Engine choice goes through
:func:`convlens.conv.choose`, FFT for large kernels included.
"""

from __future__ import annotations

import numpy as np

from ..autograd import is_grad_enabled
from ..conv import transposed
from ..conv.choose import choose, runner
from ..conv.context import ConvContext
from ..tensor import Tensor
from .conv import add_channel_bias, channel_sums
from .conv_args import check_conv_transpose_inputs


def conv_transpose_nd(op: str, nd: int, input, weight, bias=None, stride=1,  # noqa: A002
                      padding=0, output_padding=0, groups=1, dilation=1,
                      algorithm: str = "auto") -> Tensor:
    """The shared body of conv_transpose1d/2d/3d; see :func:`conv_transpose2d`."""
    x, weight, bias = check_conv_transpose_inputs(op, nd, input, weight, bias, groups)
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x.reshape((1, *x.shape))
    geometry = transposed.transposed_geometry(op, x.shape, weight.shape, stride, padding,
                                              output_padding, groups, dilation,
                                              x.dtype.itemsize)
    out_channels = weight.shape[1] * geometry.spec.groups
    conv_shape = geometry.conv_input_shape(x.shape[0], out_channels)
    training = is_grad_enabled() and (x.requires_grad or weight.requires_grad)
    ctx = ConvContext(weight=weight, version=weight.version, save=training)
    name = choose(conv_shape, weight.shape, geometry.spec, algorithm, dtype=x.dtype,
                  requires_grad=training, ctx=ctx, transposed=True)
    with np.errstate(invalid="ignore", over="ignore"):  # inf*0 = NaN is expected, as in torch
        out = transposed.forward(runner(name, "grad_input", x._data, weight._data), x._data,
                                 weight._data, geometry, ctx)
    if bias is not None:
        add_channel_bias(out, bias._data)
    inputs = (x, weight) if bias is None else (x, weight, bias)

    @np.errstate(invalid="ignore", over="ignore")
    def backward(grad_output):
        grad_output = np.ascontiguousarray(grad_output)
        grad_input = grad_weight = None
        if x.requires_grad:         # first: its forward pass saves what grad_weight reuses
            grad_input = transposed.grad_input(
                runner(name, "forward", grad_output, weight._data), grad_output,
                weight._data, x.shape, geometry, ctx)
        if weight.requires_grad:
            grad_weight = transposed.grad_weight(
                runner(name, "grad_weight", x._data, grad_output), grad_output, x._data,
                weight.shape, geometry, ctx)
        if bias is None:
            return grad_input, grad_weight
        return grad_input, grad_weight, channel_sums(grad_output)

    y = Tensor._from_op(out, inputs, backward, f"ConvTranspose{nd}d")
    return y.reshape(y.shape[1:]) if unbatched else y


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0,  # noqa: A002
                     output_padding=0, groups=1, dilation=1,
                     algorithm: str = "auto") -> Tensor:
    """1-D transposed convolution over an (N, C_in, L) input; see :func:`conv_transpose2d`.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> x = cl.tensor([[[1.0, 2.0]]])
    >>> F.conv_transpose1d(x, cl.tensor([[[1.0, 10.0, 100.0]]]), stride=2).numpy().tolist()
    [[[1.0, 10.0, 102.0, 20.0, 200.0]]]
    """
    return conv_transpose_nd("conv_transpose1d", 1, input, weight, bias, stride, padding,
                             output_padding, groups, dilation, algorithm)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0,  # noqa: A002
                     output_padding=0, groups=1, dilation=1,
                     algorithm: str = "auto") -> Tensor:
    """2-D transposed convolution, as ``torch.nn.functional.conv_transpose2d``.

    Every input pixel scatters a copy of its filters, scaled by its value, into the output,
    ``stride`` pixels apart; overlapping copies add up. It is the gradient of
    :func:`conv2d` with respect to its input, and computed that way (the engines'
    ``grad_input``), so it upsamples by ``stride`` with learned filters.

    Parameters
    ----------
    input : Tensor
        (N, C_in, H, W), or (C_in, H, W) unbatched; float32 or float64.
    weight : Tensor
        (C_in, C_out / groups, kH, kW), same dtype as ``input`` (note: input channels first,
        as in PyTorch).
    bias : Tensor, optional
        (C_out,).
    stride, dilation : int or tuple of 2 ints, default 1
        Must be positive.
    padding : int or tuple of 2 ints, default 0
        ``dilation * (kernel - 1) - padding`` zeros are implicitly added to both sides of the
        input; equivalently, ``padding`` pixels are cropped from each side of the full output.
    output_padding : int or tuple of 2 ints, default 0
        Extra pixels added to one side (bottom/right) of the output, to pick among the sizes
        that a strided :func:`conv2d` maps to the same input size. Must be smaller than
        either ``stride`` or ``dilation``.
    groups : int, default 1
        Must divide C_in.
    algorithm : {"auto", "direct", "gemm", "winograd", "fft"}, default "auto"
        The engine whose ``grad_input`` computes it (see :func:`convlens.conv.explain` with
        ``transposed=True``); Winograd needs a 3x3 kernel, stride 1 and dilation 1.

    Returns
    -------
    Tensor
        (N, C_out, H_out, W_out) with ``H_out = (H - 1) * stride[0] - 2 * padding[0] +
        dilation[0] * (kH - 1) + output_padding[0] + 1``, likewise for W_out.

    Raises
    ------
    TypeError
        Non-tensor or non-float input/weight, mismatched dtypes, malformed arguments.
    ValueError
        Wrong rank, input channels not ``weight.shape[0]``, channels not divisible by
        ``groups``, a bias of the wrong shape, ``output_padding`` not smaller than stride or
        dilation, an empty or too large output, an unknown or unsuitable ``algorithm``.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> x = cl.tensor(np.ones((1, 4, 5, 5), np.float32))
    >>> w = cl.tensor(np.ones((4, 2, 3, 3), np.float32))
    >>> F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1).shape
    (1, 2, 10, 10)
    """
    return conv_transpose_nd("conv_transpose2d", 2, input, weight, bias, stride, padding,
                             output_padding, groups, dilation, algorithm)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0,  # noqa: A002
                     output_padding=0, groups=1, dilation=1,
                     algorithm: str = "auto") -> Tensor:
    """3-D transposed convolution over an (N, C_in, D, H, W) input; see
    :func:`conv_transpose2d`, with 3-tuples for the sizes."""
    return conv_transpose_nd("conv_transpose3d", 3, input, weight, bias, stride, padding,
                             output_padding, groups, dilation, algorithm)
