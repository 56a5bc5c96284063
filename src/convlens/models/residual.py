"""A small ResNet: residual blocks with BatchNorm (He et al. 2016), for 32x32 images."""

from __future__ import annotations

from collections.abc import Sequence

from .. import _validate, nn
from .cnn import input_geometry
from .registry import register


def _block(in_channels: int, out_channels: int, stride: int) -> list:
    """Two 3x3 convs with BatchNorm around an identity (or 1x1 projection) shortcut, then ReLU."""
    body = nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
    )
    shortcut = None
    if stride != 1 or in_channels != out_channels:
        shortcut = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
            nn.BatchNorm2d(out_channels),
        )
    return [nn.Residual(body, shortcut), nn.ReLU()]


@register("resnet_small", "A small ResNet: 3 stages of residual blocks with BatchNorm")
def resnet_small(in_channels: int | None = None, num_classes: int = 10, width: int = 16,
                 blocks_per_stage: int = 1,
                 input_shape: Sequence[int] = (3, 32, 32)) -> nn.Sequential:
    """Stem conv, stages of width/2*width/4*width channels (stride 2 between), global pool, fc."""
    width = _validate.positive_int(width, "width")
    blocks = _validate.positive_int(blocks_per_stage, "blocks_per_stage")
    in_channels, _ = input_geometry(input_shape, 2, "resnet_small", in_channels)
    layers = [nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width),
              nn.ReLU()]
    channels = width
    for stage, out_channels in enumerate((width, 2 * width, 4 * width)):
        for index in range(blocks):
            stride = 2 if stage > 0 and index == 0 else 1
            layers += _block(channels, out_channels, stride)
            channels = out_channels
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes)]
    return nn.Sequential(*layers)
