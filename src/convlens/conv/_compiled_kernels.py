"""The compiled engine's loops, compiled by numba (imported only when the engine first runs).

Two kinds of kernel, both on one thread, each output summed in one fixed order:

- **col2im**: adding ``grad_input``'s columns (from a BLAS product) back onto the input
  pixels, which NumPy does slowly with one strided slice-add per kernel tap.
- **flat direct convolution** (``*_flat``) for layers with few output channels per group,
  where BLAS gets thin matrices: at stride 1, output pixel ``(i, j)`` of a zero-padded plane
  stored row after row reads input ``i * Wp + j + tap offset``, so each kernel tap is one
  contiguous multiply-add over the whole plane. The last ``Wp - Wo`` columns of every output
  row are computed and thrown away.

1-D convolutions arrive as 2-D ones with height 1. ``cache=True`` keeps the machine code on
disk, so the compilation cost is paid once per install. Loops index through slices
(``xs = x[off:off + n]; xs[k]``): with ``x[off + k]`` numba's negative-index check stopped
LLVM from vectorizing them (8x slower, measured).
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def col2im(cols, KH, KW, sh, sw, dh, dw, Ho, Wo, n0, gxp):  # pragma: no cover - compiled
    """gxp[n0:n0 + n] += cols (C * KH * KW, n, Ho * Wo), each column entry onto its pixel."""
    C, n = gxp.shape[1], cols.shape[1]
    for m in range(n):
        for c in range(C):
            plane = gxp[n0 + m, c]
            for p in range(KH):
                for q in range(KW):
                    src = cols[(c * KH + p) * KW + q, m]
                    for i in range(Ho):
                        row, s = plane[i * sh + p * dh], src[i * Wo:(i + 1) * Wo]
                        if sw == 1:
                            r = row[q * dw:q * dw + Wo]
                            for j in range(Wo):
                                r[j] += s[j]
                        else:
                            for j in range(Wo):
                                row[q * dw + j * sw] += s[j]


@njit(fastmath={"contract"}, cache=True)
def _axpy(y, a, x):  # pragma: no cover - compiled
    """y += a * x over equal-length vectors (fused multiply-add)."""
    for k in range(y.shape[0]):
        y[k] += a * x[k]


@njit(fastmath={"contract"}, cache=True)
def _axpy2(y, a0, a1, x0, x1):  # pragma: no cover - compiled
    """y += a0 * x0 + a1 * x1: two taps for one load and store of y."""
    for k in range(y.shape[0]):
        y[k] += a0 * x0[k] + a1 * x1[k]


@njit(fastmath={"contract"}, cache=True)
def _axpy4(y, a, x0, x1, x2, x3):  # pragma: no cover - compiled
    """y += a[0] * x0 + ... + a[3] * x3: four taps for one load and store of y."""
    a0, a1, a2, a3 = a[0], a[1], a[2], a[3]
    for k in range(y.shape[0]):
        y[k] += a0 * x0[k] + a1 * x1[k] + a2 * x2[k] + a3 * x3[k]


@njit(cache=True)
def _row_of_taps(out, taps, plane, start, dw, L):  # pragma: no cover - compiled
    """out += sum over q of taps[q] * plane[start + q * dw:][:L]: one kernel row, in groups of
    four and two taps so that the output is loaded and stored once per group."""
    q, KW = 0, taps.shape[0]
    while q + 4 <= KW:
        o = start + q * dw
        _axpy4(out, taps[q:q + 4], plane[o:o + L], plane[o + dw:o + dw + L],
               plane[o + 2 * dw:o + 2 * dw + L], plane[o + 3 * dw:o + 3 * dw + L])
        q += 4
    if q + 2 <= KW:
        o = start + q * dw
        _axpy2(out, taps[q], taps[q + 1], plane[o:o + L], plane[o + dw:o + dw + L])
        q += 2
    if q < KW:
        o = start + q * dw
        _axpy(out, taps[q], plane[o:o + L])


@njit(fastmath=True, cache=True)
def _dot(a, b):  # pragma: no cover - compiled
    """sum(a * b) in a's dtype; ``fastmath`` lets LLVM keep vector lanes of partial sums."""
    total = a[0] * 0
    for k in range(a.shape[0]):
        total += a[k] * b[k]
    return total


@njit(fastmath=True, cache=True)
def _dot4(a, b0, b1, b2, b3):  # pragma: no cover - compiled
    """The four sums a . b0, ..., a . b3, reading ``a`` once."""
    t0 = a[0] * 0
    t1, t2, t3 = t0, t0, t0
    for k in range(a.shape[0]):
        v = a[k]
        t0 += v * b0[k]
        t1 += v * b1[k]
        t2 += v * b2[k]
        t3 += v * b3[k]
    return t0, t1, t2, t3


@njit(cache=True)
def _row_of_dots(acc, grad, plane, start, dw, L):  # pragma: no cover - compiled
    """acc[q] += grad . plane[start + q * dw:][:L] for one kernel row, four taps at a time."""
    q, KW = 0, acc.shape[0]
    while q + 4 <= KW:
        o = start + q * dw
        t0, t1, t2, t3 = _dot4(grad, plane[o:o + L], plane[o + dw:o + dw + L],
                               plane[o + 2 * dw:o + 2 * dw + L], plane[o + 3 * dw:o + 3 * dw + L])
        acc[q] += t0
        acc[q + 1] += t1
        acc[q + 2] += t2
        acc[q + 3] += t3
        q += 4
    while q < KW:
        o = start + q * dw
        acc[q] += _dot(grad, plane[o:o + L])
        q += 1


@njit(cache=True)
def forward_flat(xp, w, Wp, dh, dw, groups, L, y):  # pragma: no cover - compiled
    """y (N, O, Ho * Wp) from flat padded planes xp (N, C, Hp * Wp); stride 1."""
    N, O = y.shape[0], y.shape[1]
    Cg, KH = w.shape[1], w.shape[2]
    Og = O // groups
    for n in range(N):
        for o in range(O):
            out = y[n, o, :L]
            out[:] = 0
            for c in range(Cg):
                plane = xp[n, (o // Og) * Cg + c]
                for p in range(KH):
                    _row_of_taps(out, w[o, c, p], plane, p * dh * Wp, dw, L)


@njit(cache=True)
def grad_input_flat(gyq, w, Wp, dh, dw, groups, margin, gx):  # pragma: no cover - compiled
    """gx (N, C, Hp * Wp) from gyq (N, O, margin + Hp * Wp): the flat grad_output, zeros in its
    thrown-away columns, shifted right by ``margin`` (the largest tap offset) zeros.

    Written as a correlation that reads grad_output at ``pixel - tap offset``, so each kernel
    row is one ``_row_of_taps`` with the taps reversed, as in ``forward_flat``.
    """
    N, C, O = gx.shape[0], gx.shape[1], gyq.shape[1]
    Cg, KH, KW = w.shape[1], w.shape[2], w.shape[3]
    Og, size = O // groups, gx.shape[2]
    for n in range(N):
        for c in range(C):
            g, cg = c // Cg, c % Cg
            plane = gx[n, c]
            plane[:] = 0
            for o in range(g * Og, (g + 1) * Og):
                grad = gyq[n, o]
                for p in range(KH):
                    start = margin - p * dh * Wp - (KW - 1) * dw
                    _row_of_taps(plane, w[o, cg, p, ::-1], grad, start, dw, size)


@njit(cache=True)
def grad_weight_flat(gyp, xp, Wp, dh, dw, groups, L, acc):  # pragma: no cover - compiled
    """acc (O, Cg, KH, KW), float64, += sum over samples of gyp . shifted xp, per tap."""
    O, Cg, KH, KW = acc.shape
    N, Og = gyp.shape[0], O // groups
    for o in range(O):
        for c in range(Cg):
            channel = (o // Og) * Cg + c
            for n in range(N):
                grad, plane = gyp[n, o, :L], xp[n, channel]
                for p in range(KH):
                    _row_of_dots(acc[o, c, p], grad, plane, p * dh * Wp, dw, L)
