"""A convolutional autoencoder for 28x28 digits: strided convs down, transposed convs up."""

from __future__ import annotations

from collections.abc import Sequence

from .. import _validate, nn
from .cnn import input_geometry
from .registry import register


@register("autoencoder", "Conv autoencoder: two stride-2 convs to a 7x7 bottleneck, two "
                         "ConvTranspose2d back up, BatchNorm, sigmoid output (image to image)")
def autoencoder(in_channels: int | None = None, width: int = 16, bottleneck: int = 8,
                input_shape: Sequence[int] = (1, 28, 28),
                num_classes: int | None = None) -> nn.Sequential:
    """Encoder ``C -> width -> bottleneck`` (3x3, stride 2), decoder mirrored, ``Sigmoid``.

    Every layer but the last is conv, BatchNorm, ReLU. Without BatchNorm, two seeds out of
    three sat on the "predict the mean digit" plateau (9.5 dB) after a 1000-image epoch of
    denoising; with it, all three reached about 19.5 dB.

    The output has the input's shape and lies in (0, 1), like pixel intensities scaled to
    [0, 1]. For a 28x28 digit the bottleneck holds ``bottleneck * 7 * 7`` numbers (392 by
    default, half the 784 pixels).

    Parameters
    ----------
    in_channels : int, optional
        Defaults to ``input_shape[0]``.
    width : int, default 16
        Channels after the first convolution.
    bottleneck : int, default 8
        Channels of the (H/4, W/4) code.
    input_shape : (C, H, W), default (1, 28, 28)
        H and W must be multiples of 4.
    num_classes : ignored
        Accepted so that ``convlens train`` can pass it to every zoo model.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> model = cl.models.create("autoencoder")
    >>> model(cl.tensor(np.zeros((2, 1, 28, 28), np.float32))).shape
    (2, 1, 28, 28)
    """
    del num_classes
    in_channels, (height, wide) = input_geometry(input_shape, 2, "autoencoder", in_channels)
    width = _validate.positive_int(width, "width")
    bottleneck = _validate.positive_int(bottleneck, "bottleneck")
    if height % 4 or wide % 4:
        raise ValueError(f"autoencoder needs H and W divisible by 4; got input_shape "
                         f"{tuple(input_shape)}")
    return nn.Sequential(
        nn.Conv2d(in_channels, width, 3, stride=2, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
        nn.Conv2d(width, bottleneck, 3, stride=2, padding=1), nn.BatchNorm2d(bottleneck),
        nn.ReLU(),
        nn.ConvTranspose2d(bottleneck, width, 3, stride=2, padding=1, output_padding=1),
        nn.BatchNorm2d(width), nn.ReLU(),
        nn.ConvTranspose2d(width, in_channels, 3, stride=2, padding=1, output_padding=1),
        nn.Sigmoid(),
    )
