"""What every pool shares: input checks, window arguments, window geometry and size budgets.

Window arguments follow PyTorch, which also accepts a 1-tuple for any of ``kernel_size``,
``stride``, ``padding`` and ``dilation`` (used for every spatial dim) and an empty ``stride``
(meaning ``kernel_size``). As a convlens addition, ``padding`` may also give one
``(low, high)`` pair per spatial dim: torch has no such form, so no torch call changes
meaning.

Every pool checks the sizes it is about to allocate against :data:`MAX_BYTES` before doing
any work, so an absurd argument (``output_size=10**9``) is a ``ValueError`` naming it rather
than an out-of-memory kill.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral

import numpy as np

from .. import _validate
from ..conv.geometry import ConvSpec
from ..tensor import Tensor

#: The most bytes a pool may allocate for one array (its output, padded input or windows).
MAX_BYTES = 2**33
#: The most window taps a pool may visit, summed over its outputs (its work).
MAX_WORK = 2**36
#: The most taps in one window (``prod(kernel_size)``): pools loop over taps in Python.
MAX_TAPS = 2**20



def quiet() -> np.errstate:
    """Non-finite inputs are data here, as in torch: inf - inf is NaN without a warning."""
    return np.errstate(invalid="ignore", over="ignore", divide="ignore")


LAYOUTS = {1: ("(C, L)", "(N, C, L)"), 2: ("(C, H, W)", "(N, C, H, W)"),
           3: ("(C, D, H, W)", "(N, C, D, H, W)")}


def pool_input(op: str, nd: int, input) -> tuple[Tensor, bool]:  # noqa: A002
    """Check dtype and rank; return the batched input and whether it came unbatched."""
    x = _validate.float_tensor(input, "input", op)
    single, batched = LAYOUTS[nd]
    _validate.rank(x.shape, {nd + 1: single, nd + 2: batched}, "input", op)
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x.reshape((1, *x.shape))
    _validate.nonempty_features(x.shape, op)
    return x, unbatched


def unbatch(y: Tensor, unbatched: bool) -> Tensor:
    return y.reshape(y.shape[1:]) if unbatched else y


def _is_int(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def window_tuple(value: object, nd: int, name: str, *, minimum: int = 1) -> tuple[int, ...]:
    """An int, or a tuple of ``nd`` ints or of one int (torch uses it for every dim)."""
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 1 and nd > 1:
        value = tuple(value) * nd
    if not _is_int(value) and not (isinstance(value, Sequence) and not isinstance(value, str)
                                   and len(value) == nd and all(_is_int(v) for v in value)):
        raise TypeError(f"{name} must be an int or a tuple of {nd} ints; got {value!r} "
                        f"(a 1-tuple is used for every dim)")
    return _validate.int_tuple(value, nd, name, minimum=minimum)


def padding_pairs(padding: object, nd: int) -> tuple[tuple[int, int], ...]:
    """Torch's ``padding`` (int or tuple) or convlens's ``nd`` (low, high) pairs."""
    if isinstance(padding, Sequence) and not isinstance(padding, str) and padding and all(
            isinstance(p, Sequence) and not isinstance(p, str) for p in padding):
        if len(padding) != nd or not all(
                len(p) == 2 and all(_is_int(v) for v in p) for p in padding):
            raise TypeError(f"padding must be an int, a tuple of {nd} ints, or {nd} (low, high) "
                            f"pairs of ints; got {padding!r}")
        pairs = tuple((int(lo), int(hi)) for lo, hi in padding)
        if any(v < 0 for pair in pairs for v in pair):
            raise ValueError(f"padding must be >= 0; got {padding!r}")
        return pairs
    return tuple((p, p) for p in window_tuple(padding, nd, "padding", minimum=0))


def window_args(op: str, nd: int, kernel_size, stride, padding, dilation
                ) -> tuple[tuple[int, ...], tuple[int, ...], tuple[tuple[int, int], ...],
                           tuple[int, ...]]:
    """Validate kernel_size, stride (None or () means kernel_size), padding and dilation."""
    kernel = window_tuple(kernel_size, nd, "kernel_size")
    no_stride = stride is None or (isinstance(stride, Sequence) and len(stride) == 0)
    stride = kernel if no_stride else window_tuple(stride, nd, "stride")
    pairs = padding_pairs(padding, nd)
    dilation = window_tuple(dilation, nd, "dilation")
    for pair, k in zip(pairs, kernel):
        for p in pair:
            if p > k // 2:
                raise ValueError(f"{op}: padding (={p}) must be at most half of kernel_size "
                                 f"(={k}), that is <= {k // 2}")
    return kernel, stride, pairs, dilation


def window_spec(op: str, shape: tuple[int, ...], kernel, stride, pairs, dilation,
                ceil_mode: bool, itemsize: int) -> ConvSpec:
    """PyTorch's pooling windows as a ``ConvSpec``, per spatial dim::

        out = floor_or_ceil((in + pad_lo + pad_hi - dilation * (kernel - 1) - 1) / stride) + 1

    With ``ceil_mode`` the last window must start inside the input or its low padding, else
    ``out`` drops by one. A ceil-mode window may run past the high padding; the returned high
    padding grows by that overhang so every window is a plain strided slice. The sizes are
    checked (non-empty output, :data:`MAX_BYTES`, :data:`MAX_WORK`) before anything is built.
    """
    out_pairs, out_size = [], []
    for n, k, s, (lo, hi), d in zip(shape[2:], kernel, stride, pairs, dilation):
        span = d * (k - 1) + 1
        out = (n + lo + hi - span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (out - 1) * s >= n + lo:
            out -= 1
        out_pairs.append((lo, hi + max(0, (out - 1) * s + span - (n + lo + hi))))
        out_size.append(out)
    _validate.output_not_empty(op, shape, tuple(out_size))
    spec = ConvSpec(tuple(stride), tuple(out_pairs), tuple(dilation))
    check_bytes(op, "padding", spec.padded_size(shape[2:]), shape[:2], itemsize, pairs)
    check_bytes(op, "stride", tuple(out_size), shape[:2], itemsize, stride)
    taps = math.prod(kernel)
    if taps > MAX_TAPS:
        raise ValueError(f"{op}: kernel_size (={kernel}) has {taps} taps per window; the limit "
                         f"is {MAX_TAPS} (convlens.functional.pool.MAX_TAPS)")
    work = math.prod(shape[:2]) * math.prod(out_size) * taps
    if work > MAX_WORK:
        raise ValueError(f"{op}: kernel_size (={kernel}) asks for {work} window taps over "
                         f"{tuple(out_size)} outputs; the limit is {MAX_WORK} "
                         f"(convlens.functional.pool.MAX_WORK)")
    return spec


def check_bytes(op: str, name: str, size: tuple[int, ...], lead: tuple[int, ...],
                itemsize: int, value: object) -> None:
    """Refuse an array of ``lead + size`` elements above :data:`MAX_BYTES`, naming ``name``."""
    nbytes = math.prod(lead) * math.prod(size) * itemsize
    if nbytes > MAX_BYTES:
        raise ValueError(f"{op}: {name} (={value!r}) would need an array of shape "
                         f"{(*lead, *size)} ({nbytes} bytes); the limit is {MAX_BYTES} bytes "
                         f"(convlens.functional.pool.MAX_BYTES)")


def pad_nd(x: np.ndarray, spec: ConvSpec, value: float) -> np.ndarray:
    if spec.is_unpadded:  # the common case: skip np.pad's copy
        return x
    return np.pad(x, [(0, 0), (0, 0), *spec.padding], constant_values=value)


def crop(padded: np.ndarray, spec: ConvSpec) -> np.ndarray:
    """Drop the padding again: the adjoint of ``pad_nd``."""
    return padded[(..., *(slice(lo, n - hi) for (lo, hi), n in
                          zip(spec.padding, padded.shape[2:])))]


def tap_inside(offset: tuple[int, ...], spec: ConvSpec, in_size: tuple[int, ...],
               out_size: tuple[int, ...]) -> np.ndarray:
    """Which output windows see a real input element (not padding) at kernel tap ``offset``."""
    inside = np.ones((1,) * len(out_size), dtype=bool)
    for axis, (o, d, s, (lo, _), n, m) in enumerate(
            zip(offset, spec.dilation, spec.stride, spec.padding, in_size, out_size)):
        index = np.arange(m) * s + o * d - lo
        shape = [1] * len(out_size)
        shape[axis] = m
        inside = inside & ((index >= 0) & (index < n)).reshape(shape)
    return inside
