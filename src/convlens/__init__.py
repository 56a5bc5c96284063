"""convlens: convolutional neural networks you can read, train and look inside.

Built on NumPy and SciPy only. The heavier pieces (``nn``, ``optim``, ``data``, ``models``,
``signal``, ...) load on first use so that ``import convlens`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import functional
from ._dtypes import ALIASES as _DTYPE_ALIASES
from ._dtypes import (
    bool_,
    double,
    float16,
    get_default_dtype,
    half,
    int8,
    int16,
    int32,
    is_floating_point,
    is_tensor,
    long,
    short,
    uint8,
)
from ._ops import cat, stack, where
from ._toplevel import (
    abs,
    add,
    allclose,
    amax,
    amin,
    argmax,
    argmin,
    argsort,
    bmm,
    chunk,
    clamp,
    clip,
    div,
    einsum,
    equal,
    exp,
    flatten,
    gather,
    index_select,
    isfinite,
    isnan,
    lerp,
    log,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    mul,
    neg,
    norm,
    numel,
    permute,
    pow,
    relu,
    reshape,
    scatter,
    scatter_add,
    sigmoid,
    sort,
    split,
    sqrt,
    squeeze,
    std,
    sub,
    sum,
    tanh,
    topk,
    transpose,
    unsqueeze,
    use_deterministic_algorithms,
    var,
)
from ._version import __version__
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    float32,
    float64,
    from_numpy,
    full,
    full_like,
    int64,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    zeros,
    zeros_like,
)
from .device import device
from .random import Generator, manual_seed
from .tensor import Tensor, tensor

_LAZY_MODULES = ("conv", "data", "explain", "image", "interop", "models", "nn", "optim",
                 "random", "signal", "train", "cli", "io", "cuda", "accelerator", "backends",
                 "autograd", "dask", "utils")
_LAZY_ATTRIBUTES = {"save": "io", "load": "io", "fit": "train", "History": "train",
                    "Trainer": "train"}

__all__ = [
    "Tensor", "__version__", "arange", "as_tensor", "cat", "enable_grad", "eye", "fit",
    "float32", "float64", "from_numpy", "full", "functional", "int64", "is_grad_enabled",
    "load", "manual_seed", "no_grad", "ones", "rand", "randn", "save", "stack", "tensor",
    "where", "zeros", *_LAZY_MODULES,
]

# torch's dtype spellings that share a builtin's name (``torch.float``, ``torch.int``,
# ``torch.bool``) exist only as attributes of the package.
float = _DTYPE_ALIASES["float"]  # noqa: A001
int = _DTYPE_ALIASES["int"]  # noqa: A001
bool = _DTYPE_ALIASES["bool"]  # noqa: A001
__all__ += [
    "Generator", "abs", "add", "allclose", "amax", "amin", "argmax", "argmin", "argsort",
    "bmm", "bool", "bool_", "chunk", "clamp", "clip", "device", "div", "double", "einsum",
    "empty", "empty_like", "equal", "exp", "flatten", "float", "float16", "full_like",
    "gather", "get_default_dtype", "half", "index_select", "inference_mode", "int", "int8",
    "int16", "int32", "is_floating_point", "is_tensor", "isfinite", "isnan", "lerp",
    "linspace", "log", "long", "masked_fill", "matmul", "max", "maximum", "mean", "min",
    "minimum", "mm", "mul", "neg", "norm", "numel", "ones_like", "permute", "pow",
    "rand_like", "randint", "randn_like", "randperm", "relu", "reshape", "scatter",
    "scatter_add", "set_grad_enabled", "short", "sigmoid", "sort", "split", "sqrt",
    "squeeze", "std", "sub", "sum", "tanh", "topk", "transpose", "uint8", "unsqueeze", "var",
    "zeros_like", "use_deterministic_algorithms",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_ATTRIBUTES:
        module = importlib.import_module(f".{_LAZY_ATTRIBUTES[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'convlens' has no attribute {name!r}")
