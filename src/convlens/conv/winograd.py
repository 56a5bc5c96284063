"""The ``winograd`` engine: F(4x4, 3x3) (and F(4, 3) in 1-D) minimal filtering.

A 6x6 input tile ``d`` and a 3x3 filter ``g`` give a 4x4 output tile with 36 multiplies
instead of 144 (Lavin & Gray 2015, "Fast Algorithms for Convolutional Neural Networks",
arXiv:1509.09308, eq. 8 with the F(4x4, 3x3) matrices of section 4.2, points 0, +-1, +-2)::

    Y = A^T [ (G g G^T) * (B^T d B) ] A

Per layer that becomes, with ``(x)`` the Kronecker product over spatial dims:

1. gather the overlapping tiles (stride 4) into a (36, C, N * tiles) array and transform
   them with one matrix product by ``B^T (x) B^T``;
2. transform the filters, (36, O, C/G), by ``G (x) G``;
3. one batched matrix product per tile point and group: (O/G, C/G) @ (C/G, N * tiles);
4. transform back with ``A^T (x) A^T`` and scatter the 4x4 tiles into the output.

Every transform is a single large BLAS call, so it uses all cores. ``grad_input`` is the
forward convolution of the padded grad_output with the flipped, transposed kernel (also 3x3,
stride 1). ``grad_weight`` is Winograd too: differentiating ``Y`` with respect to ``g`` gives
``G^T [ (B^T d B) * (A gy A^T) ] G`` summed over tiles, reusing forward's transformed tiles.
The transforms add rounding error, up to ~18x PyTorch's in float32 on the benchmark layers
(``tests/conv/test_conv_float32_accuracy.py``), so ``algorithm="auto"`` picks this engine
for float64 only; ``algorithm="winograd"`` forces it, in float32 too.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .capabilities import Capabilities
from .context import ConvContext
from .gemm import flipped_grad_input
from .geometry import ConvSpec

# F(4x4, 3x3) rounds up to ~18x more than PyTorch in float32 (the transforms' large
# coefficients; see docs/performance.md), so ``auto`` uses it in float64 only.
CAPABILITIES = Capabilities(nd=(1, 2), stride=False, dilation=False, kernel=3,
                            auto_float32=False)

TILE, ALPHA = 4, 6      # outputs per tile and tile size, per dim
_CHUNK_BYTES = 8 << 20  # tile arrays per chunk: cache-sized, yet few large BLAS calls
_BT = np.array([[4, 0, -5, 0, 1, 0],
                [0, -4, -4, 1, 1, 0],
                [0, 4, -4, -1, 1, 0],
                [0, -2, -1, 2, 1, 0],
                [0, 2, -1, -2, 1, 0],
                [0, 4, 0, -5, 0, 1]], dtype=np.float64)
_G = np.array([[1 / 4, 0, 0],
               [-1 / 6, -1 / 6, -1 / 6],
               [-1 / 6, 1 / 6, -1 / 6],
               [1 / 24, 1 / 12, 1 / 6],
               [1 / 24, -1 / 12, 1 / 6],
               [0, 0, 1]], dtype=np.float64)
_AT = np.array([[1, 1, 1, 1, 1, 0],
                [0, 1, -1, 2, -2, 0],
                [0, 1, 1, 4, 4, 0],
                [0, 1, -1, 8, -8, 1]], dtype=np.float64)


@functools.cache
def transforms(nd: int, dtype: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(B^T, G, A^T) Kronecker-multiplied over ``nd`` dims, in ``dtype``."""
    def power(m: np.ndarray) -> np.ndarray:
        return functools.reduce(np.kron, [m] * nd).astype(dtype)

    return power(_BT), power(_G), power(_AT)


def _tiles(out_size: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(-(-n // TILE) for n in out_size)


def input_transform(x: np.ndarray, spec: ConvSpec, tiles: tuple[int, ...]) -> np.ndarray:
    """(N, C, *S) -> V = (B^T (x) B^T) d: (ALPHA**nd, C, N * prod(tiles))."""
    N, C, nd = x.shape[0], x.shape[1], spec.nd
    padded = np.zeros((N, C, *(TILE * t + ALPHA - TILE for t in tiles)), dtype=x.dtype)
    inner = tuple(slice(lo, lo + min(n, p - lo)) for (lo, _), n, p in
                  zip(spec.padding, x.shape[2:], padded.shape[2:]))
    padded[(..., *inner)] = x[(..., *(slice(0, s.stop - s.start) for s in inner))]
    view = sliding_window_view(padded, (ALPHA,) * nd, axis=tuple(range(2, 2 + nd)))
    view = view[(slice(None), slice(None), *(slice(None, None, TILE),) * nd)]  # (N, C, *t, *a)
    order = (*range(2 + nd, 2 + 2 * nd), 1, 0, *range(2, 2 + nd))            # (*a, C, N, *t)
    d = np.empty([view.shape[i] for i in order], dtype=x.dtype)
    np.copyto(d, view.transpose(order))
    bt = transforms(nd, x.dtype.str)[0]
    return (bt @ d.reshape(ALPHA ** nd, -1)).reshape(ALPHA ** nd, C, -1)


def kernel_transform(w: np.ndarray, groups: int) -> np.ndarray:
    """(O, C/G, 3, ...) -> U = (G (x) G) g: (ALPHA**nd, G, O/G, C/G)."""
    nd = w.ndim - 2
    g = transforms(nd, w.dtype.str)[1]
    u = g @ w.reshape(-1, 3 ** nd).T                                      # (a, O * Cg)
    return u.reshape(ALPHA ** nd, groups, w.shape[0] // groups, w.shape[1])


def _multiply(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Per tile point and group: (O/G, C/G) @ (C/G, rows) -> (a, G, O/G, rows)."""
    if u.shape[2] == 1 and u.shape[3] == 1:          # depthwise: a scaling per channel
        return u * v
    return np.matmul(u, v)


def forward(x: np.ndarray, w: np.ndarray, spec: ConvSpec, *,
            ctx: ConvContext | None = None) -> np.ndarray:
    """Cross-correlate ``x`` (N, C, *S) with a 3x3 ``w`` (O, C/G, 3, 3) at stride 1.

    Runs a chunk of samples at a time through gather, transforms and products, so that the
    2.25x larger tile arrays stay in cache between the steps.
    """
    N, C, G, nd = x.shape[0], x.shape[1], spec.groups, spec.nd
    out_size = spec.output_size(x.shape[2:], w.shape[2:])
    tiles = _tiles(out_size)
    u = kernel_transform(w, G)
    at = transforms(nd, x.dtype.str)[2]
    y = np.empty((N, w.shape[0], *(t * TILE for t in tiles)), dtype=x.dtype)
    chunks = _chunks(N, C + w.shape[0], tiles, x.itemsize)
    saved: list = [None] * len(chunks)

    def work(first: int, last: int) -> None:
        for i in range(first, last):
            start, stop = chunks[i]
            v = input_transform(x[start:stop], spec, tiles)              # (a, C, n * T)
            if ctx is not None and ctx.save:
                saved[i] = v
            m = _multiply(u, v.reshape(v.shape[0], G, -1, v.shape[2]))
            y_tiles = (at @ m.reshape(m.shape[0], -1)).reshape(
                (TILE,) * nd + (w.shape[0], stop - start) + tiles)       # (*m, O, n, *t)
            split = y[start:stop].reshape(stop - start, w.shape[0],
                                          *(s for t in tiles for s in (t, TILE)))
            split[...] = y_tiles.transpose(nd + 1, nd, *(i for k in range(nd)
                                                         for i in (nd + 2 + k, k)))

    work(0, len(chunks))     # serial: BLAS inside, whose own threads must not be nested
    if ctx is not None:
        ctx.keep("winograd_input", saved)
    if tuple(y.shape[2:]) == tuple(out_size):
        return y
    return np.ascontiguousarray(y[(..., *(slice(0, n) for n in out_size))])


def _chunks(N: int, channels: int, tiles: tuple[int, ...], itemsize: int):
    """(start, stop) sample ranges whose tile arrays fit ``_CHUNK_BYTES``."""
    per_sample = ALPHA ** len(tiles) * channels * math.prod(tiles) * itemsize
    per = max(1, _CHUNK_BYTES // per_sample)
    return [(start, min(start + per, N)) for start in range(0, N, per)]


def grad_input(grad_output: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...],
               spec: ConvSpec, *, ctx: ConvContext | None = None) -> np.ndarray:
    """d loss / d x: the Winograd forward of grad_output with the flipped, transposed kernel."""
    return flipped_grad_input(forward, grad_output, w, x_shape, spec)


def grad_weight(grad_output: np.ndarray, x: np.ndarray, w_shape: tuple[int, ...],
                spec: ConvSpec, *, ctx: ConvContext | None = None) -> np.ndarray:
    """d loss / d w = G^T [ V * (A gy A^T) ] G summed over tiles, with V from forward."""
    N, nd, G, O = x.shape[0], spec.nd, spec.groups, w_shape[0]
    out_size = tuple(grad_output.shape[2:])
    tiles = _tiles(out_size)
    chunks = _chunks(N, x.shape[1] + O, tiles, x.itemsize)
    saved = ctx.saved.get("winograd_input") if ctx is not None else None
    at = transforms(nd, x.dtype.str)[2]
    partial: list = [None] * len(chunks)

    def work(first: int, last: int) -> None:
        for i in range(first, last):
            start, stop = chunks[i]
            v = saved[i] if saved else input_transform(x[start:stop], spec, tiles)
            gy = _output_tiles(grad_output[start:stop], tiles)             # (m, O * n * T)
            gyt = (at.T @ gy).reshape(ALPHA ** nd, G, O // G, -1)         # (a, G, Og, rows)
            vg = v.reshape(ALPHA ** nd, G, -1, v.shape[2])                 # (a, G, Cg, rows)
            if O // G == 1 and w_shape[1] == 1:
                partial[i] = np.einsum("agor,agcr->agoc", gyt, vg)
            else:
                partial[i] = np.matmul(gyt, vg.transpose(0, 1, 3, 2))

    work(0, len(chunks))     # serial: BLAS inside, whose own threads must not be nested
    m = functools.reduce(np.add, partial)                  # fixed order: deterministic
    g = transforms(nd, x.dtype.str)[1]
    gw = g.T @ m.reshape(ALPHA ** nd, -1)                                  # (3**nd, O * Cg)
    return np.ascontiguousarray(gw.T).reshape(w_shape)


def _output_tiles(grad_output: np.ndarray, tiles: tuple[int, ...]) -> np.ndarray:
    """(n, O, *out) -> zero-padded 4x4 tiles laid out (TILE**nd, O * n * prod(tiles))."""
    n, O, nd = grad_output.shape[0], grad_output.shape[1], len(tiles)
    gy = np.zeros((O, n, *(t * TILE for t in tiles)), dtype=grad_output.dtype)
    gy[(..., *(slice(0, k) for k in grad_output.shape[2:]))] = grad_output.transpose(
        1, 0, *range(2, 2 + nd))
    split = gy.reshape(O, n, *(s for t in tiles for s in (t, TILE)))
    order = (*(3 + 2 * k for k in range(nd)), 0, 1, *(2 + 2 * k for k in range(nd)))
    return np.ascontiguousarray(split.transpose(order)).reshape(TILE ** nd, -1)


def flops(x_shape: tuple[int, ...], w_shape: tuple[int, ...], spec: ConvSpec) -> int:
    """Multiply-adds of the per-point products of one forward call (for the cost model)."""
    tiles = _tiles(spec.output_size(x_shape[2:], w_shape[2:]))
    return ALPHA ** spec.nd * w_shape[0] * w_shape[1] * x_shape[0] * math.prod(tiles)
