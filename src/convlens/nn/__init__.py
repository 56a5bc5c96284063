"""Layers and models: ``Module``, ``Parameter``, containers, layers and initialisers.

Names, constructor arguments, defaults and ``state_dict`` keys are PyTorch's, so code and
weights move between the two. Import it as ``from convlens import nn``.
"""

from . import functional, init, registry, utils
from .activation import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .activation_extra import (
    CELU,
    ELU,
    GELU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU6,
    SiLU,
    Softmin,
    Softplus,
    Softsign,
    Tanhshrink,
)
from .activation_piecewise import GLU, Hardshrink, RReLU, Softmax2d, Softshrink, Threshold
from .containers import Concat, ModuleList, Residual, Sequential
from .containers_dict import ModuleDict, ParameterDict, ParameterList
from .conv import Conv1d, Conv2d, Conv3d
from .conv_transpose import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d
from .embedding import Embedding
from .flatten import Flatten, Unflatten
from .fold import Fold, Unfold
from .linear import Bilinear, Identity, Linear
from .loss import CrossEntropyLoss, MSELoss, NLLLoss
from .loss_extra import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    PoissonNLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
    TripletMarginLoss,
)
from .module import Module, RemovableHandle
from .norm_layer import GroupNorm, InstanceNorm1d, InstanceNorm2d, LayerNorm, LocalResponseNorm
from .normalization import BatchNorm1d, BatchNorm2d
from .padding import (
    CircularPad1d,
    CircularPad2d,
    ConstantPad1d,
    ConstantPad2d,
    ConstantPad3d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    ZeroPad1d,
    ZeroPad2d,
)
from .parameter import Parameter
from .pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveAvgPool3d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
)
from .pooling_more import (
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    FractionalMaxPool2d,
    LPPool1d,
    LPPool2d,
    MaxUnpool1d,
    MaxUnpool2d,
)
from .registry import register
from .summary import Summary
from .upsample import (
    ChannelShuffle,
    PixelShuffle,
    PixelUnshuffle,
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
)

__all__ = [
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AvgPool1d", "AvgPool2d", "BatchNorm1d",
    "BatchNorm2d", "Concat", "Conv1d", "Conv2d", "Conv3d", "CrossEntropyLoss", "Dropout",
    "Flatten", "Identity", "LeakyReLU", "Linear", "MSELoss", "MaxPool1d", "MaxPool2d", "Module",
    "ModuleList", "NLLLoss", "Parameter", "ReLU", "RemovableHandle", "Residual", "Sequential",
    "Sigmoid", "Softmax", "Summary", "Tanh", "init", "register", "registry",
    "functional", "utils",
]
__all__ += [
    "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AvgPool3d", "CircularPad1d",
    "FractionalMaxPool2d",
    "CircularPad2d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "LPPool1d", "LPPool2d",
    "MaxPool3d", "MaxUnpool1d", "MaxUnpool2d", "ReflectionPad1d", "ReflectionPad2d",
    "ReplicationPad1d", "ReplicationPad2d", "ZeroPad1d", "ZeroPad2d",
]
__all__ += ["ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]
__all__ += [
    "CELU", "ELU", "GELU", "Hardsigmoid", "Hardswish", "Hardtanh", "LogSigmoid", "LogSoftmax",
    "Mish", "PReLU", "ReLU6", "SELU", "SiLU", "Softmin", "Softplus", "Softsign", "Tanhshrink",
]
__all__ += [
    "BCELoss", "BCEWithLogitsLoss", "CosineEmbeddingLoss", "GaussianNLLLoss", "HuberLoss",
    "KLDivLoss", "L1Loss", "MarginRankingLoss", "MultiLabelSoftMarginLoss", "PoissonNLLLoss",
    "SmoothL1Loss",
]
__all__ += ["GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "LayerNorm", "LocalResponseNorm"]
__all__ += ["ChannelShuffle", "PixelShuffle", "PixelUnshuffle", "Upsample",
            "UpsamplingBilinear2d", "UpsamplingNearest2d"]
__all__ += ["AlphaDropout", "Bilinear", "Dropout1d", "Dropout2d", "Dropout3d", "Embedding",
            "ModuleDict", "ParameterDict", "ParameterList", "Unflatten"]
__all__ += ["GLU", "Hardshrink", "RReLU", "Softmax2d", "Softshrink", "Threshold"]
__all__ += ["HingeEmbeddingLoss", "MultiMarginLoss", "SoftMarginLoss", "TripletMarginLoss"]
__all__ += ["Fold", "Unfold"]
