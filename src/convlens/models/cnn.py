"""Plain convolutional networks: LeNet-5, the MNIST-1D CNN and a small VGG."""

from __future__ import annotations

from collections.abc import Sequence

from .. import _validate, nn
from .registry import register


def input_geometry(input_shape: Sequence[int], rank: int, model: str,
                   in_channels: int | None) -> tuple[int, tuple[int, ...]]:
    """(channels, spatial sizes) of ``input_shape``; ``in_channels`` defaults to its first entry."""
    shape = tuple(input_shape)
    if len(shape) != rank + 1 or not all(isinstance(n, int) and n > 0 for n in shape):
        layout = "(C, L)" if rank == 1 else "(C, H, W)"
        raise ValueError(f"{model} expects input_shape {layout} of positive ints; "
                         f"got {input_shape!r}")
    if in_channels is not None and in_channels != shape[0]:
        raise ValueError(f"in_channels (={in_channels}) must equal input_shape[0] "
                         f"(={shape[0]})")
    return shape[0], shape[1:]


@register("lenet5", "LeNet-5: conv5(6)-pool-conv5(16)-pool-fc120-fc84-fc10, for 28x28 digits")
def lenet5(in_channels: int | None = None, num_classes: int = 10,
           input_shape: Sequence[int] = (1, 28, 28)) -> nn.Sequential:
    """LeNet-5 (LeCun et al. 1998) with ReLU and max pooling, for (C, 28, 28)-like input."""
    in_channels, (height, width) = input_geometry(input_shape, 2, "lenet5", in_channels)
    if min(height, width) < 10:
        raise ValueError(f"lenet5 needs images of at least 10x10 pixels; got input_shape "
                         f"{tuple(input_shape)} (use 'mlp' for 8x8 digits)")
    flat = 16 * ((height // 2 - 4) // 2) * ((width // 2 - 4) // 2)
    return nn.Sequential(
        nn.Conv2d(in_channels, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(flat, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, num_classes),
    )


def _conv1d_length(length: int, kernel: int, stride: int, padding: int) -> int:
    return (length + 2 * padding - kernel) // stride + 1


@register("mnist1d_cnn", "The MNIST-1D CNN (Greydanus 2020): three Conv1d(25) + linear")
def mnist1d_cnn(in_channels: int | None = None, num_classes: int = 10, channels: int = 25,
                input_shape: Sequence[int] = (1, 40)) -> nn.Sequential:
    """Three Conv1d layers of ``channels`` filters (k5 s2 p1, k3 s2 p1, k3 s2 p1), ReLU, linear."""
    in_channels, (length,) = input_geometry(input_shape, 1, "mnist1d_cnn", in_channels)
    channels = _validate.positive_int(channels, "channels")
    for kernel in (5, 3, 3):
        length = _conv1d_length(length, kernel, 2, 1)
    if length < 1:
        raise ValueError(f"mnist1d_cnn needs sequences of at least 7 samples; got input_shape "
                         f"{tuple(input_shape)}")
    return nn.Sequential(
        nn.Conv1d(in_channels, channels, 5, stride=2, padding=1), nn.ReLU(),
        nn.Conv1d(channels, channels, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv1d(channels, channels, 3, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(),
        nn.Linear(channels * length, num_classes),
    )


def _vgg_block(in_channels: int, out_channels: int) -> list:
    return [nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels),
            nn.ReLU(), nn.Conv2d(out_channels, out_channels, 3, padding=1),
            nn.BatchNorm2d(out_channels), nn.ReLU(), nn.MaxPool2d(2)]


@register("vgg_small", "A small VGG for 32x32 RGB: 3 blocks of two 3x3 convs, then 2 fc")
def vgg_small(in_channels: int | None = None, num_classes: int = 10, width: int = 32,
              input_shape: Sequence[int] = (3, 32, 32), dropout: float = 0.3) -> nn.Sequential:
    """Three VGG blocks (width, 2*width, 4*width channels) with BatchNorm, then fc-dropout-fc."""
    in_channels, (height, wide) = input_geometry(input_shape, 2, "vgg_small", in_channels)
    width = _validate.positive_int(width, "width")
    if min(height, wide) < 8:
        raise ValueError(f"vgg_small needs images of at least 8x8; got {tuple(input_shape)}")
    layers = (_vgg_block(in_channels, width) + _vgg_block(width, 2 * width)
              + _vgg_block(2 * width, 4 * width))
    flat = 4 * width * (height // 8) * (wide // 8)
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(flat, 128), nn.ReLU(),
                         nn.Dropout(dropout), nn.Linear(128, num_classes))
