"""Stateless ops on Tensors, with ``torch.nn.functional``'s names, arguments and defaults.

Import it as ``from convlens import functional as F``.
"""

from .activation import leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from .conv import conv1d, conv2d, conv3d
from .conv_transpose import conv_transpose1d, conv_transpose2d, conv_transpose3d
from .dropout import dropout
from .linear import flatten, linear
from .loss import cross_entropy, mse_loss, nll_loss
from .norm import batch_norm
from .padding import pad
from .pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    fractional_max_pool2d,
    lp_pool1d,
    lp_pool2d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
    max_unpool1d,
    max_unpool2d,
)

__all__ = [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "avg_pool1d", "avg_pool2d", "batch_norm",
    "conv1d", "conv2d", "conv3d", "cross_entropy", "dropout", "flatten", "leaky_relu", "linear",
    "log_softmax", "max_pool1d", "max_pool2d", "mse_loss", "nll_loss", "pad", "relu", "sigmoid",
    "softmax", "tanh",
]
__all__ += [
    "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d", "avg_pool3d",
    "fractional_max_pool2d", "lp_pool1d", "lp_pool2d", "max_pool3d", "max_unpool1d", "max_unpool2d",
]
__all__ += ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]
