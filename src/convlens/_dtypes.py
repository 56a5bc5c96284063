"""torch's dtype names as NumPy scalar types: ``float32``/``float``, ``float64``/``double``,
``int64``/``long``, ``int32``/``int``, ``bool``, ``uint8``, ... A tensor's ``dtype`` is a
``numpy.dtype``, and ``x.dtype == convlens.float32`` holds as ``x.dtype == torch.float32``
does in torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

float16 = half = np.float16
float32 = np.float32
float64 = double = np.float64
int8 = np.int8
int16 = short = np.int16
int32 = np.int32
int64 = long = np.int64
uint8 = np.uint8
bool_ = np.bool_

# ``float``, ``int`` and ``bool`` would shadow the builtins in this module; they are set on the
# package by name (see ``convlens.__init__``).
ALIASES = {"float": np.float32, "int": np.int32, "bool": np.bool_}

_default_dtype = np.dtype(np.float32)


def get_default_dtype() -> np.dtype:
    """The dtype Python floats become: float32 (convlens does not change it)."""
    return _default_dtype


def is_floating_point(tensor: Any) -> bool:
    """True for a float16/32/64 tensor."""
    return np.dtype(tensor.dtype).kind == "f"


def is_tensor(obj: Any) -> bool:
    """True if ``obj`` is a :class:`convlens.Tensor` (as ``torch.is_tensor``)."""
    from .tensor import Tensor

    return isinstance(obj, Tensor)
