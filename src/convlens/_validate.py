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


_tensor_class = None    # convlens.tensor.Tensor, imported on first use (it imports this module)


def as_tensor(value: object, name: str, op: str):
    """Accept a Tensor (or wrap an ndarray); anything else is a ``TypeError``."""
    global _tensor_class
    if _tensor_class is None:   # an import statement here cost 2 µs per call, every op
        from .tensor import Tensor

        _tensor_class = Tensor
    Tensor = _tensor_class
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


# -- helpers added for tensor ops, pooling and the functional API ---------------------------
def dim_index(dim: object, ndim: int, name: str = "dim") -> int:
    """Check that ``dim`` indexes one of ``ndim`` axes (negative counts from the end).

    A 0-d tensor accepts 0 and -1, as in torch. Returns the non-negative axis.
    """
    if not isinstance(dim, Integral) or isinstance(dim, bool):
        raise TypeError(f"{name} must be an int; got {type(dim).__name__} {dim!r}")
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise IndexError(f"{name} (={dim}) is out of range for a tensor with {ndim} dimensions; "
                         f"expected a value in [{-size}, {size - 1}]")
    return int(dim) % size


def same_dtype(a: np.dtype, b: np.dtype, names: tuple[str, str], op: str) -> None:
    """Raise ``TypeError`` unless the two tensors named ``names`` share a dtype."""
    if a != b:
        raise TypeError(f"{op} expects {names[0]} and {names[1]} of the same dtype; "
                        f"got {a} and {b}")


def nonempty_features(shape: tuple[int, ...], op: str) -> None:
    """Raise ``ValueError`` if a non-batch dimension of a batched ``shape`` is zero."""
    if 0 in shape[1:]:
        raise ValueError(f"{op} expects non-zero sizes in every dimension except the batch "
                         f"dimension; got input of shape {tuple(shape)}")


def pool_padding(padding: tuple[int, ...], kernel: tuple[int, ...], op: str) -> None:
    """Torch's pooling rule: each padding is at most half of its kernel size."""
    for p, k in zip(padding, kernel):
        if p > k // 2:
            raise ValueError(f"{op}: padding (={p}) must be at most half of kernel_size (={k}), "
                             f"that is <= {k // 2}")


def output_not_empty(op: str, in_shape: tuple[int, ...], out_size: tuple[int, ...]) -> None:
    """Raise ``ValueError`` when a window op would produce no output along a spatial dim."""
    if any(n < 1 for n in out_size):
        raise ValueError(f"{op}: the output would be empty: spatial size {tuple(out_size)} for "
                         f"input of shape {tuple(in_shape)}; use a smaller kernel_size, "
                         f"dilation or stride, or more padding")


def nonzero_int(value: object, name: str) -> int:
    """Check that ``value`` is a non-zero int and return it."""
    if not isinstance(value, Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int; got {type(value).__name__} {value!r}")
    if value == 0:
        raise ValueError(f"{name} must be non-zero; got 0")
    return int(value)


def optional_sizes(value: object, n: int, name: str,
                   default: tuple[int, ...]) -> tuple[int, ...]:
    """An int, or a length-``n`` tuple of ints >= 0 or None (None keeps ``default``)."""
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == n:
        value = tuple(d if v is None else v for v, d in zip(value, default))
    elif value is None:
        value = tuple(default)
    return int_tuple(value, n, name, minimum=0)


def any_real(value: object, name: str) -> float:
    """Check that ``value`` is a real number (inf and nan allowed) and return it as float."""
    if not isinstance(value, Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a number; got {type(value).__name__} {value!r}")
    return float(value)


def padding_form(padding: object, nd: int) -> TypeError:
    """The error for a conv ``padding`` of no accepted form (the caller raises it)."""
    example = "((1, 2),)" if nd == 1 else "((1, 2), (0, 1))"
    return TypeError(f"padding must be an int, a tuple of {nd} ints, {nd} (low, high) pairs of "
                     f"ints such as {example}, or one of 'valid', 'same', 'full'; got {padding!r}")

