"""FFT sizes and overlap-save blocking for the ``fft`` engine.

Along each spatial dim the engine works in one of two modes:

- **whole**: one circular convolution of the whole (unpadded) input, of length
  ``L >= max(n + max(pad_lo, pad_hi), span, out)``. The zero padding is never materialised:
  the kernel is placed at offset ``pad_lo`` instead, and with that ``L`` the circular
  wrap-around only ever meets zeros. (Proof: an index ``i - pad_lo + j`` of the padded
  correlation lies in ``[-pad_lo, n + pad_hi)``; reduced mod ``L`` it can only land on data if
  it already was data.)
- **blocked** (overlap-save, as in ``scipy.signal.oaconvolve`` but saving instead of adding
  on the forward side): the padded input is cut into overlapping windows of
  ``B + span - 1`` samples that each give ``B`` outputs with an FFT of length ``L``. Worth it
  when the input is much longer than the kernel: the FFTs are shorter, and every window
  becomes another row of the per-frequency matrix product.

Transform cost per point is modelled as a fixed part plus a weighted count of the length's
prime factors, fitted to pocketfft (``scipy.fft``) timings of 128-160 point 2-D transforms:
radix 2 is cheapest, so 144 = 2^4 3^2 beats the shorter 135 = 3^3 5. Past 2048 points a
transform falls out of cache and each doubling costs about 30% more per point (measured on a
16000-sample, 257-tap layer: 9 windows of 2048 beat one 16384-point transform by 1.9x).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from .geometry import ConvSpec

_FACTOR_COST = {2: 1.0, 3: 2.1, 5: 4.2, 7: 4.7}
_BASE_COST = 3.0          # per point, whatever the length (loads, stores, twiddles)
_CACHE_LENGTH = 2048      # beyond this, each doubling costs _CACHE_PENALTY more per point
_CACHE_PENALTY = 0.3
_MIN_BLOCKED_RATIO = 4     # consider blocking only when n >= this many kernel spans


@dataclass(frozen=True)
class FFTPlan:
    """Per spatial dim: FFT length, outputs per block, number of blocks and kernel offset."""

    size: tuple[int, ...]       # L
    block: tuple[int, ...]      # B: stride-1 outputs per block (whole mode: all of them)
    blocks: tuple[int, ...]     # nb
    blocked: tuple[bool, ...]
    shift: tuple[int, ...]      # kernel offset: pad_lo in whole mode, 0 in blocked mode
    span: tuple[int, ...]       # dilation * (k - 1) + 1
    out1: tuple[int, ...]       # stride-1 output count

    @property
    def rfft_size(self) -> tuple[int, ...]:
        return (*self.size[:-1], self.size[-1] // 2 + 1)

    @property
    def frequencies(self) -> int:
        return math.prod(self.rfft_size)

    @property
    def windows(self) -> int:
        return math.prod(self.blocks)


def factor_cost(n: int) -> float:
    """Relative cost per point of a length-``n`` FFT (sum of weighted prime factors)."""
    length, cost = n, _BASE_COST
    for p, weight in _FACTOR_COST.items():
        while n % p == 0:
            n //= p
            cost += weight
    if n != 1:
        return math.inf
    return cost * (1 + _CACHE_PENALTY * max(0.0, math.log2(length / _CACHE_LENGTH)))


@functools.lru_cache(maxsize=1024)
def good_size(minimum: int, slack: float = 1.3) -> int:
    """The 7-smooth length in ``[minimum, slack * minimum]`` with the least transform cost.

    Only the 7-smooth candidates are visited (a few thousand up to 10**9), so the search
    takes microseconds whatever the size.
    """
    best, best_cost = minimum, math.inf
    for n in _smooth_numbers(max(minimum, 1), int(minimum * slack) + 1):
        cost = n * factor_cost(n)
        if cost < best_cost:
            best, best_cost = n, cost
    return best


def _smooth_numbers(low: int, high: int) -> list[int]:
    """The numbers 2^a 3^b 5^c 7^d in ``[low, high]``, ascending."""
    found, p2 = [], 1
    while p2 <= high:
        p3 = p2
        while p3 <= high:
            p5 = p3
            while p5 <= high:
                p7 = p5
                while p7 <= high:
                    if p7 >= low:
                        found.append(p7)
                    p7 *= 7
                p5 *= 5
            p3 *= 3
        p2 *= 2
    return sorted(found)


@functools.lru_cache(maxsize=1024)
def make_plan(in_size: tuple[int, ...], kernel: tuple[int, ...], spec: ConvSpec,
              mixing: float = 1.0) -> FFTPlan:
    """Choose whole or blocked mode, and the FFT length, for every spatial dim.

    ``mixing`` is the cost of the per-frequency channel product relative to one transform
    point (about ``4 C O / (C + O)`` scaled by the machine's constants); it favours fewer,
    shorter frequencies.
    """
    dims = []
    for n, k, d, (lo, hi) in zip(in_size, kernel, spec.dilation, spec.padding):
        span = d * (k - 1) + 1
        out1 = n + lo + hi - span + 1
        size = good_size(max(n + max(lo, hi), span, out1))
        dims.append((size, out1, 1, False, lo, span, out1))
        if n >= _MIN_BLOCKED_RATIO * span:
            whole_cost = size * (factor_cost(size) + mixing)
            blocked = _best_block(span, out1, mixing)
            if blocked is not None and blocked[0] < 0.9 * whole_cost:
                _, size_b, block, blocks = blocked
                dims[-1] = (size_b, block, blocks, True, 0, span, out1)
    return FFTPlan(*(tuple(d[i] for d in dims) for i in (0, 1, 2, 3, 4, 5, 6)))


def _best_block(span: int, out1: int, mixing: float) -> tuple[float, int, int, int] | None:
    """(cost, L, B, blocks) of the cheapest blocking with ``B >= span - 1``, or None."""
    best = None
    size = good_size(2 * span)
    while size < out1 + span - 1:
        block = size - span + 1
        blocks = -(-out1 // block)
        cost = blocks * size * (factor_cost(size) + mixing)
        if best is None or cost < best[0]:
            best = (cost, size, block, blocks)
        size = good_size(size * 2)
    return best
