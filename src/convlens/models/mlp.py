"""Fully connected baselines: logistic regression and a small residual MLP."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .. import _validate, nn
from .registry import register


@register("logistic", "Logistic regression: flatten, then one linear layer")
def logistic(num_classes: int = 10, input_shape: Sequence[int] = (1, 40),
             in_channels: int | None = None) -> nn.Sequential:
    """Multinomial logistic regression on the flattened input."""
    features = _features(input_shape, in_channels)
    return nn.Sequential(nn.Flatten(), nn.Linear(features, num_classes))


@register("mlp", "MLP: input-100-100 (residual)-10, with ReLU")
def mlp(num_classes: int = 10, input_shape: Sequence[int] = (1, 40), hidden: int = 100,
        in_channels: int | None = None) -> nn.Sequential:
    """Flatten, Linear(hidden), ReLU, a residual Linear(hidden)+ReLU block, Linear(num_classes)."""
    features = _features(input_shape, in_channels)
    hidden = _validate.positive_int(hidden, "hidden")
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(features, hidden), nn.ReLU(),
        nn.Residual(nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU())),
        nn.Linear(hidden, num_classes),
    )


def _features(input_shape: Sequence[int], in_channels: int | None) -> int:
    shape = tuple(input_shape)
    if not shape or not all(isinstance(n, int) and n > 0 for n in shape):
        raise ValueError(f"input_shape must be a tuple of positive ints; got {input_shape!r}")
    if in_channels is not None and in_channels != shape[0]:
        raise ValueError(f"in_channels (={in_channels}) must equal input_shape[0] "
                         f"(={shape[0]})")
    return math.prod(shape)
