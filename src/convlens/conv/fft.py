"""The ``fft`` engine: convolution as FFT, per-frequency channel product, inverse FFT.

With ``v`` the kernel reversed and placed at offset ``pad_lo`` (see
:mod:`convlens.conv._fft_plan`), the layer's cross-correlation is the circular convolution
``y = x (*) v``, so per frequency ``f`` and group ``g``::

    Y[f] (N, O/G) = X[f] (N, C/G) @ V[f]^T               forward
    GX[f] (N, C/G) = GY[f] (N, O/G) @ conj(V[f])         grad_input  (correlation with v)
    GV[f] (O/G, C/G) = GY[f]^T @ conj(X[f])              grad_weight (then read v at the taps)

Channels are summed in the frequency domain, one batched complex matrix product per
frequency, so there is one inverse FFT per output map rather than one per channel pair. All
transforms run along the leading axes of arrays laid out (*spatial, ..., N, C); ``scipy.fft``
then returns spectra already in the (frequency, rows, channels) order the products need.
Stride is computed at stride 1 and subsampled; dilation places the taps ``dilation`` apart.
The kernel's spectrum comes from :data:`convlens.conv.spectrum_cache.SPECTRA` when the caller
passes a :class:`~convlens.conv.context.ConvContext` naming the weight.
"""

from __future__ import annotations

import importlib
import itertools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._fft_plan import FFTPlan, make_plan
from ._threads import get_num_threads, parallel_copy, run_chunks
from .capabilities import Capabilities
from .context import ConvContext
from .geometry import ConvSpec
from .spectrum_cache import SPECTRA

CAPABILITIES = Capabilities()


def _scipy_fft():
    """``scipy.fft``, imported on first use: it costs ~0.2 s, too much for ``import convlens``."""
    return importlib.import_module("scipy.fft")


_SMALL_PRODUCT = 1 << 16    # multiply-adds per matrix below which OpenBLAS stays on one thread


def plan_for(x_shape: tuple[int, ...], w_shape: tuple[int, ...], spec: ConvSpec) -> FFTPlan:
    """The FFT sizes and blocking used for this convolution."""
    cg, og = w_shape[1], w_shape[0] // spec.groups
    return make_plan(tuple(x_shape[2:]), tuple(w_shape[2:]), spec, 0.5 * cg * og / (cg + og))


# -- spectra ---------------------------------------------------------------------------------
def kernel_spectrum(w: np.ndarray, plan: FFTPlan, spec: ConvSpec) -> np.ndarray:
    """V: (F, G, O/G, C/G), the FFT of the reversed kernel placed at ``plan.shift``.

    Pruned: the last axis is transformed for the kernel's rows only, and every other axis
    after the rows it holds have been placed (zero rows are never transformed).
    """
    nd, workers = spec.nd, get_num_threads()
    a = w.transpose(*range(2, 2 + nd), 0, 1)                      # (*K, O, C/G)
    for axis in reversed(range(nd)):
        taps = (plan.shift[axis] - spec.dilation[axis] * np.arange(w.shape[2 + axis])
                ) % plan.size[axis]
        shape = list(a.shape)
        shape[axis] = plan.size[axis]
        buffer = np.zeros(shape, dtype=a.dtype)
        buffer[(slice(None),) * axis + (taps,)] = a
        if axis == nd - 1:
            a = _scipy_fft().rfft(buffer, axis=axis, workers=workers)
        else:
            a = _scipy_fft().fft(buffer, axis=axis, workers=workers, overwrite_x=True)
    return a.reshape(plan.frequencies, spec.groups, w.shape[0] // spec.groups, w.shape[1])


def spectrum_tag(w_shape: tuple[int, ...], dtype: np.dtype, plan: FFTPlan, spec: ConvSpec,
                 conjugate: bool = False) -> tuple:
    """Everything besides the weight's identity and values that its spectrum depends on."""
    return ("fft", tuple(w_shape), np.dtype(dtype).str, plan.size, plan.shift, spec.dilation,
            spec.groups, conjugate)


def _cached_kernel_spectrum(w: np.ndarray, plan: FFTPlan, spec: ConvSpec,
                            ctx: ConvContext | None, conjugate: bool = False) -> np.ndarray:
    tag = spectrum_tag(w.shape, w.dtype, plan, spec, conjugate)

    def compute() -> np.ndarray:
        spectrum = kernel_spectrum(w, plan, spec)
        return np.conj(spectrum) if conjugate else spectrum

    if ctx is None or ctx.weight is None:
        return compute()
    return SPECTRA.get(ctx.weight, w, tag, compute)


def _blocks(a: np.ndarray, plan: FFTPlan, lengths: tuple[int, ...],
            pad_lo: tuple[int, ...]) -> np.ndarray:
    """(N, ch, *S) -> a view (N, ch, nb_0, len_0, nb_1, len_1, ...) of blocks hopping by B.

    Whole dims are one block of the unpadded data. Blocked dims are zero-padded (``pad_lo``
    in front, enough behind for the last block) before they are cut.
    """
    widths = [(0, 0), (0, 0)]
    for n, nb, b, length, lo, blocked in zip(a.shape[2:], plan.blocks, plan.block, lengths,
                                             pad_lo, plan.blocked):
        widths.append((lo, (nb - 1) * b + length - n - lo) if blocked else (0, 0))
    if any(plan.blocked):
        a = np.pad(a, widths)
    shape, strides = list(a.shape[:2]), list(a.strides[:2])
    for i, length in enumerate(lengths):
        shape += [plan.blocks[i], length]
        strides += [plan.block[i] * a.strides[2 + i], a.strides[2 + i]]
    return as_strided(a, shape=shape, strides=strides, writeable=False)


def _transform(blocks: np.ndarray, plan: FFTPlan) -> np.ndarray:
    """(N, ch, nb_0, len_0, ...) real blocks -> their spectra, (F, windows * N, ch).

    The last axis is transformed first, where it is contiguous, then the array is put in
    (*frequency, *blocks, N, ch) order, and the other axes are transformed there: the
    products need that order, and zero rows added by padding are never row-transformed.
    """
    nd, workers = len(plan.size), get_num_threads()
    a = _scipy_fft().rfft(blocks, n=plan.size[-1], axis=-1, workers=workers)
    order = (*(3 + 2 * i for i in range(nd)), *(2 + 2 * i for i in range(nd)), 0, 1)
    a = parallel_copy(a.transpose(order))
    for axis in range(nd - 1):
        a = _scipy_fft().fft(a, n=plan.size[axis], axis=axis, workers=workers, overwrite_x=True)
    return a.reshape(plan.frequencies, -1, blocks.shape[1])


def _spectrum(x: np.ndarray, plan: FFTPlan, spec: ConvSpec) -> np.ndarray:
    """(F, windows * N, C): the input's spectrum, windows of B + span - 1 in blocked dims."""
    lengths = tuple(b + s - 1 if blocked else n for b, s, blocked, n in
                    zip(plan.block, plan.span, plan.blocked, x.shape[2:]))
    pad_lo = tuple(lo for lo, _ in spec.padding)
    return _transform(_blocks(x, plan, lengths, pad_lo), plan)


def _inverse(spectrum: np.ndarray, plan: FFTPlan, batch: int, keep: tuple[int, ...]
             ) -> np.ndarray:
    """(F, windows * N, ch) -> real (*keep, *blocks, N, ch): only the first ``keep`` points
    of every axis are inverted past the axis that holds them."""
    nd, workers = len(plan.size), get_num_threads()
    a = spectrum.reshape(*plan.rfft_size, *plan.blocks, batch, -1)
    for axis in range(nd - 1):
        a = _scipy_fft().ifft(a, axis=axis, workers=workers, overwrite_x=True)
        a = a[(slice(None),) * axis + (slice(0, keep[axis]),)]
    a = _scipy_fft().irfft(a, n=plan.size[-1], axis=nd - 1, workers=workers)
    return a[(slice(None),) * (nd - 1) + (slice(0, keep[-1]),)]


def _mix(a: np.ndarray, b: np.ndarray, groups: int) -> np.ndarray:
    """Per frequency and group: (rows, A/G) @ b (F, G, A/G, B/G) -> (F, rows, B).

    The matrices are small, so BLAS runs each on one thread; the frequencies are split across
    the conv thread pool instead (larger ones keep BLAS's own threads).
    """
    F, rows, channels = a.shape
    out = np.empty((F, rows, groups * b.shape[-1]), dtype=np.result_type(a, b))
    av = a.reshape(F, rows, groups, -1).transpose(0, 2, 1, 3)
    ov = out.reshape(F, rows, groups, -1).transpose(0, 2, 1, 3)

    def work(start: int, stop: int) -> None:
        np.matmul(av[start:stop], b[start:stop], out=ov[start:stop])

    small = rows * b.shape[-2] * b.shape[-1] < _SMALL_PRODUCT
    run_chunks(work, F, -(-F // get_num_threads()) if small else F)
    return out


# -- the engine ------------------------------------------------------------------------------
def forward(x: np.ndarray, w: np.ndarray, spec: ConvSpec, *,
            ctx: ConvContext | None = None) -> np.ndarray:
    """Cross-correlate ``x`` (N, C, *S) with ``w`` (O, C/G, *K); returns (N, O, *S_out)."""
    plan = plan_for(x.shape, w.shape, spec)
    X = _spectrum(x, plan, spec)                                     # (F, M, C)
    if ctx is not None:
        ctx.keep("fft_input_spectrum", X)
    V = _cached_kernel_spectrum(w, plan, spec, ctx)                 # (F, G, Og, Cg)
    y_full = _inverse(_mix(X, V.transpose(0, 1, 3, 2), spec.groups), plan, x.shape[0],
                      plan.block)
    return _assemble(y_full, plan, spec, spec.output_size(x.shape[2:], w.shape[2:]))


def _assemble(y_full: np.ndarray, plan: FFTPlan, spec: ConvSpec,
              out_size: tuple[int, ...]) -> np.ndarray:
    """(*L, *blocks, N, O) circular results -> (N, O, *out): crop, unblock, subsample."""
    nd = spec.nd
    y = y_full[tuple(slice(0, b) for b in plan.block)]             # (*B, *nb, N, O)
    order = (nd * 2, nd * 2 + 1, *itertools.chain(*((nd + i, i) for i in range(nd))))
    y = y.transpose(order)                                          # (N, O, nb_0, B_0, ...)
    if all(not b for b in plan.blocked) and set(spec.stride) == {1}:
        return parallel_copy(y.reshape(*y.shape[:2], *plan.block))
    y = parallel_copy(y).reshape(*y.shape[:2], *(
        nb * b for nb, b in zip(plan.blocks, plan.block)))
    keep = tuple(slice(0, s * (n - 1) + 1, s) for s, n in zip(spec.stride, out_size))
    return np.ascontiguousarray(y[(..., *keep)])


def _grad_spectrum(grad_output: np.ndarray, plan: FFTPlan, spec: ConvSpec,
                   ctx: ConvContext | None) -> np.ndarray:
    """(F, M, O): spectrum of grad_output at stride 1, laid out in blocks like the input."""
    saved = ctx.saved.get("fft_grad_spectrum") if ctx is not None else None
    if saved is not None and saved[0] is grad_output:
        return saved[1]
    gy = grad_output
    if set(spec.stride) != {1}:                                      # zero-stuff to stride 1
        gy = np.zeros((*grad_output.shape[:2], *plan.out1), dtype=grad_output.dtype)
        gy[(..., *(slice(None, None, s) for s in spec.stride))] = grad_output
    lengths = tuple(b if blocked else n for b, blocked, n in
                    zip(plan.block, plan.blocked, plan.out1))
    GY = _transform(_blocks(gy, plan, lengths, (0,) * spec.nd), plan)
    if ctx is not None:
        ctx.saved["fft_grad_spectrum"] = (grad_output, GY)
    return GY


def grad_input(grad_output: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...],
               spec: ConvSpec, *, ctx: ConvContext | None = None) -> np.ndarray:
    """d loss / d x: correlate grad_output with the kernel in the frequency domain."""
    plan = plan_for(x_shape, w.shape, spec)
    GY = _grad_spectrum(grad_output, plan, spec, ctx)
    Vc = _cached_kernel_spectrum(w, plan, spec, ctx, conjugate=True)    # (F, G, Og, Cg)
    lengths = tuple(b + s - 1 if blocked else n for b, s, blocked, n in
                    zip(plan.block, plan.span, plan.blocked, x_shape[2:]))
    gx_full = _inverse(_mix(GY, Vc, spec.groups), plan, x_shape[0], lengths)
    return _overlap_add(gx_full, plan, spec, x_shape)


def _overlap_add(gx_full: np.ndarray, plan: FFTPlan, spec: ConvSpec,
                 x_shape: tuple[int, ...]) -> np.ndarray:
    """(*L, *blocks, N, C) window gradients -> (N, C, *S), summing where windows overlap."""
    nd = spec.nd
    to_nc = (2 * nd, 2 * nd + 1, *itertools.chain(*((nd + i, i) for i in range(nd))))
    if not any(plan.blocked):
        gx = gx_full[tuple(slice(0, n) for n in x_shape[2:])]
        return np.ascontiguousarray(gx.transpose(to_nc).reshape(x_shape))
    sizes = [(nb + 1) * b if blocked else n for nb, b, blocked, n in
             zip(plan.blocks, plan.block, plan.blocked, x_shape[2:])]
    gxp = np.zeros((*x_shape[:2], *sizes), dtype=gx_full.dtype)
    split = gxp.reshape(*x_shape[:2], *itertools.chain(*(
        (nb + 1, b) if blocked else (1, n) for nb, b, blocked, n in
        zip(plan.blocks, plan.block, plan.blocked, x_shape[2:]))))
    parts = [[(slice(0, b), slice(0, nb), slice(0, b)), (slice(b, b + s - 1), slice(1, nb + 1),
             slice(0, s - 1))] if blocked else [(slice(0, n), slice(None), slice(None))]
             for nb, b, s, blocked, n in zip(plan.blocks, plan.block, plan.span, plan.blocked,
                                             x_shape[2:])]
    for combination in itertools.product(*parts):
        source = gx_full[tuple(c[0] for c in combination)].transpose(to_nc)
        target = tuple(itertools.chain(*((c[1], c[2]) for c in combination)))
        split[(slice(None), slice(None), *target)] += source
    crop = tuple(slice(lo, lo + n) if blocked else slice(None) for (lo, _), n, blocked in
                 zip(spec.padding, x_shape[2:], plan.blocked))
    return np.ascontiguousarray(gxp[(..., *crop)])


def grad_weight(grad_output: np.ndarray, x: np.ndarray, w_shape: tuple[int, ...],
                spec: ConvSpec, *, ctx: ConvContext | None = None) -> np.ndarray:
    """d loss / d w: per frequency GY^T @ conj(X), then the pruned inverse FFT at the taps."""
    plan = plan_for(x.shape, w_shape, spec)
    saved = ctx.saved.get("fft_input_spectrum") if ctx is not None else None
    X = saved if saved is not None else _spectrum(x, plan, spec)
    GY = _grad_spectrum(grad_output, plan, spec, ctx)
    G, og = spec.groups, w_shape[0] // spec.groups
    F, M = GY.shape[:2]
    gv = np.matmul(GY.reshape(F, M, G, og).transpose(0, 2, 3, 1),
                   np.conj(X).reshape(F, M, G, -1).transpose(0, 2, 1, 3))   # (F, G, Og, Cg)
    return _taps(gv.reshape(*plan.rfft_size, w_shape[0], w_shape[1]), plan, spec, w_shape)


def _taps(spectrum: np.ndarray, plan: FFTPlan, spec: ConvSpec,
          w_shape: tuple[int, ...]) -> np.ndarray:
    """Inverse FFT of (*Lf, O, C/G) evaluated only at the kernel taps -> (O, C/G, *K)."""
    nd, workers = spec.nd, get_num_threads()
    a = spectrum
    for axis in range(nd):
        taps = (plan.shift[axis] - spec.dilation[axis] * np.arange(w_shape[2 + axis])
                ) % plan.size[axis]
        if axis == nd - 1:
            a = _scipy_fft().irfft(a, n=plan.size[axis], axis=axis, workers=workers)
        else:
            a = _scipy_fft().ifft(a, axis=axis, workers=workers)
        a = np.take(a, taps, axis=axis)
    return np.ascontiguousarray(a.transpose(nd, nd + 1, *range(nd)).real)
