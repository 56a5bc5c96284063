"""Stateless ops on Tensors, with ``torch.nn.functional``'s names, arguments and defaults.

Import it as ``from convlens import functional as F``.
"""

from .activation import leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from .activation_extra import (
    celu,
    elu,
    gelu,
    hardsigmoid,
    hardswish,
    hardtanh,
    logsigmoid,
    mish,
    prelu,
    relu6,
    selu,
    silu,
    softmin,
    softplus,
    softsign,
    tanhshrink,
)
from .conv import conv1d, conv2d, conv3d
from .dropout import dropout
from .linear import flatten, linear
from .loss import cross_entropy, mse_loss, nll_loss
from .norm import batch_norm
from .padding import pad
from .pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)

__all__ = [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "avg_pool1d", "avg_pool2d", "batch_norm",
    "conv1d", "conv2d", "conv3d", "cross_entropy", "dropout", "flatten", "leaky_relu", "linear",
    "log_softmax", "max_pool1d", "max_pool2d", "mse_loss", "nll_loss", "pad", "relu", "sigmoid",
    "softmax", "tanh",
]
__all__ += [
    "celu", "elu", "gelu", "hardsigmoid", "hardswish", "hardtanh", "logsigmoid", "mish", "prelu",
    "relu6", "selu", "silu", "softmin", "softplus", "softsign", "tanhshrink",
]
