"""Convolution geometry: turning user arguments into one validated ``ConvSpec``.

Output size of a convolution along each spatial dimension (PyTorch's "Shape" formula)::

    out = floor((in + pad_lo + pad_hi - dilation * (kernel - 1) - 1) / stride) + 1

A *valid* convolution (no padding, stride 1, dilation 1) of an N-wide input with an F-wide
filter therefore gives N - F + 1 outputs.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from numbers import Integral

from .. import _validate

PADDING_STRINGS = ("valid", "same", "full")


@dataclass(frozen=True)
class ConvSpec:
    """Everything an engine needs besides the arrays: all per spatial dimension.

    ``padding`` holds (low, high) zero-padding pairs; other padding modes are applied before
    the engine runs.
    """

    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    groups: int = 1

    @property
    def nd(self) -> int:
        return len(self.stride)

    @property
    def is_unpadded(self) -> bool:
        return all(lo == 0 and hi == 0 for lo, hi in self.padding)

    def padded_size(self, in_size: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(n + lo + hi for n, (lo, hi) in zip(in_size, self.padding))

    def output_size(self, in_size: tuple[int, ...], kernel: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(
            (p - d * (k - 1) - 1) // s + 1
            for p, k, s, d in zip(self.padded_size(in_size), kernel, self.stride, self.dilation)
        )

    def window(self, offset: tuple[int, ...], out_size: tuple[int, ...]) -> tuple[slice, ...]:
        """Slices of the padded input that kernel tap ``offset`` meets, one per output pixel."""
        return tuple(
            slice(o * d, o * d + s * (n - 1) + 1, s)
            for o, d, s, n in zip(offset, self.dilation, self.stride, out_size)
        )


def same_padding(in_size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """SAME_UPPER padding (ONNX, TensorFlow): ``out = ceil(in / stride)``, any extra pad at the end.

    For stride 1 this equals PyTorch's ``padding="same"``.
    """
    out = -(-in_size // stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - in_size, 0)
    return total // 2, total - total // 2


def resolve_padding(padding: object, in_size: tuple[int, ...], kernel: tuple[int, ...],
                    stride: tuple[int, ...], dilation: tuple[int, ...]
                    ) -> tuple[tuple[int, int], ...]:
    """Turn ``padding`` (int, tuple, per-side pairs or a string) into (low, high) pairs."""
    nd = len(kernel)
    if isinstance(padding, str):
        _validate.one_of(padding, PADDING_STRINGS, "padding")
        if padding == "valid":
            return ((0, 0),) * nd
        if padding == "full":
            return tuple((d * (k - 1),) * 2 for k, d in zip(kernel, dilation))
        return tuple(same_padding(*args) for args in zip(in_size, kernel, stride, dilation))
    if isinstance(padding, tuple | list) and padding and all(
        isinstance(p, tuple | list) for p in padding
    ):
        if len(padding) != nd or not all(
            len(p) == 2 and all(isinstance(v, Integral) and not isinstance(v, bool) for v in p)
            for p in padding
        ):
            raise _validate.padding_form(padding, nd)
        pairs = tuple((int(lo), int(hi)) for lo, hi in padding)
    elif isinstance(padding, Integral) and not isinstance(padding, bool):
        pairs = ((int(padding),) * 2,) * nd
    elif isinstance(padding, tuple | list) and len(padding) == nd and all(
        isinstance(v, Integral) and not isinstance(v, bool) for v in padding
    ):
        pairs = tuple((int(p), int(p)) for p in padding)
    else:
        raise _validate.padding_form(padding, nd)
    if any(v < 0 for pair in pairs for v in pair):
        raise ValueError(f"padding must be non-negative; got {padding!r}")
    return pairs


def conv_spec(op: str, x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: object,
              padding: object, dilation: object, groups: object) -> ConvSpec:
    """Validate conv arguments for a batched input ``(N, C, *spatial)`` and return a ConvSpec."""
    nd = len(x_shape) - 2
    stride_t = _validate.int_tuple(stride, nd, "stride")
    dilation_t = _validate.int_tuple(dilation, nd, "dilation")
    groups = _validate.positive_int(groups, "groups")
    channels, out_channels = x_shape[1], w_shape[0]
    if channels % groups:
        raise ValueError(f"in_channels (={channels}) must be divisible by groups (={groups})")
    if out_channels % groups:
        raise ValueError(f"out_channels (={out_channels}) must be divisible by groups (={groups})")
    if w_shape[1] * groups != channels:
        raise ValueError(
            f"{op} expects input with weight.shape[1] * groups = {w_shape[1]} * {groups} = "
            f"{w_shape[1] * groups} channels; got {channels} channels in input of shape "
            f"{tuple(x_shape)}"
        )
    in_size, kernel = tuple(x_shape[2:]), tuple(w_shape[2:])
    pairs = resolve_padding(padding, in_size, kernel, stride_t, dilation_t)
    spec = ConvSpec(stride_t, pairs, dilation_t, groups)
    for i, (p, k, d) in enumerate(zip(spec.padded_size(in_size), kernel, dilation_t)):
        if d * (k - 1) + 1 > p:
            raise ValueError(
                f"{op}: kernel size {k} (dilation {d}, so {d * (k - 1) + 1} wide) is larger than "
                f"the padded input size {p} along spatial dim {i}; input shape {tuple(x_shape)}, "
                f"weight shape {tuple(w_shape)}"
            )
    return spec


def pool_spec(in_size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
              padding: tuple[int, ...], dilation: tuple[int, ...], ceil_mode: bool) -> ConvSpec:
    """The windows of a max or average pool, as a ``ConvSpec`` (PyTorch's rule, per dim)::

        out = floor_or_ceil((in + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1

    With ``ceil_mode`` the last window must still start inside the input or its left padding,
    else ``out`` drops by one. A ceil-mode window may run past the right padding; the returned
    high padding grows by that overhang so every window is a plain strided slice (see
    :meth:`ConvSpec.window`). The caller checks that ``out >= 1``.
    """
    pairs = []
    for n, k, s, p, d in zip(in_size, kernel, stride, padding, dilation):
        span = d * (k - 1) + 1
        out = (n + 2 * p - span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (out - 1) * s >= n + p:
            out -= 1
        overhang = max(0, (out - 1) * s + span - (n + 2 * p))
        pairs.append((p, p + overhang))
    return ConvSpec(tuple(stride), tuple(pairs), tuple(dilation))


def memory_bytes() -> int:
    """This machine's physical memory in bytes (unbounded where it cannot be read)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):    # not a POSIX system
        return 2 ** 63 - 1


#: The bound ``pad``, ``interpolate`` and ``nn.Linear`` set on the array they build from their
#: arguments (8 GiB), lower than the machine's memory that bounds a convolution.
MAX_RESULT_BYTES = 2**33


def check_allocation(op: str, what: str, shape: tuple[int, ...], itemsize: int,
                     argument: str, limit: int | None = None) -> None:
    """Refuse, before any work, an array that could never fit in this machine's memory.

    ``argument`` names the public argument(s) that made it so large, with their values
    (``"padding=1000000000"``); the message says what must hold and what was received.
    ``limit`` (bytes) replaces the machine's memory as the bound where an op sets a lower one.

    Examples
    --------
    >>> check_allocation("conv1d", "the padded input", (1, 1, 10 ** 18), 4, "padding=10**18")
    Traceback (most recent call last):
    ...
    ValueError: conv1d: padding=10**18 is too large: the padded input would have shape \
(1, 1, 1000000000000000000), 4e+18 bytes, more than this machine's memory ...
    """
    need = math.prod(shape) * itemsize
    bound = memory_bytes() if limit is None else limit
    if need > bound:
        where = "this machine's memory" if limit is None else "the limit"
        raise ValueError(f"{op}: {argument} is too large: {what} would have shape "
                         f"{tuple(shape)}, {need:.3g} bytes, more than {where} "
                         f"({bound:.3g} bytes)")
