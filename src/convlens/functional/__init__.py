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
from .activation_piecewise import glu, hardshrink, rrelu, softshrink, threshold
from .conv import conv1d, conv2d, conv3d
from .conv_transpose import conv_transpose1d, conv_transpose2d, conv_transpose3d
from .dropout import alpha_dropout, dropout, dropout1d, dropout2d, dropout3d
from .embedding import embedding, one_hot
from .fold import fold, unfold
from .interpolate import interpolate
from .linear import bilinear, flatten, linear
from .loss import cross_entropy, mse_loss, nll_loss
from .loss_binary import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    margin_ranking_loss,
    multilabel_soft_margin_loss,
)
from .loss_margin import (
    hinge_embedding_loss,
    multi_margin_loss,
    soft_margin_loss,
    triplet_margin_loss,
)
from .loss_regression import (
    gaussian_nll_loss,
    huber_loss,
    kl_div,
    l1_loss,
    poisson_nll_loss,
    smooth_l1_loss,
)
from .norm import batch_norm
from .norm_layer import group_norm, instance_norm, layer_norm, local_response_norm, normalize
from .padding import pad
from .pixel_shuffle import channel_shuffle, pixel_shuffle, pixel_unshuffle
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
__all__ += [
    "celu", "elu", "gelu", "hardsigmoid", "hardswish", "hardtanh", "logsigmoid", "mish", "prelu",
    "relu6", "selu", "silu", "softmin", "softplus", "softsign", "tanhshrink",
]
__all__ += [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cosine_embedding_loss",
    "gaussian_nll_loss", "huber_loss", "kl_div", "l1_loss", "margin_ranking_loss",
    "multilabel_soft_margin_loss", "one_hot", "poisson_nll_loss", "smooth_l1_loss",
]
__all__ += ["group_norm", "instance_norm", "layer_norm", "local_response_norm", "normalize"]
__all__ += ["channel_shuffle", "interpolate", "pixel_shuffle", "pixel_unshuffle"]
__all__ += ["alpha_dropout", "bilinear", "dropout1d", "dropout2d", "dropout3d", "embedding"]
__all__ += ["glu", "hardshrink", "rrelu", "softshrink", "threshold"]
__all__ += ["hinge_embedding_loss", "multi_margin_loss", "soft_margin_loss",
            "triplet_margin_loss"]
__all__ += ["fold", "unfold"]
