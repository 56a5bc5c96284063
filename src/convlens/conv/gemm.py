"""The ``gemm`` engine: im2col plus one batched matrix product per direction.

``forward`` gathers every receptive-field window into a column matrix (one copy, built from a
strided ``sliding_window_view``), then multiplies it by the filters reshaped to
(O/G, C/G * K) in one ``matmul`` whose result is already in (N, O, *S_out) order.
``grad_input`` multiplies the other way and scatters the columns back with K**d strided
slice-adds (col2im), never ``np.add.at``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .geometry import ConvSpec
from .padding import pad, pad_adjoint


def columns(x: np.ndarray, spec: ConvSpec, kernel: tuple[int, ...]) -> np.ndarray:
    """im2col: (N, C, *S) -> (N, G, C/G * prod(K), prod(S_out)), one contiguous copy."""
    N, C, nd = x.shape[0], x.shape[1], spec.nd
    out_size = spec.output_size(x.shape[2:], kernel)
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, spec.dilation))
    view = sliding_window_view(pad(x, spec.padding), span, axis=tuple(range(2, 2 + nd)))
    view = view[(slice(None), slice(None),
                 *(slice(0, s * (n - 1) + 1, s) for s, n in zip(spec.stride, out_size)),
                 *(slice(None, None, d) for d in spec.dilation))]      # (N, C, *S_out, *K)
    order = (0, 1, *range(2 + nd, 2 + 2 * nd), *range(2, 2 + nd))      # (N, C, *K, *S_out)
    return view.transpose(order).reshape(
        N, spec.groups, C // spec.groups * math.prod(kernel), math.prod(out_size)
    )


def _filters(w: np.ndarray, groups: int) -> np.ndarray:
    """(O, C/G, *K) -> (G, O/G, C/G * prod(K)), a view."""
    return w.reshape(groups, w.shape[0] // groups, -1)


def forward(x: np.ndarray, w: np.ndarray, spec: ConvSpec) -> np.ndarray:
    """Cross-correlate ``x`` (N, C, *S) with ``w`` (O, C/G, *K); returns (N, O, *S_out)."""
    kernel = w.shape[2:]
    out_size = spec.output_size(x.shape[2:], kernel)
    y = np.matmul(_filters(w, spec.groups), columns(x, spec, kernel))  # (N, G, O/G, P)
    return y.reshape(x.shape[0], w.shape[0], *out_size)


def grad_input(grad_output: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...],
               spec: ConvSpec) -> np.ndarray:
    """d loss / d x: columns = W^T @ grad_output, then col2im by strided slice-adds."""
    N, C = x_shape[:2]
    kernel, out_size = w.shape[2:], grad_output.shape[2:]
    gy = grad_output.reshape(N, spec.groups, w.shape[0] // spec.groups, -1)  # (N, G, O/G, P)
    grad_cols = np.matmul(_filters(w, spec.groups).transpose(0, 2, 1), gy)   # (N, G, CgK, P)
    grad_cols = grad_cols.reshape(N, C, *kernel, *out_size)
    padded = spec.padded_size(tuple(x_shape[2:]))
    gxp = np.zeros((N, C, *padded), dtype=grad_output.dtype)
    for offset in np.ndindex(*kernel):
        gxp[(..., *spec.window(offset, out_size))] += grad_cols[(slice(None), slice(None),
                                                                 *offset)]
    return pad_adjoint(gxp, spec.padding, "zeros")


def grad_weight(grad_output: np.ndarray, x: np.ndarray, w_shape: tuple[int, ...],
                spec: ConvSpec) -> np.ndarray:
    """d loss / d w: grad_output @ columns^T, contracted over batch and pixels."""
    N, G = x.shape[0], spec.groups
    cols = columns(x, spec, tuple(w_shape[2:]))                       # (N, G, CgK, P)
    gy = grad_output.reshape(N, G, w_shape[0] // G, -1)               # (N, G, Og, P)
    gw = np.empty((G, w_shape[0] // G, cols.shape[2]), dtype=x.dtype)
    for g in range(G):
        gw[g] = np.tensordot(gy[:, g], cols[:, g], axes=([0, 2], [0, 2]))
    return gw.reshape(w_shape)
