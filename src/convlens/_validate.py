"""Argument checks shared by every public function.

Each message is written once, here: it names the public parameter, says what must hold,
then what was received.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from numbers import Integral, Real

import numpy as np


def int_tuple(value: object, n: int, name: str, *, minimum: int = 1) -> tuple[int, ...]:
    """Turn an int or a length-``n`` sequence of ints into a tuple, each at least ``minimum``."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        values = (int(value),) * n
    elif isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != n or not all(
            isinstance(v, Integral) and not isinstance(v, bool) for v in value
        ):
            raise TypeError(f"{name} must be an int or a tuple of {n} ints; got {value!r}")
        values = tuple(int(v) for v in value)
    else:
        raise TypeError(f"{name} must be an int or a tuple of {n} ints; got {value!r}")
    if any(v < minimum for v in values):
        what = "positive" if minimum == 1 else f">= {minimum}"
        raise ValueError(f"{name} must be {what}; got {value!r}")
    return values


def positive_int(value: object, name: str, *, minimum: int = 1) -> int:
    """Check that ``value`` is an int >= ``minimum`` and return it."""
    if not isinstance(value, Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int; got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def real_number(value: object, name: str, *, low: float | None = None,
                high: float | None = None) -> float:
    """Check that ``value`` is a real number inside ``[low, high]`` and return it as float."""
    if not isinstance(value, Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a number; got {type(value).__name__} {value!r}")
    value = float(value)
    if not np.isfinite(value) or (low is not None and value < low) or (
        high is not None and value > high
    ):
        bounds = f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
        raise ValueError(f"{name} must be a finite number in {bounds}; got {value}")
    return value


def one_of(value: object, choices: Iterable[str], name: str) -> str:
    """Check that ``value`` is one of the strings in ``choices``."""
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def float_dtype(dtype: np.dtype, name: str, op: str) -> None:
    """Raise ``TypeError`` unless ``dtype`` is float32 or float64."""
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{op} expects {name} of dtype float32 or float64; got {dtype}")


def rank(shape: tuple[int, ...], allowed: dict[int, str], name: str, op: str) -> None:
    """Raise ``ValueError`` unless ``len(shape)`` is a key of ``allowed`` (rank -> layout)."""
    if len(shape) not in allowed:
        layouts = " or ".join(f"a {r}-D {layout}" for r, layout in sorted(allowed.items()))
        raise ValueError(f"{op} expects {name} to be {layouts}; got shape {tuple(shape)}")


def as_tensor(value: object, name: str, op: str):
    """Accept a Tensor (or wrap an ndarray); anything else is a ``TypeError``."""
    from .tensor import Tensor

    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray):
        return Tensor(value)
    raise TypeError(f"{op} expects {name} to be a convlens Tensor or ndarray; "
                    f"got {type(value).__name__}")


def float_tensor(value: object, name: str, op: str):
    """``as_tensor`` plus a float32/float64 dtype check."""
    tensor = as_tensor(value, name, op)
    float_dtype(tensor.dtype, name, op)
    return tensor
