"""The two ways to compute a true N-d convolution, and the cost model that picks between them.

Both engines compute the same thing: the part ``window`` of the full convolution
``y[n] = sum_j in1[n - j] * in2[j]`` (length ``n1 + n2 - 1`` along each axis). The modes
differ only in which window they keep, so ``window`` is the one place where modes live.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import scipy.fft

Window = tuple[tuple[int, int], ...]  # (start, stop) per axis, indices into the full output

# The cost model, in units of one multiply-add of the direct engine (0.25-0.5 ns here).
# Fitted by least squares to 444 timings (1-D/2-D/3-D, every mode, float32/float64) on the
# project's 2-core machine; on those timings, picking by it was on average 2% slower than
# always picking the faster engine, 1.9x at worst. The constants set only the crossover,
# so their order of magnitude is what matters. docs/signal.md gives the numbers.
FFT_COST = 3.0  # per point of F * log(F), F = prod(fft_shape): three transforms
FFT_OVERHEAD = 50_000.0  # per call: plans, padding copies, the crop (~25 us)
DIRECT_TAP_OVERHEAD = 5_000.0  # per tap: slicing and one NumPy call (~2.4 us)
PARALLEL_FFT_POINTS = 2**16


def window(shape1: tuple[int, ...], shape2: tuple[int, ...], mode: str) -> Window:
    """Which part of the full convolution each mode keeps, as scipy.signal defines it.

    "same" keeps ``n1`` outputs starting at ``(n2 - 1) // 2``, so for an even kernel the
    extra sample falls on the left. "valid" keeps the ``|n1 - n2| + 1`` outputs that do not
    depend on the zero padding, whichever input is the larger.
    """
    if mode == "full":
        return tuple((0, n1 + n2 - 1) for n1, n2 in zip(shape1, shape2))
    if mode == "same":
        return tuple(((n2 - 1) // 2, (n2 - 1) // 2 + n1) for n1, n2 in zip(shape1, shape2))
    return tuple((min(n1, n2) - 1, max(n1, n2)) for n1, n2 in zip(shape1, shape2))


def fft_shape(shape1: tuple[int, ...], shape2: tuple[int, ...], win: Window,
              real: bool = True) -> tuple[int, ...]:
    """The smallest fast FFT size per axis whose circular convolution is exact on ``win``.

    A circular convolution of length ``L`` adds ``y[m + L]`` onto ``y[m]``. The window is
    untouched when every index in it is below ``L`` (``stop <= L``) and ``m + L`` lies past
    the end of the full output (``start + L >= n1 + n2 - 1``). So "valid" needs only
    ``L >= max(n1, n2)``, not the ``n1 + n2 - 1`` that "full" needs.
    """
    return tuple(
        scipy.fft.next_fast_len(max(stop, n1 + n2 - 1 - start, 1), real=real)
        for n1, n2, (start, stop) in zip(shape1, shape2, win)
    )


def costs(shape1: tuple[int, ...], shape2: tuple[int, ...], win: Window) -> tuple[float, float]:
    """Estimated (direct, fft) cost, in units of one direct multiply-add.

    direct: ``taps * (out + DIRECT_TAP_OVERHEAD)``, one pass over (at most) the whole output
    per tap of the smaller input. fft: ``FFT_COST * F * log(F) + FFT_OVERHEAD`` with
    ``F = prod(fft_shape)``.
    """
    out = math.prod(stop - start for start, stop in win)
    taps = min(math.prod(shape1), math.prod(shape2))
    points = math.prod(fft_shape(shape1, shape2, win))
    direct_cost = float(taps) * (out + DIRECT_TAP_OVERHEAD)
    return direct_cost, FFT_COST * points * math.log(max(points, 2)) + FFT_OVERHEAD


def direct(in1: np.ndarray, in2: np.ndarray, win: Window, dtype: np.dtype) -> np.ndarray:
    """Convolve by looping over the taps of the smaller input, one sliced multiply-add each.

    Convolution is commutative, so the loop runs over whichever input has fewer elements;
    each tap adds a scaled copy of the other input onto the part of the output window it
    overlaps. Integer inputs stay integers, so the result is exact.
    """
    work = np.float32 if dtype == np.float16 else dtype  # accumulate float16 more precisely
    out = np.zeros(tuple(stop - start for start, stop in win), dtype=work)
    big, small = (in1, in2) if in1.size >= in2.size else (in2, in1)
    big = big.astype(work, copy=False)
    small = small.astype(work, copy=False)
    # Slices depend on one axis at a time, so build them per axis once, not per tap.
    per_axis = [_tap_slices(n_small, n_big, start, stop)
                for n_small, n_big, (start, stop) in zip(small.shape, big.shape, win)]
    # inf * 0 and overflow give NaN and inf silently, as in scipy's direct method.
    with np.errstate(invalid="ignore", over="ignore"):
        for parts in itertools.product(*per_axis):
            tap, out_index, big_index = zip(*parts)
            out[out_index] += small[tap] * big[big_index]
    return out.astype(dtype, copy=False)


def _tap_slices(n_small: int, n_big: int, start: int, stop: int) -> list[tuple[int, slice, slice]]:
    """Along one axis: (tap j, output slice, slice of the big input) for every tap that lands.

    Tap ``j`` contributes to full-output indices ``n`` with ``0 <= n - j < n_big``; keep those
    inside ``[start, stop)``.
    """
    taps = []
    for j in range(n_small):
        lo, hi = max(start, j), min(stop, j + n_big)
        if lo < hi:
            taps.append((j, slice(lo - start, hi - start), slice(lo - j, hi - j)))
    return taps


def fft(in1: np.ndarray, in2: np.ndarray, win: Window, dtype: np.dtype) -> np.ndarray:
    """Convolve by FFT, multiply, inverse FFT on a zero-padded fast size, then crop.

    Real inputs use the half-spectrum ``rfftn``/``irfftn``; complex ones ``fftn``/``ifftn``.
    Floats keep their precision (float32 stays float32); integers, bools and float16 are
    transformed in float64 and cast back, integers after rounding, which is exact only while
    the results stay well below 2**52.
    """
    is_complex = dtype.kind == "c"
    work = dtype if dtype.kind in "fc" and dtype != np.float16 else np.dtype(np.float64)
    shape = fft_shape(in1.shape, in2.shape, win, real=not is_complex)
    # Threads pay off only on large transforms: below ~64k points, measured here, starting
    # them costs more than it saves (a 128x128 rfftn/irfftn pair: 117 us on 1, 162 us on -1).
    workers = -1 if math.prod(shape) >= PARALLEL_FFT_POINTS else 1
    a, b = in1.astype(work, copy=False), in2.astype(work, copy=False)
    forward, inverse = ((scipy.fft.fftn, scipy.fft.ifftn) if is_complex
                        else (scipy.fft.rfftn, scipy.fft.irfftn))
    spectrum = forward(a, shape, workers=workers) * forward(b, shape, workers=workers)
    full = inverse(spectrum, shape, workers=workers, overwrite_x=True)
    out = full[tuple(slice(start, stop) for start, stop in win)]
    if dtype.kind in "biu":
        out = np.round(out)
    return out.astype(dtype)
