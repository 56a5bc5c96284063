"""The ``compiled`` engine: numba for the loops NumPy and BLAS do badly, BLAS for the rest.

A layer with few channels (LeNet's, MNIST-1D's, depthwise ones) gives BLAS thin matrices, and
the ``gemm`` engine spends most of its time in NumPy copies: one strided slice per kernel tap
to build the columns (im2col) and one slice-add per tap to scatter ``grad_input`` back
(col2im). Where the output channels per group are fewer than :data:`FLAT_BELOW`, all three
passes are a compiled direct convolution over flat planes (:mod:`convlens.conv._flat` lays
them out, at any stride and dilation; :mod:`convlens.conv._compiled_kernels` has the
register-blocked loops). Wider layers keep gemm's forward and ``grad_weight``, and compute
``grad_input``'s columns with BLAS and add them back with a compiled col2im.

numba is an optional extra (``pip install 'convlens[jit]'``). It is imported the first time the
engine runs, never by ``import convlens``. Without it (or after ``set_enabled(False)``)
``algorithm="auto"`` never picks this engine and ``algorithm="compiled"`` raises
``ImportError``. The first call per dtype compiles the kernels (seconds) and caches the
machine code on disk, so later processes load it.

Threads: a flat pass large enough to repay a hand-off (:data:`_CHUNK_WORK`) is split by
samples between the threads of the budget (``cl.set_num_threads``) on the pool of
:mod:`convlens.conv._threads`, whose threads sleep, never spin, while they wait. Every output
is summed in one fixed order whatever thread computes it, and ``grad_weight`` adds its
:data:`_WEIGHT_PARTS` partial sums in order, so the flat passes give the same bits at any
thread count. The matrix products follow the BLAS thread count, as the ``gemm`` engine's do.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
from collections.abc import Iterator
from types import ModuleType

import numpy as np

from . import _flat, _threads, gemm
from ._columns import chunk_rows
from ._flat import FlatLayout
from .capabilities import Capabilities
from .context import ConvContext
from .geometry import ConvSpec
from .padding import pad_adjoint

# Output channels per group below which the passes run as a flat direct convolution (LeNet's
# layers have 6 and 16, MNIST-1D's 25, a depthwise layer 1): BLAS is slow on matrices that
# thin, and the flat loops measured faster than gemm there (docs/performance.md).
FLAT_BELOW = 32
# Output positions per inner loop of a flat forward or grad_input: the four output rows being
# summed (4 KiB in float32) stay in L1 cache.
FLAT_BLOCK = 256

_CHUNK_BYTES = 8 << 20      # grad_input's columns per chunk of samples: they stay in L3 cache
# Multiply-adds per chunk below which a flat pass is not split between threads (about 0.2 ms
# on one core): waking a sleeping thread cost about 0.1 ms on the 2-core virtual machine
# these constants were measured on.
_CHUNK_WORK = 4_000_000
# grad_weight sums its chunks in order; their number is fixed so that the sum's bits do not
# depend on the thread count.
_WEIGHT_PARTS = 2

_enabled = True
_kernels: ModuleType | None = None
_optional: dict[str, ModuleType] = {}     # other modules of numba loops, see optional()


class _CompiledCapabilities(Capabilities):
    """1-D and 2-D convolutions, when numba is installed and the engine is enabled."""

    def unsupported(self, w_shape: tuple[int, ...], spec: ConvSpec) -> str | None:
        if not available():
            return "any convolution without numba (pip install 'convlens[jit]') or while disabled"
        return super().unsupported(w_shape, spec)

    def uses_blas(self, w_shape: tuple[int, ...], spec: ConvSpec) -> bool:
        """The flat loops never call BLAS, and split their own work (:func:`_over_samples`)."""
        return not is_flat(w_shape, spec)


# The flat passes multiply the zeros of the thrown-away columns by the weight (grad_input) or
# by the input (grad_weight): 0 * inf = NaN where direct has none.
CAPABILITIES = _CompiledCapabilities(
    nd=(1, 2), spreads={"forward": (), "grad_input": (1,), "grad_weight": (1,)})


def available() -> bool:
    """Whether the engine can run: numba is importable and :func:`set_enabled` allows it."""
    return _enabled and (_kernels is not None or importlib.util.find_spec("numba") is not None)


def set_enabled(enabled: bool) -> None:
    """Allow (``True``, the default) or forbid the compiled engine, as if numba were absent.

    Forbidding it makes ``algorithm="auto"`` choose among the NumPy engines only; tests use
    this to run the same suite with and without the compiler.
    """
    global _enabled
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be a bool; got {type(enabled).__name__}")
    _enabled = enabled
    from .choose import _priced

    _priced.cache_clear()


@contextlib.contextmanager
def enabled(flag: bool) -> Iterator[None]:
    """Context manager form of :func:`set_enabled`; restores the previous setting."""
    previous = _enabled
    set_enabled(flag)
    try:
        yield
    finally:
        set_enabled(previous)


def optional(module: str) -> ModuleType | None:
    """The numba-compiled ``module`` (an absolute name), imported on first use, or ``None``
    without numba or after :func:`set_enabled(False) <set_enabled>`: then the caller runs its
    NumPy path, which gives the same results (pooling, ReLU)."""
    if not available():
        return None
    if module not in _optional:
        _optional[module] = importlib.import_module(module)
    return _optional[module]


def require() -> ModuleType:
    """The compiled kernels, importing numba on first use; ``ImportError`` if unavailable."""
    global _kernels
    if not _enabled:
        raise ImportError("algorithm='compiled' is disabled by "
                          "convlens.conv.compiled.set_enabled(False)")
    if _kernels is None:
        if importlib.util.find_spec("numba") is None:
            raise ImportError("algorithm='compiled' needs numba, which is not installed; "
                              "install it with: pip install 'convlens[jit]'")
        _kernels = importlib.import_module("._compiled_kernels", __package__)
    return _kernels


def _as_2d(spec: ConvSpec) -> tuple[int, int, int, int]:
    """(stride_h, stride_w, dilation_h, dilation_w); a 1-D conv is 2-D with height 1."""
    stride, dilation = (1, *spec.stride)[-2:], (1, *spec.dilation)[-2:]
    return stride[0], stride[1], dilation[0], dilation[1]


def is_flat(w_shape: tuple[int, ...], spec: ConvSpec) -> bool:
    """Whether the passes run as a flat direct convolution (see :data:`FLAT_BELOW`)."""
    return w_shape[0] // spec.groups < FLAT_BELOW


class _Layout:
    """The column path's 2-D geometry: padded, output and kernel sizes, strides, dilations."""

    def __init__(self, x_shape: tuple[int, ...], w_shape: tuple[int, ...], spec: ConvSpec):
        lift = (1,) if spec.nd == 1 else ()
        self.padded = (*lift, *spec.padded_size(tuple(x_shape[2:])))
        self.out = (*lift, *spec.output_size(tuple(x_shape[2:]), tuple(w_shape[2:])))
        self.kernel = (*lift, *w_shape[2:])
        self.steps = _as_2d(spec)

    def geometry(self) -> tuple[int, ...]:
        """(KH, KW, sh, sw, dh, dw, Ho, Wo): the column kernels' arguments."""
        return (*self.kernel, *self.steps, *self.out)


def _channels_first(grad_output: np.ndarray, layout: _Layout) -> np.ndarray:
    """(O, N * P): grad_output with the output channels first."""
    N, O = grad_output.shape[:2]
    return np.ascontiguousarray(grad_output.reshape(N, O, -1).transpose(1, 0, 2)).reshape(O, -1)


def _over_samples(run, N: int, work_per_sample: int, parts: int | None = None
                  ) -> list[tuple[int, int]]:
    """Call ``run(start, stop)`` over chunks of samples, on the engine's threads.

    By default there is one chunk per thread (each one thread hand-off, at least
    :data:`_CHUNK_WORK` multiply-adds). With ``parts`` the chunks depend on the shapes only,
    never on the thread count, so a sum over them gives the same bits on any number of
    threads. Returns the chunks, in order.
    """
    most = max(1, N * work_per_sample // _CHUNK_WORK)
    count = min(N, most, parts if parts is not None else _threads.budget())
    return _threads.run_chunks(run, N, -(-N // count), threads=_threads.budget())


def forward(x: np.ndarray, w: np.ndarray, spec: ConvSpec, *,
            ctx: ConvContext | None = None) -> np.ndarray:
    """Cross-correlate ``x`` (N, C, *S) with ``w`` (O, C/G, *K); returns (N, O, *S_out)."""
    kernels = require()
    w = w.astype(x.dtype, copy=False)
    if not is_flat(w.shape, spec):     # gemm's flat-layout im2col was as fast as compiled loops
        return gemm.forward(x, w, spec)
    flat = _flat.layout(tuple(x.shape), tuple(w.shape), spec)
    src, offsets, out = flat.source(x), flat.taps, flat.output_buffer(x.dtype)
    if ctx is not None:
        ctx.keep("flat_source", (x, src))         # grad_weight of the same x reads them again
    weights = w.reshape(flat.G, flat.Og, -1).transpose(0, 2, 1).copy()        # (G, T, Og)

    def run(start: int, stop: int) -> None:
        kernels.correlate(src[start:stop], offsets, weights, flat.group_size, flat.L,
                          FLAT_BLOCK, flat.Wq, flat.Wo, out[start:stop])

    _over_samples(run, flat.samples, flat.macs("forward") // flat.samples)
    return flat.output(out)


def grad_input(grad_output: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...],
               spec: ConvSpec, *, ctx: ConvContext | None = None) -> np.ndarray:
    """d loss / d x for ``forward``; ``grad_output`` is (N, O, *S_out)."""
    kernels = require()
    w = w.astype(grad_output.dtype, copy=False)
    if is_flat(w.shape, spec):
        return _flat_grad_input(kernels, grad_output, w,
                                _flat.layout(tuple(x_shape), tuple(w.shape), spec), ctx)
    layout = _Layout(x_shape, w.shape, spec)
    N, C, O, G = x_shape[0], x_shape[1], w.shape[0], spec.groups
    gx = np.zeros((N, C, *layout.padded), dtype=grad_output.dtype)
    gy, P = _channels_first(grad_output, layout), layout.out[0] * layout.out[1]
    filters_t = w.reshape(G, O // G, -1).transpose(0, 2, 1)               # (G, CgK, Og)
    per = chunk_rows(filters_t.shape[1] * G * P * w.itemsize, _CHUNK_BYTES)
    for start in range(0, N, per):
        stop = min(start + per, N)
        rows = gy[:, start * P:stop * P].reshape(G, O // G, -1)
        cols = np.matmul(filters_t, rows).reshape(-1, stop - start, P)
        kernels.col2im(cols, *layout.geometry(), start, gx)
    return pad_adjoint(gx.reshape(N, C, *spec.padded_size(tuple(x_shape[2:]))), spec.padding,
                       "zeros")


def _grad_rows_once(flat: FlatLayout, grad_output: np.ndarray,
                    ctx: ConvContext | None) -> np.ndarray:
    """``flat.grad_rows`` with grad_input's margin, made once per backward: grad_input and
    grad_weight of the same call share it through ``ctx``."""
    kept = ctx.saved.get("flat_grad") if ctx is not None else None
    if kept is not None and kept[0] is grad_output:
        return kept[1]
    rows = flat.grad_rows(grad_output, flat.margin)
    if ctx is not None:
        ctx.keep("flat_grad", (grad_output, rows))
    return rows


def _flat_grad_input(kernels: ModuleType, grad_output: np.ndarray, w: np.ndarray,
                     flat: FlatLayout, ctx: ConvContext | None) -> np.ndarray:
    """grad_input of a flat layer: one correlation per phase, from that phase's taps."""
    src = _grad_rows_once(flat, grad_output, ctx).reshape(flat.samples, -1)
    planes = np.empty((flat.phases, flat.samples, flat.C, flat.plane), grad_output.dtype)
    by_position = w.reshape(flat.G, flat.Og, flat.Cg, -1)
    for phase, (positions, offsets) in enumerate(flat.input_taps):
        out = planes[phase]
        if positions.size == 0:        # a stride larger than the kernel: pixels no tap reads
            out[...] = 0
            continue
        weights = by_position[..., positions].transpose(0, 1, 3, 2).reshape(
            flat.G, -1, flat.Cg).copy()                                     # (G, T, Cg)

        def run(start: int, stop: int, out=out, offsets=offsets, weights=weights) -> None:
            kernels.correlate(src[start:stop], offsets, weights,
                              flat.Og * (flat.margin + flat.plane), flat.plane, FLAT_BLOCK,
                              flat.plane, flat.plane, out[start:stop])

        _over_samples(run, flat.samples, flat.C * offsets.size * flat.plane)
    return flat.input_grad(planes)


def grad_weight(grad_output: np.ndarray, x: np.ndarray, w_shape: tuple[int, ...],
                spec: ConvSpec, *, ctx: ConvContext | None = None) -> np.ndarray:
    """d loss / d w for ``forward``; returns an array of shape ``w_shape``."""
    kernels = require()
    grad_output = grad_output.astype(x.dtype, copy=False)
    if not is_flat(w_shape, spec):     # gemm's products were as fast as compiled columns
        return gemm.grad_weight(grad_output, x, w_shape, spec)
    flat = _flat.layout(tuple(x.shape), tuple(w_shape), spec)
    kept = ctx.saved.pop("flat_source", None) if ctx is not None else None
    src = kept[1] if kept is not None and kept[0] is x else flat.source(x)
    grad, offsets = _grad_rows_once(flat, grad_output, ctx), flat.taps
    sums: dict[int, np.ndarray] = {}

    def run(start: int, stop: int) -> None:
        sums[start] = np.zeros((flat.O, offsets.size), dtype=np.float64)
        kernels.correlate_weights(grad[start:stop], flat.margin, flat.L, src[start:stop],
                                  offsets, flat.G, flat.group_size, sums[start])

    chunks = _over_samples(run, flat.samples, flat.macs("grad_weight") // flat.samples,
                           parts=_WEIGHT_PARTS)
    if ctx is not None:
        ctx.saved.pop("flat_grad", None)        # the last pass of this call that reads it
    total = sums[chunks[0][0]]
    for start, _ in chunks[1:]:         # in sample order, whatever thread ran each chunk
        total += sums[start]
    return total.astype(x.dtype).reshape(w_shape)
