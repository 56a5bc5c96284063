"""The cost model behind ``algorithm="auto"``: estimated seconds per engine and pass.

Each engine's work on one call is counted as *features* (below), mirroring what its code
does; the estimate is ``sum(CONSTANTS[f] * count[f])``. The constants are seconds per unit,
fitted by non-negative least squares on timings of every engine over a grid of shapes:
``python benchmarks/fit_cost_model.py`` re-measures them on the current machine and prints a
new ``CONSTANTS`` block to paste here (see ``docs/performance.md``).

Features
--------
flop      real multiply-add flops in large BLAS products (im2col, Winograd tile products)
tflop     flops of the Winograd tile transforms (BLAS, but only 36 or 16 deep)
cflop     real flops of the FFT engine's per-frequency complex products
out       elements written by BLAS products: a per-output cost that makes shallow products
          (small contraction, as in Winograd's transforms) slower per flop
matrix    matrices in batched products (per-matrix overhead dominates when they are tiny)
fft       transform points times the length's factor cost (see ``_fft_plan.factor_cost``)
gather    bytes copied through strided views (tile and window gathers, scatters)
stream    bytes moved by contiguous copies (padding, crops, transposes of whole arrays)
ewise     elements touched by NumPy elementwise loops (depthwise taps, conjugates)
dflop     flops of the direct engine's per-tap ``einsum``
call      fixed overhead per engine call
"""

from __future__ import annotations

import functools
import math
from collections import Counter

from . import _columns, winograd
from ._compiled_cost import CONSTANTS as _COMPILED_CONSTANTS
from ._compiled_cost import compiled_features
from ._fft_plan import factor_cost
from .fft import plan_for
from .geometry import ConvSpec

# Seconds per unit, fitted on a shared 2-core AMD EPYC (OpenBLAS and pocketfft on 2 threads)
# by benchmarks/fit_cost_model.py over 28 layer shapes x 4 engines x 2 passes.
CONSTANTS: dict[str, float] = {
    "flop": 6.255e-12,
    "tflop": 1.784e-11,
    "cflop": 2.613e-11,
    "out": 1.076e-10,
    "matrix": 8.814e-08,
    "fft": 2.837e-10,
    "gather": 1.546e-10,
    "stream": 9.532e-11,
    "ewise": 2.103e-10,
    "dflop": 6.650e-11,
    "call": 7.704e-05,
}

# The chooser's handicap per engine: its estimate is multiplied by this before comparing.
# Winograd's time depends on how its strided tile gathers fare on the image size, which the
# features capture least well (its estimates are off by up to 1.7x on small images), so it
# must look 15% cheaper than the alternatives to be chosen.
# The compiled engine must look 10% cheaper: its first use per dtype after install compiles
# its kernels (about 6 s), which a tie does not repay.
MARGIN: dict[str, float] = {"direct": 1.0, "gemm": 1.0, "winograd": 1.15, "fft": 1.0,
                            "compiled": 1.1}

PASSES = ("forward", "grad_input", "grad_weight")


def _sizes(x_shape, w_shape, spec):
    N, C, O, G = x_shape[0], x_shape[1], w_shape[0], spec.groups
    kernel = tuple(w_shape[2:])
    out = spec.output_size(tuple(x_shape[2:]), kernel)
    return N, C, O, G, kernel, out


def direct_features(x_shape, w_shape, spec: ConvSpec, item: int, pass_: str) -> Counter:
    N, C, O, G, kernel, out = _sizes(x_shape, w_shape, spec)
    return Counter(dflop=2 * N * O * w_shape[1] * math.prod(kernel) * math.prod(out),
                   stream=item * N * (C + O) * math.prod(out) * math.prod(kernel),
                   matrix=math.prod(kernel), call=1)


def gemm_features(x_shape, w_shape, spec: ConvSpec, item: int, pass_: str) -> Counter:
    N, C, O, G, kernel, out = _sizes(x_shape, w_shape, spec)
    K, P = math.prod(kernel), math.prod(out)
    macs = N * O * w_shape[1] * K
    if all(k == 1 for k in kernel) and set(spec.stride) == {1} and spec.is_unpadded:
        return Counter(flop=2 * macs * P, matrix=N * G, stream=item * N * O * P, call=1,
                       out=N * O * P)
    if pass_ == "grad_input" and set(spec.stride) == {1} and C >= O:
        flipped = _flipped_spec(w_shape, spec)
        swapped = (x_shape[0], O, *out)
        return gemm_features(swapped, (C, O // G, *kernel), flipped, item, "forward")
    depthwise = G > 1 and w_shape[0] == G and w_shape[1] == 1
    if depthwise and set(spec.stride) == {1}:      # channels-last taps, see _depthwise
        return Counter(ewise=2 * K * N * C * P, call=1, stream=item * N * C * (
            math.prod(spec.padded_size(tuple(x_shape[2:]))) + 2 * P))
    if set(spec.stride) == {1}:
        plan = _columns.flat_plan(tuple(x_shape[2:]), kernel, spec)
        positions, copied = plan.positions, "stream"
        pad = item * N * C * plan.length
    else:
        positions, copied, pad = P, "gather", item * N * C * math.prod(
            spec.padded_size(tuple(x_shape[2:])))
    counts = Counter(flop=2 * macs * positions, stream=pad + item * N * O * P, call=1,
                     out=N * O * positions)
    counts[copied] += item * N * C * K * positions
    counts["matrix"] += G * max(1, item * C * K * positions * N // (8 << 20))
    if pass_ == "grad_input":                       # col2im: one slice-add per tap
        counts["ewise"] += 2 * N * C * K * positions
        counts[copied] -= item * N * C * K * positions
        counts["out"] += N * C * K * positions - N * O * positions
    return counts


def _flipped_spec(w_shape, spec: ConvSpec) -> ConvSpec:
    spans = [d * (k - 1) + 1 for k, d in zip(w_shape[2:], spec.dilation)]
    pads = tuple((max(s - 1 - lo, 0), max(s - 1 - hi, 0)) for s, (lo, hi) in
                 zip(spans, spec.padding))
    return ConvSpec((1,) * spec.nd, pads, spec.dilation, spec.groups)


def winograd_features(x_shape, w_shape, spec: ConvSpec, item: int, pass_: str) -> Counter:
    N, C, O, G, kernel, out = _sizes(x_shape, w_shape, spec)
    if pass_ == "grad_input":
        swapped = (N, O, *out)
        return winograd_features(swapped, (C, O // G, *kernel), _flipped_spec(w_shape, spec),
                                 item, "forward")
    a, m = winograd.ALPHA ** spec.nd, winograd.TILE ** spec.nd
    rows = N * math.prod(winograd._tiles(out))
    depthwise = w_shape[1] == 1 and O == G
    product = Counter(ewise=a * O * rows) if depthwise else Counter(
        flop=2 * a * O * w_shape[1] * rows, matrix=a * G, out=a * O * rows)
    if pass_ == "forward":
        counts = Counter(gather=item * a * C * rows + item * m * O * rows,
                         tflop=2 * a * a * C * rows + 2 * m * a * O * rows,
                         out=a * C * rows + m * O * rows,
                         stream=item * N * C * math.prod(x_shape[2:]), call=1)
    else:   # grad_weight reuses forward's transformed tiles
        counts = Counter(gather=item * m * O * rows, tflop=2 * m * a * O * rows,
                         out=a * O * rows, stream=item * O * rows * m, call=1)
    return counts + product


def fft_features(x_shape, w_shape, spec: ConvSpec, item: int, pass_: str,
                 cached: bool = False) -> Counter:
    N, C, O, G, kernel, out = _sizes(x_shape, w_shape, spec)
    plan = plan_for(x_shape, w_shape, spec)
    points = math.prod(plan.size) * sum(factor_cost(n) for n in plan.size) / len(plan.size)
    rows = N * plan.windows
    F = plan.frequencies
    counts = Counter(cflop=8 * F * rows * w_shape[1] * O, matrix=F * G, call=1,
                     out=2 * F * rows * (C if pass_ == "grad_input" else O))
    if pass_ == "forward":
        counts["fft"] += (rows * (C + O)) * points
        counts["stream"] += item * N * O * math.prod(plan.size)
        if not cached:
            counts["fft"] += 0.7 * O * w_shape[1] * points
    elif pass_ == "grad_input":
        counts["fft"] += rows * (O + C) * points        # grad_output's spectrum, then inverse
        counts["stream"] += item * N * C * math.prod(plan.size)
        counts["ewise"] += 2 * F * O * w_shape[1]        # conj of the kernel spectrum
    else:
        counts["fft"] += 0.6 * O * w_shape[1] * points   # pruned inverse at the taps
        counts["ewise"] += 2 * F * rows * C              # conj of the input spectrum
    if any(plan.blocked):
        counts["stream"] += item * N * C * math.prod(x_shape[2:])
    return counts


FEATURES = {"direct": direct_features, "gemm": gemm_features, "winograd": winograd_features,
            "fft": fft_features, "compiled": compiled_features}
CONSTANTS.update(_COMPILED_CONSTANTS)


def features(engine: str, x_shape, w_shape, spec: ConvSpec, itemsize: int = 4,
             requires_grad: bool = False, cached: bool = False,
             transposed: bool = False, input_grad: bool = True) -> Counter:
    """Summed feature counts of one call: forward, plus both gradients if ``requires_grad``.

    A ``transposed`` convolution's forward is the convolution's ``grad_input`` (and its
    backward the other two passes), so only that pass is priced when not training. Without
    ``input_grad`` (a network's first layer: its input needs no gradient) a training call
    is priced without ``grad_input``.
    """
    passes = PASSES if requires_grad else (("grad_input",) if transposed else PASSES[:1])
    if requires_grad and not input_grad and not transposed:
        passes = ("forward", "grad_weight")
    total = Counter()
    for pass_ in passes:
        if engine == "fft":
            total += fft_features(x_shape, w_shape, spec, itemsize, pass_, cached)
        else:
            total += FEATURES[engine](x_shape, w_shape, spec, itemsize, pass_)
    if engine == "fft" and passes == ("grad_input",) and not cached:
        # alone, grad_input transforms the kernel itself (else forward did, for both)
        total += fft_features(x_shape, w_shape, spec, itemsize, "forward") - \
            fft_features(x_shape, w_shape, spec, itemsize, "forward", cached=True)
    return total


@functools.lru_cache(maxsize=4096)
def estimate(engine: str, x_shape: tuple[int, ...], w_shape: tuple[int, ...], spec: ConvSpec,
             itemsize: int = 4, requires_grad: bool = False, cached: bool = False,
             transposed: bool = False, input_grad: bool = True) -> float:
    """Estimated seconds of one call of ``engine`` (forward, plus backward if training)."""
    counts = features(engine, x_shape, w_shape, spec, itemsize, requires_grad, cached,
                      transposed, input_grad)
    return float(sum(CONSTANTS[name] * value for name, value in counts.items()))
