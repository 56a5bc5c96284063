"""Max pooling as loops compiled by numba (imported by :mod:`.pool_max` on first use only).

Every pool arrives as a 3-D one over planes: (P, D, H, W) with P = N * C; a 2-D pool has
D = 1 and a 1-D pool D = H = 1. Padding is never materialised: each kernel tap visits the
range of output columns whose input column lies inside the plane, so padding never wins and
a window of only padding keeps the index -1 (and the value -inf).

The rules are the NumPy path's (:func:`.pool_max._argmax_taps`), applied per window in the
same tap order, so the results are the same bits: the first real element starts the search,
a later one replaces the maximum only if it is greater or NaN (the first maximum wins ties,
the last NaN wins). The backward visits windows in reverse row-major order, which is the
order of increasing tap for every input element it reaches, so overlapping gradients are
summed in the NumPy path's order.

On an input without NaN, unpadded 2x2 windows and 1-D windows of 2 (LeNet's and most CNNs'
pooling) run unrolled loops over the rows of all planes: a strict ``>`` from the first tap,
which LLVM compiles to selects. Branches there (a NaN test beside the comparison) or calls
that are not inlined made the loops 2-10x slower, hence ``inline="always"`` on the helpers.
Work below ``convlens.conv._threads.SERIAL_BELOW`` taps runs on one thread (no thread
launch); above it, planes or rows are split in fixed chunks, and every output element (every
plane of the gradient) is written by one job, so the results do not depend on the threads.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange

from ..conv import _threads


@njit(cache=True, inline="always")
def _inside(n_out, n_in, stride, offset):  # pragma: no cover - compiled
    """The outputs o in [lo, hi) whose input index o * stride + offset lies in [0, n_in)."""
    lo = 0 if offset >= 0 else (-offset + stride - 1) // stride
    hi = 0 if offset >= n_in else (n_in - 1 - offset) // stride + 1
    return lo, max(lo, min(hi, n_out))


@njit(cache=True, inline="always")
def _row(x_row, best, where, lo, hi, sw, first):  # pragma: no cover - compiled
    """One kernel tap along an output row: windows [lo, hi) read x_row[j * sw].

    The NumPy path's rule: the first real element starts the search; a later one replaces
    the maximum if it is greater or NaN.
    """
    bs, ws = best[lo:hi], where[lo:hi]
    for j in range(hi - lo):
        value = x_row[j * sw]
        if ws[j] < 0 or value > bs[j] or value != value:
            bs[j] = value
            ws[j] = first + j * sw


@njit(cache=True, inline="always")
def _general(x, out, index, kernel, stride, dilation, pad):  # pragma: no cover - compiled
    """Max and flat argmax (into the D * H * W plane) of every window of one plane."""
    D, H, W = x.shape
    Do, Ho, Wo = out.shape
    for od in range(Do):
        for oh in range(Ho):
            best, where = out[od, oh], index[od, oh]
            best[:] = -np.inf
            where[:] = -1
            for a in range(kernel[0]):
                d = od * stride[0] + a * dilation[0] - pad[0]
                if d < 0 or d >= D:
                    continue
                for b in range(kernel[1]):
                    h = oh * stride[1] + b * dilation[1] - pad[1]
                    if h < 0 or h >= H:
                        continue
                    for c in range(kernel[2]):
                        start = c * dilation[2] - pad[2]
                        lo, hi = _inside(Wo, W, stride[2], start)
                        first = (d * H + h) * W + lo * stride[2] + start
                        _row(x[d, h, lo * stride[2] + start:], best, where, lo, hi,
                             stride[2], first)


@njit(cache=True, inline="always")
def _two_by_two_row(r0, r1, best_row, where_row, first, W, sw, dh, dw):  # pragma: no cover
    """One output row of 2x2 windows over input rows ``r0`` and ``r1`` (see ``_two_by_two``)."""
    for j in range(best_row.size):
        k = j * sw
        best, off = r0[k], 0
        value = r0[k + dw]
        take = value > best
        best, off = (value, dw) if take else (best, off)
        value = r1[k]
        take = value > best
        best, off = (value, dh * W) if take else (best, off)
        value = r1[k + dw]
        take = value > best
        best, off = (value, dh * W + dw) if take else (best, off)
        best_row[j] = best
        where_row[j] = first + k + off


@njit(cache=True)
def _two_by_two(x, out, index, H, Ho, sh, sw, dh, dw, start, stop):  # pragma: no cover
    """``_general`` for 2x2 windows inside their planes, without NaN: output rows [start, stop).

    ``x`` is (P * H, W) and ``out``, ``index`` are (P * Ho, Wo): every plane's rows, one after
    another. Without NaN the rule is a strict ``>`` from the first tap; with the four taps
    written out LLVM makes selects of the choices, not unpredictable branches (10x faster).
    The usual stride 2 gets its own copy of the loop, with the constants known (2x faster).
    """
    W = x.shape[1]
    for r in range(start, stop):
        top = r // Ho * H + r % Ho * sh          # the window's first input row
        first = r % Ho * sh * W
        if sw == 2 and dw == 1 and dh == 1:
            _two_by_two_row(x[top], x[top + 1], out[r], index[r], first, W, 2, 1, 1)
        else:
            _two_by_two_row(x[top], x[top + dh], out[r], index[r], first, W, sw, dh, dw)


@njit(cache=True)
def _pairs(x, out, index, sw, dw, start, stop):  # pragma: no cover - compiled
    """``_two_by_two`` for 1-D windows of 2: ``x`` is (P, L), ``out`` (P, L_out)."""
    for r in range(start, stop):
        row, best_row, where_row = x[r], out[r], index[r]
        for j in range(out.shape[1]):
            k = j * sw
            best, value = row[k], row[k + dw]
            take = value > best
            best_row[j] = value if take else best
            where_row[j] = k + dw if take else k


@njit(cache=True)
def _chunk(kind, x, out, index, kernel, stride, dilation, pad, start, stop):  # pragma: no cover
    """Planes [start, stop) (rows of all planes for the unrolled kinds) of ``_forward``."""
    P, D, H, W = x.shape
    if kind == 1:
        _two_by_two(x.reshape(P * H, W), out.reshape(-1, out.shape[3]),
                    index.reshape(-1, out.shape[3]), H, out.shape[2], stride[1], stride[2],
                    dilation[1], dilation[2], start, stop)
    elif kind == 2:
        _pairs(x.reshape(P, W), out.reshape(P, -1), index.reshape(P, -1), stride[2],
               dilation[2], start, stop)
    else:
        for p in range(start, stop):
            _general(x[p], out[p], index[p], kernel, stride, dilation, pad)


@njit(cache=True)
def _forward_serial(kind, x, out, index, kernel, stride, dilation, pad, jobs):  # pragma: no cover
    _chunk(kind, x, out, index, kernel, stride, dilation, pad, 0, jobs)


@njit(parallel=True, cache=True)
def _forward_parallel(kind, x, out, index, kernel, stride, dilation, pad, jobs, chunks
                      ):  # pragma: no cover - compiled
    for c in prange(chunks):
        _chunk(kind, x, out, index, kernel, stride, dilation, pad, c * jobs // chunks,
               (c + 1) * jobs // chunks)


@njit(cache=True, inline="always")
def _scatter_plane(grad_output, index, grad_input, assign):  # pragma: no cover - compiled
    """grad_input[index[k]] += grad_output[k] over the windows k of one flat plane, last first.

    ``assign`` (windows that never share an element, each with an argmax) stores instead of
    adding, in any order, as the NumPy path does there, which keeps a gradient of -0.0.
    """
    grad_input[:] = 0
    if assign:
        for k in range(index.size):
            grad_input[index[k]] = grad_output[k]
        return
    for k in range(index.size - 1, -1, -1):
        i = index[k]
        if i >= 0:
            grad_input[i] += grad_output[k]


@njit(cache=True)
def _backward_serial(grad_output, index, grad_input, assign, jobs):  # pragma: no cover
    for p in range(jobs):
        _scatter_plane(grad_output[p], index[p], grad_input[p], assign)


@njit(parallel=True, cache=True)
def _backward_parallel(grad_output, index, grad_input, assign, jobs, chunks
                       ):  # pragma: no cover - compiled
    for c in prange(chunks):
        for p in range(c * jobs // chunks, (c + 1) * jobs // chunks):
            _scatter_plane(grad_output[p], index[p], grad_input[p], assign)


def _threads_for(work: int) -> int:
    """Threads for ``work`` window taps: one below ``_threads.SERIAL_BELOW``, else the budget."""
    threads = min(_threads.threads_for(work), numba.config.NUMBA_NUM_THREADS)
    if threads > 1:
        numba.set_num_threads(threads)
    return threads


def _run(serial, parallel, args: tuple, jobs: int, work: int) -> None:
    """``serial(*args, jobs)``, or ``parallel`` over 4 chunks of the jobs per thread."""
    threads = _threads_for(work)
    if threads > 1:
        parallel(*args, jobs, 4 * threads)
    else:
        serial(*args, jobs)


def _lift(shape: tuple[int, ...]) -> tuple[int, ...]:
    """(N, C, *S) with 1 to 3 spatial dims as (N * C, D, H, W)."""
    return (shape[0] * shape[1], *(1,) * (5 - len(shape)), *shape[2:])


def _as3(values: tuple[int, ...], fill: int) -> np.ndarray:
    return np.array((fill,) * (3 - len(values)) + tuple(values), dtype=np.int64)


def _kind(kernel: tuple[int, ...], unpadded: bool, nan: bool) -> int:
    """0: the general loops; 1: unrolled 2x2 windows; 2: unrolled 1-D windows of 2."""
    if nan or not unpadded:
        return 0
    return {(2, 2): 1, (2,): 2}.get(tuple(kernel), 0)


def max_pool(x: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...],
             dilation: tuple[int, ...], padding: tuple[tuple[int, int], ...],
             out_size: tuple[int, ...], nan: bool) -> tuple[np.ndarray, np.ndarray]:
    """Max of each window of ``x`` (N, C, *S) and its flat index into the S plane (-1: none).

    ``padding`` holds (low, high) pairs (the high side only extends the last windows);
    ``nan`` says whether ``x`` may hold a NaN, which rules out the unrolled loops.
    """
    out = np.empty((*x.shape[:2], *out_size), dtype=x.dtype)
    # int32 indices where a plane allows them: less memory to write and to read back
    index = np.empty(out.shape, dtype=np.int32 if math.prod(x.shape[2:]) < 2**31 else np.int64)
    kind = _kind(kernel, all(lo == hi == 0 for lo, hi in padding), nan)
    planes = x.shape[0] * x.shape[1]
    jobs = planes * out_size[0] if kind == 1 else planes     # output rows, or planes
    args = (kind, np.ascontiguousarray(x).reshape(_lift(x.shape)),
            out.reshape(_lift(out.shape)), index.reshape(_lift(out.shape)), _as3(kernel, 1),
            _as3(stride, 1), _as3(dilation, 1), _as3(tuple(lo for lo, _ in padding), 0))
    _run(_forward_serial, _forward_parallel, args, jobs, out.size * int(np.prod(kernel)))
    return out, index


def scatter(grad_output: np.ndarray, index: np.ndarray, in_shape: tuple[int, ...],
            tiled: bool) -> np.ndarray:
    """The backward of :func:`max_pool`: each window's gradient goes to its argmax.

    ``tiled`` (windows of stride = size that never share an element, on an input without NaN)
    stores instead of adding, as the NumPy path does there, which keeps a gradient of -0.0.
    """
    planes, windows = in_shape[0] * in_shape[1], int(np.prod(index.shape[2:]))
    grad_input = np.empty(in_shape, dtype=grad_output.dtype)
    args = (np.ascontiguousarray(grad_output).reshape(planes, windows),
            index.reshape(planes, windows),
            grad_input.reshape(planes, int(np.prod(in_shape[2:]))), tiled)
    _run(_backward_serial, _backward_parallel, args, planes, grad_input.size)
    return grad_input
