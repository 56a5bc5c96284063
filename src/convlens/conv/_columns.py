"""im2col for the gemm engine: the column layouts and the gathers that fill them.

Two layouts, both giving columns of shape (G, C/G * prod(K), n * P) for a chunk of n samples,
so that one matrix product per group covers the whole chunk:

- **flat** (every stride 1): each padded channel is flattened, and kernel tap ``t`` reads the
  contiguous run ``flat[off_t : off_t + P]``, where ``P = out_0 * (padded row length)``. The
  positions past ``out_i`` along the inner dims are "garbage" outputs that the caller drops;
  they cost ``(span - 1) / padded`` extra work but make every copy a long contiguous run.
- **windows** (any stride): a strided ``sliding_window_view``, one position per output pixel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from .geometry import ConvSpec


@dataclass(frozen=True)
class FlatPlan:
    """Sizes of the flat layout for one input size, kernel and spec."""

    padded: tuple[int, ...]       # padded spatial size
    length: int                   # elements per padded channel
    tap_strides: tuple[int, ...]  # flat distance between neighbouring taps, per kernel dim
    kernel: tuple[int, ...]
    out_size: tuple[int, ...]
    positions: int                # P = out_0 * prod(padded[1:]) output slots per channel
    tail: int                     # zeros past the last channel so the last run stays in bounds

    def offsets(self) -> list[int]:
        """Flat offset of every kernel tap, in C order over the kernel dims."""
        return [sum(t * s for t, s in zip(tap, self.tap_strides))
                for tap in np.ndindex(*self.kernel)]


def flat_plan(in_size: tuple[int, ...], kernel: tuple[int, ...], spec: ConvSpec) -> FlatPlan:
    padded = spec.padded_size(in_size)
    row = [math.prod(padded[i + 1:]) for i in range(len(padded))]   # flat stride per dim
    taps = tuple(d * r for d, r in zip(spec.dilation, row))
    out_size = spec.output_size(in_size, kernel)
    positions = out_size[0] * row[0]
    length = math.prod(padded)
    offset = sum((k - 1) * s for k, s in zip(kernel, taps))
    return FlatPlan(padded, length, taps, tuple(kernel), out_size, positions,
                    max(0, offset + positions - length))


def padded_flat(x: np.ndarray, spec: ConvSpec, plan: FlatPlan) -> np.ndarray:
    """The zero-padded input as one flat buffer of N * C * L + tail elements."""
    N, C = x.shape[:2]
    buffer = np.zeros(N * C * plan.length + plan.tail, dtype=x.dtype)
    body = buffer[:N * C * plan.length].reshape(N, C, *plan.padded)
    body[(..., *(slice(lo, lo + n) for (lo, _), n in zip(spec.padding, x.shape[2:])))] = x
    return buffer


def tap_view(buffer: np.ndarray, plan: FlatPlan, channels: int, start: int, stop: int,
             offset: int) -> np.ndarray:
    """Samples ``start:stop`` of the runs that start ``offset`` into each channel: (n, C, P)."""
    item = buffer.itemsize
    return as_strided(buffer[start * channels * plan.length + offset:],
                      shape=(stop - start, channels, plan.positions),
                      strides=(channels * plan.length * item, plan.length * item, item),
                      writeable=False)


def flat_columns(buffer: np.ndarray, plan: FlatPlan, channels: int, groups: int, start: int,
                 stop: int) -> np.ndarray:
    """Columns (G, C/G * K, n * P) of samples ``start:stop`` from :func:`padded_flat`'s buffer."""
    n, L, item = stop - start, plan.length, buffer.itemsize
    cg = channels // groups
    view = as_strided(
        buffer[start * channels * L:],
        shape=(groups, cg, *plan.kernel, n, plan.positions),
        strides=tuple(v * item for v in (cg * L, L, *plan.tap_strides, channels * L, 1)),
        writeable=False,
    )
    cols = np.empty(view.shape, dtype=buffer.dtype)
    np.copyto(cols, view)
    return cols.reshape(groups, cg * math.prod(plan.kernel), n * plan.positions)


def flat_to_output(y_full: np.ndarray, plan: FlatPlan, batch: int,
                   channels_first: bool = True) -> np.ndarray:
    """Garbage-padded products (O, N, P), or (N, O, P), -> contiguous (N, O, *out)."""
    y = y_full.reshape(-1, batch, plan.out_size[0], *plan.padded[1:]) if channels_first else \
        y_full.reshape(batch, -1, plan.out_size[0], *plan.padded[1:])
    y = y[(..., *(slice(0, n) for n in plan.out_size[1:]))]
    return np.ascontiguousarray(np.moveaxis(y, 1, 0) if channels_first else y)


def output_to_flat(grad_output: np.ndarray, plan: FlatPlan, channels_first: bool = True
                   ) -> np.ndarray:
    """(N, O, *out) -> (O, N, P), or (N, O, P), zero at the garbage positions.

    This is the adjoint of :func:`flat_to_output`'s crop.
    """
    N, O = grad_output.shape[:2]
    lead = (O, N) if channels_first else (N, O)
    full = np.zeros((*lead, plan.out_size[0], *plan.padded[1:]), dtype=grad_output.dtype)
    full[(..., *(slice(0, n) for n in plan.out_size[1:]))] = (
        np.moveaxis(grad_output, 0, 1) if channels_first else grad_output)
    return full.reshape(*lead, plan.positions)


def window_columns(x: np.ndarray, spec: ConvSpec, kernel: tuple[int, ...], groups: int
                   ) -> np.ndarray:
    """Columns (G, C/G * K, N * P_out) for any stride, from a strided sliding-window view."""
    N, C, nd = x.shape[0], x.shape[1], spec.nd
    out_size = spec.output_size(x.shape[2:], kernel)
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, spec.dilation))
    view = sliding_window_view(zero_pad(x, spec), span, axis=tuple(range(2, 2 + nd)))
    view = view[(slice(None), slice(None),
                 *(slice(0, s * (n - 1) + 1, s) for s, n in zip(spec.stride, out_size)),
                 *(slice(None, None, d) for d in spec.dilation))]      # (N, C, *out, *K)
    order = (1, *range(2 + nd, 2 + 2 * nd), 0, *range(2, 2 + nd))     # (C, *K, N, *out)
    cols = np.empty([view.shape[i] for i in order], dtype=x.dtype)
    np.copyto(cols, view.transpose(order))
    return cols.reshape(groups, C // groups * math.prod(kernel), N * math.prod(out_size))


def zero_pad(x: np.ndarray, spec: ConvSpec) -> np.ndarray:
    """``x`` with ``spec.padding`` zeros around its spatial dims (``np.pad`` without overhead)."""
    if spec.is_unpadded:
        return x
    out = np.zeros((*x.shape[:2], *spec.padded_size(tuple(x.shape[2:]))), dtype=x.dtype)
    out[(..., *(slice(lo, lo + n) for (lo, _), n in zip(spec.padding, x.shape[2:])))] = x
    return out


def chunk_rows(bytes_per_sample: int, budget: int) -> int:
    """How many samples fit ``budget`` bytes of columns (at least one)."""
    return max(1, budget // max(1, bytes_per_sample))
