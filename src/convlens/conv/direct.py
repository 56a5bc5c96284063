"""The ``direct`` engine: the readable oracle every other engine is tested against.

It follows the definition of a (cross-correlation) convolution layer literally: for every
kernel tap, take the strided window of the padded input that the tap meets, and add its
channel-contracted product with that tap's weights into the output. The Python loop runs over
kernel taps (K**d of them), never over pixels.

All three functions take an *unpadded* input; ``spec.padding`` is zero padding. ``ctx`` is
accepted for a uniform engine interface and not used.
"""

from __future__ import annotations

import math

import numpy as np

from .capabilities import LOCAL, Capabilities
from .context import ConvContext
from .geometry import ConvSpec
from .padding import pad, pad_adjoint

CAPABILITIES = Capabilities(spreads=LOCAL)


def _grouped(x: np.ndarray, groups: int) -> np.ndarray:
    """(N, C, *S) -> (N, G, C/G, *S), a view."""
    return x.reshape(x.shape[0], groups, x.shape[1] // groups, *x.shape[2:])


def forward(x: np.ndarray, w: np.ndarray, spec: ConvSpec, *,
            ctx: ConvContext | None = None) -> np.ndarray:
    """Cross-correlate ``x`` (N, C, *S) with ``w`` (O, C/G, *K); returns (N, O, *S_out)."""
    kernel = w.shape[2:]
    out_size = spec.output_size(x.shape[2:], kernel)
    xg = _grouped(pad(x, spec.padding), spec.groups)            # (N, G, Cg, *S_pad)
    wg = w.reshape(spec.groups, w.shape[0] // spec.groups, *w.shape[1:])  # (G, Og, Cg, *K)
    y = np.zeros((x.shape[0], spec.groups, wg.shape[1], *out_size), dtype=x.dtype)
    for offset in np.ndindex(*kernel):
        patch = xg[(..., *spec.window(offset, out_size))]          # (N, G, Cg, *S_out)
        y += np.einsum("ngc...,goc->ngo...", patch, wg[(..., *offset)])
    return y.reshape(x.shape[0], w.shape[0], *out_size)


def grad_input(grad_output: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...],
               spec: ConvSpec, *, ctx: ConvContext | None = None) -> np.ndarray:
    """d loss / d x for ``forward``; ``grad_output`` is (N, O, *S_out)."""
    N, C = x_shape[:2]
    out_size = grad_output.shape[2:]
    gy = _grouped(grad_output, spec.groups)                      # (N, G, Og, *S_out)
    wg = w.reshape(spec.groups, w.shape[0] // spec.groups, *w.shape[1:])
    padded = spec.padded_size(tuple(x_shape[2:]))
    gxp = np.zeros((N, spec.groups, C // spec.groups, *padded), dtype=grad_output.dtype)
    for offset in np.ndindex(*w.shape[2:]):
        gxp[(..., *spec.window(offset, out_size))] += np.einsum(
            "ngo...,goc->ngc...", gy, wg[(..., *offset)]
        )
    return pad_adjoint(gxp.reshape(N, C, *padded), spec.padding, "zeros")


def grad_weight(grad_output: np.ndarray, x: np.ndarray, w_shape: tuple[int, ...],
                spec: ConvSpec, *, ctx: ConvContext | None = None) -> np.ndarray:
    """d loss / d w for ``forward``; returns an array of shape ``w_shape``."""
    out_size = grad_output.shape[2:]
    xg = _grouped(pad(x, spec.padding), spec.groups)
    gy = _grouped(grad_output, spec.groups).reshape(*xg.shape[:2], -1, math.prod(out_size))
    gw = np.zeros((spec.groups, w_shape[0] // spec.groups, *w_shape[1:]), dtype=x.dtype)
    for offset in np.ndindex(*w_shape[2:]):
        patch = xg[(..., *spec.window(offset, out_size))].reshape(*xg.shape[:3], -1)
        gw[(..., *offset)] = np.einsum("ngcp,ngop->goc", patch, gy)
    return gw.reshape(w_shape)
