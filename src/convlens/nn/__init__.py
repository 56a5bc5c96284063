"""Layers and models: ``Module``, ``Parameter``, containers, layers and initialisers.

Names, constructor arguments, defaults and ``state_dict`` keys are PyTorch's, so code and
weights move between the two. Import it as ``from convlens import nn``.
"""

from . import init, registry
from .activation import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .containers import Concat, ModuleList, Residual, Sequential
from .conv import Conv1d, Conv2d, Conv3d
from .conv_transpose import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .dropout import Dropout
from .flatten import Flatten
from .linear import Identity, Linear
from .loss import CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module, RemovableHandle
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

__all__ = [
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AvgPool1d", "AvgPool2d", "BatchNorm1d",
    "BatchNorm2d", "Concat", "Conv1d", "Conv2d", "Conv3d", "CrossEntropyLoss", "Dropout",
    "Flatten", "Identity", "LeakyReLU", "Linear", "MSELoss", "MaxPool1d", "MaxPool2d", "Module",
    "ModuleList", "NLLLoss", "Parameter", "ReLU", "RemovableHandle", "Residual", "Sequential",
    "Sigmoid", "Softmax", "Summary", "Tanh", "init", "register", "registry",
]
__all__ += [
    "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AvgPool3d", "CircularPad1d",
    "FractionalMaxPool2d",
    "CircularPad2d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "LPPool1d", "LPPool2d",
    "MaxPool3d", "MaxUnpool1d", "MaxUnpool2d", "ReflectionPad1d", "ReflectionPad2d",
    "ReplicationPad1d", "ReplicationPad2d", "ZeroPad1d", "ZeroPad2d",
]
__all__ += ["ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]
