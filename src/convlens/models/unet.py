"""A small U-Net (Ronneberger et al. 2015) built from stock containers.

Each level is ``Sequential(encoder convs, Concat(Identity(), Sequential(MaxPool2d, next level,
ConvTranspose2d)), decoder convs)``: the ``Concat`` puts the skip connection (the identity)
next to the upsampled deeper features along the channel axis, so the whole net is plain
containers that save, load, summarise and convert like any Sequential.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import _validate, nn
from .cnn import input_geometry
from .registry import register


def _double_conv(in_channels: int, out_channels: int) -> list:
    return [nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.ReLU(),
            nn.Conv2d(out_channels, out_channels, 3, padding=1), nn.ReLU()]


def _up(in_channels: int, out_channels: int, up: str) -> nn.Module:
    """2x upsampling: a learned ConvTranspose2d, or a fixed Upsample then a 1x1 conv."""
    if up == "transpose":
        return nn.ConvTranspose2d(in_channels, out_channels, 2, stride=2)
    return nn.Sequential(nn.Upsample(scale_factor=2, mode=up),
                         nn.Conv2d(in_channels, out_channels, 1))


def _level(in_channels: int, width: int, depth: int, up: str) -> nn.Sequential:
    """A level with ``width`` output channels and ``depth`` more levels below it."""
    encoder = _double_conv(in_channels, width)
    if depth == 0:
        return nn.Sequential(*encoder)
    down = nn.Sequential(nn.MaxPool2d(2), _level(width, 2 * width, depth - 1, up),
                         _up(2 * width, width, up))
    return nn.Sequential(*encoder, nn.Concat(nn.Identity(), down),
                         *_double_conv(2 * width, width))


@register("unet_small", "A small U-Net: conv pairs, max-pool down, ConvTranspose2d up, skip "
                        "concatenation; output channels = input channels")
def unet_small(in_channels: int | None = None, out_channels: int | None = None, width: int = 8,
               depth: int = 2, input_shape: Sequence[int] = (1, 28, 28),
               up: str = "transpose", num_classes: int | None = None) -> nn.Sequential:
    """U-Net with ``depth`` downsamplings; level ``k`` has ``width * 2**k`` channels.

    The output has the input's spatial size and ``out_channels`` channels (default: the input
    channels, for image-to-image tasks such as denoising); no final activation.

    Parameters
    ----------
    in_channels : int, optional
        Defaults to ``input_shape[0]``.
    out_channels : int, optional
        Channels of the final 1x1 conv; defaults to ``in_channels``.
    width : int, default 8
        Channels of the top level.
    depth : int, default 2
        Number of 2x downsamplings (H and W must be multiples of ``2**depth``).
    input_shape : (C, H, W), default (1, 28, 28)
    up : {"transpose", "nearest", "bilinear"}, default "transpose"
        How each level doubles the size: ``ConvTranspose2d(2, stride=2)``, or
        ``Upsample(scale_factor=2, mode=up)`` followed by a 1x1 conv.
    num_classes : ignored
        Accepted so that ``convlens train`` can pass it to every zoo model.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> model = cl.models.create("unet_small", input_shape=(3, 16, 16))
    >>> model(cl.tensor(np.zeros((2, 3, 16, 16), np.float32))).shape
    (2, 3, 16, 16)
    """
    del num_classes
    in_channels, (height, wide) = input_geometry(input_shape, 2, "unet_small", in_channels)
    out_channels = in_channels if out_channels is None else _validate.positive_int(
        out_channels, "out_channels")
    width = _validate.positive_int(width, "width")
    depth = _validate.positive_int(depth, "depth", minimum=0)
    up = _validate.one_of(up, ("transpose", "nearest", "bilinear"), "up")
    if height % 2**depth or wide % 2**depth:
        raise ValueError(f"unet_small with depth={depth} needs H and W divisible by "
                         f"{2**depth}; got input_shape {tuple(input_shape)}")
    return nn.Sequential(_level(in_channels, width, depth, up),
                         nn.Conv2d(width, out_channels, 1))
