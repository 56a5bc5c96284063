"""The compiled engine's loops, compiled by numba (imported only when the engine first runs).

Two kinds of kernel, each on the calling thread (they release the GIL, so the engine can run
several at once on its pool), each output summed in one fixed order:

- **col2im**: adding ``grad_input``'s columns (from a BLAS product) back onto the input
  pixels, which NumPy does slowly with one strided slice-add per kernel tap.
- **flat direct convolution** (:func:`correlate`, :func:`correlate_weights`) for layers with
  few channels, where BLAS gets thin matrices. :mod:`convlens.conv._flat` lays the input out
  as flat planes (phase planes at a stride, the samples as rows for short 1-D layers), so that
  each tap, a channel and a kernel position together, is one contiguous multiply-add at its
  offset into the plane.

The loops are register-blocked. :func:`correlate` (forward, and grad_input per phase) reads
four taps of the input and updates four output channels in one pass: 16 multiply-adds per
four loads, and one load and store of each of the four sums, where one tap and one channel at
a time would load and store a sum for every multiply-add. :func:`correlate_weights` computes
four dot products per pass (four output channels against one tap, or one channel against four
taps).

Indices are unsigned (``np.uint64``): numba checks a signed index for a negative value, and
that check stopped LLVM from vectorizing (8x slower, measured). Dot products start from
``dtype.type(0)``: ``a[0] * 0`` is float64 in numba, which made float32 reductions convert
every element (2x slower, measured). ``cache=True`` keeps the machine code on disk, so the
compilation cost is paid once per install.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
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


@njit(fastmath={"contract"}, boundscheck=False, nogil=True, cache=True)
def correlate(src, offsets, wt, group_size, L, block, row, width, out):  # pragma: no cover
    """sum over t of wt[g, t, j] * src[n, g * group_size + offsets[t] + p], for every p < L,
    into out[n, g * J + j], keeping the first ``width`` of every ``row`` positions.

    ``src`` (N, S) is one flat buffer per sample, ``offsets`` (T,) uint64 the taps' offsets in
    a group, ``wt`` (G, T, J) the weights. Position ``p = i * row + c`` goes to ``i * width + c``
    if ``c < width`` (the thrown-away columns are never stored). Channels go four at a time
    (then two, then one), taps four at a time (then one at a time), positions ``block`` at a
    time.
    """
    N = out.shape[0]
    G, T, J = wt.shape
    acc = np.empty((4, block), dtype=out.dtype)
    a0, a1, a2, a3 = acc[0], acc[1], acc[2], acc[3]
    for n in range(N):
        for g in range(G):
            x = src[n, g * group_size:]
            j = 0
            while j < J:
                rows = 4 if j + 4 <= J else (2 if j + 2 <= J else 1)
                for p0 in range(0, L, block):
                    nb, base = np.uint64(min(block, L - p0)), np.uint64(p0)
                    for k in range(nb):                 # element loops: a slice costs more
                        a0[k] = 0
                    if rows > 1:
                        for k in range(nb):
                            a1[k] = 0
                    if rows > 2:
                        for k in range(nb):
                            a2[k] = 0
                            a3[k] = 0
                    t = 0
                    while t + 4 <= T:
                        o0, o1 = base + offsets[t], base + offsets[t + 1]
                        o2, o3 = base + offsets[t + 2], base + offsets[t + 3]
                        w = wt[g]
                        if rows == 4:
                            w00, w01 = w[t, j], w[t, j + 1]
                            w02, w03 = w[t, j + 2], w[t, j + 3]
                            w10, w11 = w[t + 1, j], w[t + 1, j + 1]
                            w12, w13 = w[t + 1, j + 2], w[t + 1, j + 3]
                            w20, w21 = w[t + 2, j], w[t + 2, j + 1]
                            w22, w23 = w[t + 2, j + 2], w[t + 2, j + 3]
                            w30, w31 = w[t + 3, j], w[t + 3, j + 1]
                            w32, w33 = w[t + 3, j + 2], w[t + 3, j + 3]
                            for k in range(nb):
                                v0, v1, v2, v3 = x[o0 + k], x[o1 + k], x[o2 + k], x[o3 + k]
                                a0[k] += w00 * v0 + w10 * v1 + w20 * v2 + w30 * v3
                                a1[k] += w01 * v0 + w11 * v1 + w21 * v2 + w31 * v3
                                a2[k] += w02 * v0 + w12 * v1 + w22 * v2 + w32 * v3
                                a3[k] += w03 * v0 + w13 * v1 + w23 * v2 + w33 * v3
                        elif rows == 2:
                            w00, w01, w10, w11 = w[t, j], w[t, j + 1], w[t + 1, j], w[t + 1, j + 1]
                            w20, w21 = w[t + 2, j], w[t + 2, j + 1]
                            w30, w31 = w[t + 3, j], w[t + 3, j + 1]
                            for k in range(nb):
                                v0, v1, v2, v3 = x[o0 + k], x[o1 + k], x[o2 + k], x[o3 + k]
                                a0[k] += w00 * v0 + w10 * v1 + w20 * v2 + w30 * v3
                                a1[k] += w01 * v0 + w11 * v1 + w21 * v2 + w31 * v3
                        else:
                            w0, w1, w2, w3 = w[t, j], w[t + 1, j], w[t + 2, j], w[t + 3, j]
                            for k in range(nb):
                                a0[k] += (w0 * x[o0 + k] + w1 * x[o1 + k] + w2 * x[o2 + k]
                                          + w3 * x[o3 + k])
                        t += 4
                    while t < T:
                        o0 = base + offsets[t]
                        w = wt[g, t]
                        if rows == 4:
                            w0, w1, w2, w3 = w[j], w[j + 1], w[j + 2], w[j + 3]
                            for k in range(nb):
                                v = x[o0 + k]
                                a0[k] += w0 * v
                                a1[k] += w1 * v
                                a2[k] += w2 * v
                                a3[k] += w3 * v
                        elif rows == 2:
                            w0, w1 = w[j], w[j + 1]
                            for k in range(nb):
                                v = x[o0 + k]
                                a0[k] += w0 * v
                                a1[k] += w1 * v
                        else:
                            w0 = w[j]
                            for k in range(nb):
                                a0[k] += w0 * x[o0 + k]
                        t += 1
                    for r in range(rows):
                        _store(acc[r], out[n, g * J + j + r], p0, int(nb), row, width)
                j += rows


@njit(boundscheck=False, nogil=True, cache=True)
def _store(acc, out, p0, n, row, width):  # pragma: no cover - compiled
    """out[i * width + c] = acc[k] for the positions p = p0 + k = i * row + c with c < width.

    Element loops over unsigned indices, not slice assignments: a slice costs about as much
    as copying a 28-wide row, and a depthwise layer stores one per output row (measured: a
    third of its forward went to slice-assigned stores)."""
    if row == width:
        start = np.uint64(p0)
        for k in range(np.uint64(n)):
            out[start + k] = acc[k]
        return
    k, i, c = 0, p0 // row, p0 % row
    while k < n:
        run = min(row - c, n - k)
        keep = min(run, width - c)
        if keep > 0:
            dst, src = np.uint64(i * width + c), np.uint64(k)
            for q in range(np.uint64(keep)):
                out[dst + q] = acc[src + q]
        k, i, c = k + run, i + 1, 0


@njit(fastmath=True, boundscheck=False, nogil=True, cache=True)
def _dots_four_rows(g0, g1, g2, g3, x, o, n):  # pragma: no cover - compiled
    """The four sums g_r[:n] . x[o:o + n], reading ``x`` once; ``fastmath`` lets LLVM keep
    vector lanes of partial sums."""
    s0 = s1 = s2 = s3 = g0.dtype.type(0)
    for k in range(n):
        v = x[o + k]
        s0 += g0[k] * v
        s1 += g1[k] * v
        s2 += g2[k] * v
        s3 += g3[k] * v
    return s0, s1, s2, s3


@njit(fastmath=True, boundscheck=False, nogil=True, cache=True)
def _dots_four_taps(g, x, o0, o1, o2, o3, n):  # pragma: no cover - compiled
    """The four sums g[:n] . x[o_i:o_i + n], reading ``g`` once."""
    s0 = s1 = s2 = s3 = g.dtype.type(0)
    for k in range(n):
        v = g[k]
        s0 += x[o0 + k] * v
        s1 += x[o1 + k] * v
        s2 += x[o2 + k] * v
        s3 += x[o3 + k] * v
    return s0, s1, s2, s3


@njit(fastmath=True, boundscheck=False, nogil=True, cache=True)
def _dot(g, x, o, n):  # pragma: no cover - compiled
    """g[:n] . x[o:o + n]."""
    s = g.dtype.type(0)
    for k in range(n):
        s += g[k] * x[o + k]
    return s


@njit(boundscheck=False, nogil=True, cache=True)
def correlate_weights(grad, start, L, src, offsets, groups, group_size, acc):  # pragma: no cover
    """acc[o, t] += sum over n and p < L of grad[n, o, start + p]
    * src[n, g(o) * group_size + offsets[t] + p].

    ``grad`` (N, O, >= start + L) must be zero wherever ``p`` is not a real output; ``acc``
    (O, T) is float64 and gets one float32 (or float64) dot product per sample, channel and tap.
    """
    N, O = grad.shape[:2]
    T = offsets.shape[0]
    J, n = O // groups, np.uint64(L)
    for s in range(N):
        for g in range(groups):
            x = src[s, g * group_size:]
            j = 0
            while j + 4 <= J:
                o = g * J + j
                g0, g1 = grad[s, o, start:], grad[s, o + 1, start:]
                g2, g3 = grad[s, o + 2, start:], grad[s, o + 3, start:]
                for t in range(T):
                    d0, d1, d2, d3 = _dots_four_rows(g0, g1, g2, g3, x, offsets[t], n)
                    acc[o, t] += d0
                    acc[o + 1, t] += d1
                    acc[o + 2, t] += d2
                    acc[o + 3, t] += d3
                j += 4
            while j < J:
                o, t = g * J + j, 0
                row = grad[s, o, start:]
                while t + 4 <= T:
                    d0, d1, d2, d3 = _dots_four_taps(row, x, offsets[t], offsets[t + 1],
                                                     offsets[t + 2], offsets[t + 3], n)
                    acc[o, t] += d0
                    acc[o, t + 1] += d1
                    acc[o, t + 2] += d2
                    acc[o, t + 3] += d3
                    t += 4
                while t < T:
                    acc[o, t] += _dot(row, x, offsets[t], n)
                    t += 1
                j += 1
