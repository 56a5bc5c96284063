"""convlens: convolutional neural networks you can read, train and look inside.

Built on NumPy and SciPy only. The heavier pieces (``nn``, ``optim``, ``data``, ``models``,
``signal``, ...) load on first use so that ``import convlens`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import functional
from ._ops import cat, stack, where
from ._version import __version__
from .autograd import enable_grad, is_grad_enabled, no_grad
from .creation import (
    arange,
    as_tensor,
    eye,
    float32,
    float64,
    from_numpy,
    full,
    int64,
    ones,
    rand,
    randn,
    zeros,
)
from .random import manual_seed
from .tensor import Tensor, tensor

_LAZY_MODULES = ("conv", "data", "explain", "image", "interop", "models", "nn", "optim",
                 "random", "signal", "train", "cli", "io")
_LAZY_ATTRIBUTES = {"save": "io", "load": "io", "fit": "train", "History": "train",
                    "Trainer": "train"}
_LAZY_ATTRIBUTES.update({"set_num_threads": "threads", "get_num_threads": "threads"})

__all__ = [
    "Tensor", "__version__", "arange", "as_tensor", "cat", "enable_grad", "eye", "fit",
    "float32", "float64", "from_numpy", "full", "functional", "int64", "is_grad_enabled",
    "load", "manual_seed", "no_grad", "ones", "rand", "randn", "save", "stack", "tensor",
    "where", "zeros", *_LAZY_MODULES,
]
__all__ += ["get_num_threads", "set_num_threads"]


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_ATTRIBUTES:
        module = importlib.import_module(f".{_LAZY_ATTRIBUTES[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'convlens' has no attribute {name!r}")
