"""Depthwise convolution (one input and one output channel per group) for the gemm engine.

There is no channel sum, so no matrix product: each kernel tap adds a scaled, shifted copy of
its channel. The work is laid out channels-last, (N, *S, C), and the last spatial axis is
merged with the channels, so every tap is one long contiguous multiply-add against a weight
vector repeated along that axis; samples are split across cores. Stride 1 only (the caller
falls back to im2col otherwise); any padding and dilation.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ._threads import run_chunks
from .geometry import ConvSpec

_ROW_BYTES = 512 << 10      # accumulator per chunk: stays in L2


def _channels_last_padded(x: np.ndarray, spec: ConvSpec) -> np.ndarray:
    """(N, C, *S) -> zero-padded (N, *S_pad, C)."""
    nd = spec.nd
    padded = np.zeros((x.shape[0], *spec.padded_size(tuple(x.shape[2:])), x.shape[1]),
                      dtype=x.dtype)
    inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(spec.padding, x.shape[2:]))
    padded[(slice(None), *inner)] = np.moveaxis(x, 1, 1 + nd)
    return padded


def _tap_views(padded: np.ndarray, spec: ConvSpec, kernel: tuple[int, ...],
               out_size: tuple[int, ...]) -> list[np.ndarray]:
    """For each tap, the (N, *out[:-1], out[-1] * C) window of the padded input it meets."""
    C = padded.shape[-1]
    merged = padded.reshape(*padded.shape[:-2], -1)                 # (N, *Sp[:-1], Wp * C)
    views = []
    for tap in np.ndindex(*kernel):
        starts = [t * d for t, d in zip(tap, spec.dilation)]
        index = [slice(s, s + n) for s, n in zip(starts[:-1], out_size[:-1])]
        index.append(slice(starts[-1] * C, (starts[-1] + out_size[-1]) * C))
        views.append(merged[(slice(None), *index)])
    return views


def _rows_per_chunk(out_size: tuple[int, ...], C: int, itemsize: int) -> int:
    return max(1, _ROW_BYTES // (math.prod(out_size) * C * itemsize))


def forward(x: np.ndarray, w: np.ndarray, spec: ConvSpec) -> np.ndarray:
    """Depthwise cross-correlation, ``w`` of shape (C, 1, *K); returns (N, C, *S_out)."""
    N, C, nd = x.shape[0], x.shape[1], spec.nd
    kernel = tuple(w.shape[2:])
    out_size = spec.output_size(tuple(x.shape[2:]), kernel)
    views = _tap_views(_channels_last_padded(x, spec), spec, kernel, out_size)
    # weight of each tap repeated along the merged (last spatial, channel) axis
    coef = np.tile(w.reshape(C, -1).T, (1, out_size[-1]))             # (taps, W_out * C)
    acc = np.empty((N, *out_size[:-1], out_size[-1] * C), dtype=x.dtype)

    def work(start: int, stop: int) -> None:
        out, tmp = acc[start:stop], np.empty_like(acc[start:stop])
        np.multiply(views[0][start:stop], coef[0], out=out)
        for view, c in zip(views[1:], coef[1:]):
            np.multiply(view[start:stop], c, out=tmp)
            out += tmp

    run_chunks(work, N, _rows_per_chunk(out_size, C, x.itemsize))
    return np.ascontiguousarray(np.moveaxis(acc.reshape(N, *out_size, C), 1 + nd, 1))


def grad_weight(grad_output: np.ndarray, x: np.ndarray, w_shape: tuple[int, ...],
                spec: ConvSpec) -> np.ndarray:
    """Per channel and tap, the dot product of grad_output with the shifted input."""
    N, C, nd = x.shape[0], x.shape[1], spec.nd
    kernel, out_size = tuple(w_shape[2:]), tuple(grad_output.shape[2:])
    views = _tap_views(_channels_last_padded(x, spec), spec, kernel, out_size)
    gy = np.ascontiguousarray(np.moveaxis(grad_output, 1, 1 + nd)).reshape(views[0].shape)
    per = _rows_per_chunk(out_size, C, x.itemsize)
    partial: dict[int, np.ndarray] = {}

    def work(start: int, stop: int) -> None:
        sums = np.empty((len(views), gy.shape[-1]), dtype=x.dtype)
        g = gy[start:stop].reshape(-1, gy.shape[-1])
        for t, view in enumerate(views):
            np.einsum("rk,rk->k", g, view[start:stop].reshape(g.shape), out=sums[t])
        partial[start] = sums

    run_chunks(work, N, per)
    total = functools.reduce(np.add, (partial[k] for k in sorted(partial)))
    total = total.reshape(len(views), out_size[-1], C).sum(axis=1)      # (taps, C)
    return np.ascontiguousarray(total.T).reshape(w_shape)
