"""The ``compiled`` engine: direct convolution as plain loops, compiled by numba.

BLAS is built for large, deep matrix products; a layer with few channels (LeNet's first
layers, MNIST-1D's, depthwise layers) gives it thin matrices and spends its time on im2col
copies. This engine instead runs the definition of the convolution as loops over pixels,
compiled to machine code (see :mod:`convlens.conv._compiled_kernels`), with no columns and no
copies beyond the zero padding.

numba is an optional extra (``pip install 'convlens[jit]'``). It is imported the first time the
engine runs, never by ``import convlens``. Without it (or after ``set_enabled(False)``)
``algorithm="auto"`` never picks this engine and ``algorithm="compiled"`` raises
``ImportError``. The first call per dtype compiles the kernels (seconds) and caches the
machine code on disk, so later processes load it.

Results are deterministic: every output element is summed in one fixed order by one thread.
Work below ``SERIAL_BELOW`` multiply-adds runs on one thread, where a thread hand-off costs
more than it saves.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
from collections.abc import Iterator
from types import ModuleType

import numpy as np

from . import _threads
from .capabilities import Capabilities
from .context import ConvContext
from .geometry import ConvSpec
from .padding import pad, pad_adjoint

# Multiply-adds below which a call runs on one thread. Measured on the shared 2-core machine
# under load (about 11 runnable processes): a 2-thread launch cost about 27 ms whatever the
# size, and 2 threads first won at about 7 million multiply-adds (docs/performance.md).
SERIAL_BELOW = 4_000_000

# Output channels per group from which forward runs the kernel that vectorizes over them;
# below it, the one that vectorizes along output rows (depthwise, LeNet's first layer).
CHANNELS_INNERMOST = 8

_enabled = True
_kernels: ModuleType | None = None


class _CompiledCapabilities(Capabilities):
    """1-D and 2-D convolutions, when numba is installed and the engine is enabled."""

    def unsupported(self, w_shape: tuple[int, ...], spec: ConvSpec) -> str | None:
        if not available():
            return "any convolution without numba (pip install 'convlens[jit]') or while disabled"
        return super().unsupported(w_shape, spec)


CAPABILITIES = _CompiledCapabilities(nd=(1, 2))


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


def _threads_for(work: int) -> int:
    """Threads for a call of ``work`` multiply-adds: one below the crossover, else the budget."""
    import numba

    budget = min(_threads.threads_for(work), numba.config.NUMBA_NUM_THREADS)
    threads = 1 if work < SERIAL_BELOW else budget
    numba.set_num_threads(threads)
    return threads


def _as_2d(spec: ConvSpec) -> tuple[int, int, int, int]:
    """(stride_h, stride_w, dilation_h, dilation_w); a 1-D conv is 2-D with height 1."""
    stride, dilation = (1, *spec.stride)[-2:], (1, *spec.dilation)[-2:]
    return stride[0], stride[1], dilation[0], dilation[1]


def _lift(a: np.ndarray, nd: int) -> np.ndarray:
    """A contiguous 4-D view: (N, C, L) becomes (N, C, 1, L)."""
    a = np.ascontiguousarray(a)
    return a[:, :, None, :] if nd == 1 else a


def _macs(x_shape, w_shape, spec: ConvSpec) -> int:
    out = spec.output_size(tuple(x_shape[2:]), tuple(w_shape[2:]))
    return int(x_shape[0] * np.prod(w_shape) * np.prod(out))


def forward(x: np.ndarray, w: np.ndarray, spec: ConvSpec, *,
            ctx: ConvContext | None = None) -> np.ndarray:
    """Cross-correlate ``x`` (N, C, *S) with ``w`` (O, C/G, *K); returns (N, O, *S_out)."""
    kernels = require()
    out_size = spec.output_size(tuple(x.shape[2:]), tuple(w.shape[2:]))
    xp = _lift(pad(x, spec.padding), spec.nd)
    out = np.empty((x.shape[0], w.shape[0], *out_size), dtype=x.dtype)
    _threads_for(_macs(x.shape, w.shape, spec))
    w = _lift(w.astype(x.dtype, copy=False), spec.nd)
    G = spec.groups
    if w.shape[0] // G >= CHANNELS_INNERMOST:     # vectorize over output channels
        wt = np.ascontiguousarray(w.reshape(G, -1, *w.shape[1:]).transpose(0, 2, 3, 4, 1))
        kernels.forward_channels(xp, wt, *_as_2d(spec), _lift(out, spec.nd))
    else:                                         # vectorize along output rows
        kernels.forward(xp, w, *_as_2d(spec), G, _lift(out, spec.nd))
    return out


def grad_input(grad_output: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...],
               spec: ConvSpec, *, ctx: ConvContext | None = None) -> np.ndarray:
    """d loss / d x for ``forward``; ``grad_output`` is (N, O, *S_out)."""
    kernels = require()
    padded = spec.padded_size(tuple(x_shape[2:]))
    gxp = np.empty((*x_shape[:2], *padded), dtype=grad_output.dtype)
    _threads_for(_macs(x_shape, w.shape, spec))
    kernels.grad_input(_lift(grad_output, spec.nd), _lift(w.astype(grad_output.dtype,
                                                                  copy=False), spec.nd),
                       *_as_2d(spec), spec.groups, _lift(gxp, spec.nd))
    return pad_adjoint(gxp, spec.padding, "zeros")


def grad_weight(grad_output: np.ndarray, x: np.ndarray, w_shape: tuple[int, ...],
                spec: ConvSpec, *, ctx: ConvContext | None = None) -> np.ndarray:
    """d loss / d w for ``forward``; returns an array of shape ``w_shape``."""
    kernels = require()
    xp = _lift(pad(x, spec.padding), spec.nd)
    gw = np.empty(w_shape, dtype=x.dtype)
    _threads_for(_macs(x.shape, w_shape, spec))
    kernels.grad_weight(_lift(grad_output.astype(x.dtype, copy=False), spec.nd), xp,
                        *_as_2d(spec), spec.groups, _lift(gw, spec.nd))
    return gw


def max_pool2d(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
               padding: tuple[int, int], dilation: tuple[int, int]
               ) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling of (N, C, H, W) with the flat index (into the padded plane) of each winner.

    Padding is with -inf, so a padded cell never wins; the output size is floor mode
    (``ceil_mode`` is the caller's business: pad the far side further). A fast path for
    ``functional`` pooling; it returns ``(out, argmax)``, argmax as int64 over ``Hp * Wp``.
    """
    kernels = require()
    pads = tuple((p, p) for p in padding)
    xp = np.ascontiguousarray(pad(x, pads, value=-np.inf))
    Hp, Wp = xp.shape[2:]
    size = [(n - d * (k - 1) - 1) // s + 1
            for n, k, s, d in zip((Hp, Wp), kernel, stride, dilation)]
    out = np.empty((*x.shape[:2], *size), dtype=x.dtype)
    argmax = np.empty(out.shape, dtype=np.int64)
    _threads_for(out.size * kernel[0] * kernel[1])
    kernels.max_pool(xp, kernel[0], kernel[1], stride[0], stride[1], dilation[0], dilation[1],
                     out, argmax)
    return out, argmax
