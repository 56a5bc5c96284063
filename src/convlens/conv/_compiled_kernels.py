"""The compiled engine's loops, compiled by numba (imported only when the engine first runs).

Each kernel reads like the ``direct`` oracle written out pixel by pixel: 2-D, on a
zero-padded input, with stride, dilation and groups. 1-D convolutions arrive as 2-D ones with
height 1. Every output element is written by exactly one ``prange`` job and summed in a fixed
order, so results do not depend on the number of threads. ``cache=True`` keeps the machine
code on disk, so the compilation cost is paid once per install.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def forward(xp, w, sh, sw, dh, dw, groups, out):  # pragma: no cover - compiled
    """out (N, O, Ho, Wo) = cross-correlation of padded xp (N, C, Hp, Wp) with w (O, Cg, KH, KW)."""
    N, O, Ho, Wo = out.shape
    Cg, KH, KW = w.shape[1], w.shape[2], w.shape[3]
    Og = O // groups
    span = (Wo - 1) * sw + 1     # a row's window: every sw-th of span columns
    for job in prange(N * O):
        n, o = job // O, job % O
        g = o // Og
        y = out[n, o]
        y[:, :] = 0
        for c in range(Cg):
            x = xp[n, g * Cg + c]
            for p in range(KH):
                for q in range(KW):
                    weight = w[o, c, p, q]
                    for i in range(Ho):
                        y_row, x_row = y[i], x[i * sh + p * dh, q * dw:q * dw + span:sw]
                        for j in range(Wo):
                            y_row[j] += weight * x_row[j]


@njit(parallel=True, cache=True)
def grad_input(gy, w, sh, sw, dh, dw, groups, gxp):  # pragma: no cover - compiled
    """gxp (N, C, Hp, Wp) = d loss / d padded input, from gy (N, O, Ho, Wo)."""
    N, C = gxp.shape[0], gxp.shape[1]
    O, Ho, Wo = gy.shape[1], gy.shape[2], gy.shape[3]
    Cg, KH, KW = w.shape[1], w.shape[2], w.shape[3]
    Og = O // groups
    span = (Wo - 1) * sw + 1     # a row's window: every sw-th of span columns
    for job in prange(N * C):
        n, c = job // C, job % C
        g, cg = c // Cg, c % Cg
        gx = gxp[n, c]
        gx[:, :] = 0
        for o in range(g * Og, (g + 1) * Og):
            grad = gy[n, o]
            for p in range(KH):
                for q in range(KW):
                    weight = w[o, cg, p, q]
                    for i in range(Ho):
                        gx_row, g_row = gx[i * sh + p * dh, q * dw:q * dw + span:sw], grad[i]
                        for j in range(Wo):
                            gx_row[j] += weight * g_row[j]


@njit(parallel=True, cache=True)
def grad_weight(gy, xp, sh, sw, dh, dw, groups, gw):  # pragma: no cover - compiled
    """gw (O, Cg, KH, KW) = d loss / d w; sums in float64, one row of partial sums per tap."""
    O, Cg, KH, KW = gw.shape
    N, Ho, Wo = gy.shape[0], gy.shape[2], gy.shape[3]
    Og = O // groups
    span = (Wo - 1) * sw + 1     # a row's window: every sw-th of span columns
    for job in prange(O * Cg):
        o, c = job // Cg, job % Cg
        channel = (o // Og) * Cg + c
        acc = np.zeros((KH, KW, Wo), dtype=np.float64)
        for n in range(N):
            x = xp[n, channel]
            grad = gy[n, o]
            for p in range(KH):
                for q in range(KW):
                    acc_row = acc[p, q]
                    for i in range(Ho):
                        g_row, x_row = grad[i], x[i * sh + p * dh, q * dw:q * dw + span:sw]
                        for j in range(Wo):
                            acc_row[j] += g_row[j] * x_row[j]
        for p in range(KH):
            for q in range(KW):
                gw[o, c, p, q] = acc[p, q].sum()


@njit(parallel=True, cache=True)
def max_pool(xp, kh, kw, sh, sw, dh, dw, out, argmax):  # pragma: no cover - compiled
    """Max over each window of xp (N, C, Hp, Wp) into out, and the flat index of the winner.

    The first maximum in row-major window order wins, and NaN wins over numbers (as torch).
    """
    N, C, Ho, Wo = out.shape
    Wp = xp.shape[3]
    for job in prange(N * C):
        n, c = job // C, job % C
        x = xp[n, c]
        for i in range(Ho):
            for j in range(Wo):
                best = x[i * sh, j * sw]
                where = i * sh * Wp + j * sw
                for p in range(kh):
                    for q in range(kw):
                        row, col = i * sh + p * dh, j * sw + q * dw
                        value = x[row, col]
                        if value > best or (value != value and best == best):
                            best, where = value, row * Wp + col
                out[n, c, i, j] = best
                argmax[n, c, i, j] = where


@njit(fastmath={"contract"}, cache=True)
def _taps(acc, x_row, w_vec, Wo, Og, sw, start):  # pragma: no cover - compiled
    """acc[j, o] += x_row[start + j * sw] * w_vec[o]: one kernel tap for a row of outputs.

    A separate function so that LLVM vectorizes the loop over output channels (it did not
    when inlined in the parallel loop); ``contract`` lets it fuse the multiply-add (FMA).
    """
    for j in range(Wo):
        value = x_row[start + j * sw]
        a = acc[j]
        for o in range(Og):
            a[o] += value * w_vec[o]


@njit(parallel=True, cache=True)
def forward_channels(xp, wt, sh, sw, dh, dw, out):  # pragma: no cover - compiled
    """``forward`` with output channels innermost, for layers with many of them per group.

    ``wt`` is the weight as (G, Cg, KH, KW, Og); each job computes one output row of one
    sample and group for all its output channels at once.
    """
    N, O, Ho, Wo = out.shape
    G, Cg, KH, KW, Og = wt.shape
    for job in prange(N * G * Ho):
        n, rest = job // (G * Ho), job % (G * Ho)
        g, i = rest // Ho, rest % Ho
        acc = np.zeros((Wo, Og), dtype=out.dtype)
        for c in range(Cg):
            for p in range(KH):
                x_row = xp[n, g * Cg + c, i * sh + p * dh]
                for q in range(KW):
                    _taps(acc, x_row, wt[g, c, p, q], Wo, Og, sw, q * dw)
        for o in range(Og):
            for j in range(Wo):
                out[n, g * Og + o, i, j] = acc[j, o]
