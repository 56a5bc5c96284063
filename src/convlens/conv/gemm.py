"""The ``gemm`` engine: im2col plus a few large matrix products; handles every convolution.

``forward`` gathers receptive fields into columns (see :mod:`convlens.conv._columns`) a chunk of
samples at a time, so the columns stay in cache, and multiplies each group's filters,
(O/G, C/G * K), by the columns of the whole chunk in one BLAS call. Three shapes skip im2col:

- **pointwise** (1x1 kernel, stride 1, no padding): the input already is the column matrix;
- **depthwise** (one input and output channel per group, stride 1): each tap is a scaled,
  shifted copy of the input, summed channels-last on all cores (see ``_depthwise``);
- **grad_input at stride 1** is the forward convolution of the padded ``grad_output`` with the
  flipped, transposed kernel, so it reuses the fast forward path, unless the layer has fewer
  input than output channels: then W^T @ grad_output, scattered back with one contiguous
  slice-add per tap (the flat layout's col2im), moves fewer bytes.

``grad_input`` at stride > 1 multiplies the other way and scatters the columns back with
``prod(K)`` strided slice-adds (col2im), never ``np.add.at``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import _columns, _depthwise
from ._columns import FlatPlan, chunk_rows, flat_columns, flat_plan, padded_flat
from .capabilities import Capabilities
from .context import ConvContext
from .geometry import ConvSpec
from .padding import pad_adjoint

# Its flat layout and flipped-kernel grad_input multiply zeros outside the real windows by
# the weight (grad_input) or the input (grad_weight): 0 * inf = NaN where direct has none.
CAPABILITIES = Capabilities(spreads={"forward": (), "grad_input": (1,), "grad_weight": (1,)})

_CHUNK_BYTES = 8 << 20      # im2col columns per chunk: fits the shared L3 cache


def _filters(w: np.ndarray, groups: int) -> np.ndarray:
    """(O, C/G, *K) -> (G, O/G, C/G * prod(K)), a view."""
    return w.reshape(groups, w.shape[0] // groups, -1)


def _is_pointwise(kernel: tuple[int, ...], spec: ConvSpec) -> bool:
    return all(k == 1 for k in kernel) and set(spec.stride) == {1} and spec.is_unpadded


def _is_depthwise(w_shape: tuple[int, ...], spec: ConvSpec) -> bool:
    return spec.groups > 1 and w_shape[0] == spec.groups and w_shape[1] == 1


# -- forward ---------------------------------------------------------------------------------
def forward(x: np.ndarray, w: np.ndarray, spec: ConvSpec, *,
            ctx: ConvContext | None = None) -> np.ndarray:
    """Cross-correlate ``x`` (N, C, *S) with ``w`` (O, C/G, *K); returns (N, O, *S_out)."""
    kernel = tuple(w.shape[2:])
    if _is_pointwise(kernel, spec):
        N, G = x.shape[0], spec.groups
        y = np.matmul(_filters(w, G), x.reshape(N, G, x.shape[1] // G, -1))
        return y.reshape(N, w.shape[0], *x.shape[2:])
    if set(spec.stride) != {1}:
        return _forward_windows(x, w, spec)
    if _is_depthwise(w.shape, spec):
        return _depthwise.forward(x, w, spec)
    plan = flat_plan(tuple(x.shape[2:]), kernel, spec)
    buffer = padded_flat(x, spec, plan)
    return _columns.flat_to_output(_flat_products(buffer, plan, w, x.shape, spec), plan,
                                   x.shape[0])


def _flat_products(buffer: np.ndarray, plan: FlatPlan, w: np.ndarray, x_shape: tuple[int, ...],
                   spec: ConvSpec) -> np.ndarray:
    """(O, N * P) = filters @ flat columns, one matrix product per chunk of samples."""
    N, C, G, P = x_shape[0], x_shape[1], spec.groups, plan.positions
    filters = _filters(w, G)
    y_full = np.empty((G, filters.shape[1], N * P), dtype=w.dtype)
    per = chunk_rows(C * math.prod(plan.kernel) * P * w.itemsize, _CHUNK_BYTES)
    for start in range(0, N, per):
        stop = min(start + per, N)
        cols = flat_columns(buffer, plan, C, G, start, stop)     # (G, CgK, n * P)
        np.matmul(filters, cols, out=y_full[:, :, start * P:stop * P])
    return y_full.reshape(-1, N * P)


def _forward_windows(x: np.ndarray, w: np.ndarray, spec: ConvSpec) -> np.ndarray:
    """Any stride: strided window columns, a chunk of samples per matrix product."""
    N, C, G = x.shape[0], x.shape[1], spec.groups
    kernel = tuple(w.shape[2:])
    out_size = spec.output_size(x.shape[2:], kernel)
    P = math.prod(out_size)
    filters = _filters(w, G)
    y_full = np.empty((G, filters.shape[1], N * P), dtype=x.dtype)
    per = chunk_rows(C * math.prod(kernel) * P * x.itemsize, _CHUNK_BYTES)
    for start in range(0, N, per):
        stop = min(start + per, N)
        cols = _columns.window_columns(x[start:stop], spec, kernel, G)
        np.matmul(filters, cols, out=y_full[:, :, start * P:stop * P])
    return np.ascontiguousarray(np.moveaxis(y_full.reshape(-1, N, *out_size), 1, 0))


# -- grad_input ------------------------------------------------------------------------------
def grad_input(grad_output: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...],
               spec: ConvSpec, *, ctx: ConvContext | None = None) -> np.ndarray:
    """d loss / d x for ``forward``; ``grad_output`` is (N, O, *S_out)."""
    kernel, G = tuple(w.shape[2:]), spec.groups
    if _is_pointwise(kernel, spec):
        N = x_shape[0]
        gy = grad_output.reshape(N, G, w.shape[0] // G, -1)
        return np.matmul(_filters(w, G).transpose(0, 2, 1), gy).reshape(x_shape)
    if set(spec.stride) != {1}:
        return scatter_grad_input(grad_output, w, x_shape, spec)
    if x_shape[1] < w.shape[0]:      # fewer input than output channels: scatter is cheaper
        return _flat_col2im_grad_input(grad_output, w, x_shape, spec)
    return flipped_grad_input(forward, grad_output, w, x_shape, spec)


def _flat_col2im_grad_input(grad_output: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...],
                            spec: ConvSpec) -> np.ndarray:
    """Stride 1: columns = W^T @ flat grad_output, added back as one contiguous run per tap.

    The exact adjoint of :func:`_columns.flat_columns`; garbage positions carry zero gradient.
    """
    N, C, G = x_shape[0], x_shape[1], spec.groups
    kernel = tuple(w.shape[2:])
    plan = flat_plan(tuple(x_shape[2:]), kernel, spec)
    P, L = plan.positions, plan.length
    gy = _columns.output_to_flat(grad_output, plan).reshape(G, w.shape[0] // G, -1)
    filters_t = _filters(w, G).transpose(0, 2, 1)                           # (G, CgK, Og)
    buffer = np.zeros(N * C * L + plan.tail, dtype=grad_output.dtype)
    item, offsets = buffer.itemsize, plan.offsets()
    per = chunk_rows(C * math.prod(kernel) * P * w.itemsize, _CHUNK_BYTES)
    for start in range(0, N, per):
        stop = min(start + per, N)
        cols = np.matmul(filters_t, gy[:, :, start * P:stop * P])
        cols = cols.reshape(C, len(offsets), stop - start, P)
        for t, offset in enumerate(offsets):
            target = as_strided(buffer[start * C * L + offset:], shape=(stop - start, C, P),
                                strides=(C * L * item, L * item, item))
            target += cols[:, t].transpose(1, 0, 2)
    return pad_adjoint(buffer[:N * C * L].reshape(N, C, *plan.padded), spec.padding, "zeros")


def flipped_weight(w: np.ndarray, groups: int) -> np.ndarray:
    """(O, C/G, *K) -> (C, O/G, *K) flipped along every spatial dim, per group."""
    O, Cg, kernel = w.shape[0], w.shape[1], w.shape[2:]
    wt = w.reshape(groups, O // groups, Cg, *kernel).swapaxes(1, 2)
    flip = (slice(None),) * 3 + (slice(None, None, -1),) * len(kernel)
    return np.ascontiguousarray(wt[flip]).reshape(groups * Cg, O // groups, *kernel)


def flipped_grad_input(forward_fn, grad_output: np.ndarray, w: np.ndarray,
                       x_shape: tuple[int, ...], spec: ConvSpec) -> np.ndarray:
    """grad_input of a stride-1 conv as a forward conv of grad_output with the flipped kernel.

    Pad ``grad_output`` by ``span - 1 - pad`` on each side (crop where that is negative);
    correlating it with the flipped, transposed kernel yields every input pixel's gradient.
    """
    spans = [d * (k - 1) + 1 for k, d in zip(w.shape[2:], spec.dilation)]
    wanted = [(s - 1 - lo, s - 1 - hi) for s, (lo, hi) in zip(spans, spec.padding)]
    flip_spec = ConvSpec((1,) * spec.nd, tuple((max(lo, 0), max(hi, 0)) for lo, hi in wanted),
                         spec.dilation, spec.groups)
    gx = forward_fn(grad_output, flipped_weight(w, spec.groups), flip_spec)
    crop = tuple(slice(max(-lo, 0), max(-lo, 0) + n) for (lo, _), n in zip(wanted, x_shape[2:]))
    return gx if gx.shape == tuple(x_shape) else np.ascontiguousarray(gx[(..., *crop)])


def scatter_grad_input(grad_output: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...],
                       spec: ConvSpec) -> np.ndarray:
    """Columns = W^T @ grad_output per chunk, scattered back with one slice-add per tap."""
    N, C, G = x_shape[0], x_shape[1], spec.groups
    kernel, out_size = tuple(w.shape[2:]), tuple(grad_output.shape[2:])
    P = math.prod(out_size)
    gy = np.moveaxis(grad_output, 0, 1).reshape(G, w.shape[0] // G, N * P)   # (G, Og, N * P)
    filters_t = _filters(w, G).transpose(0, 2, 1)                           # (G, CgK, Og)
    gxp = np.zeros((N, C, *spec.padded_size(tuple(x_shape[2:]))), dtype=grad_output.dtype)
    per = chunk_rows(C * math.prod(kernel) * P * w.itemsize, _CHUNK_BYTES)
    for start in range(0, N, per):
        stop = min(start + per, N)
        cols = np.matmul(filters_t, gy[:, :, start * P:stop * P])
        cols = cols.reshape(C, *kernel, stop - start, *out_size)
        for tap in np.ndindex(*kernel):
            window = spec.window(tap, out_size)
            gxp[(slice(start, stop), slice(None), *window)] += np.moveaxis(cols[(slice(None),
                                                                                 *tap)], 1, 0)
    return pad_adjoint(gxp, spec.padding, "zeros")


# -- grad_weight -----------------------------------------------------------------------------
def grad_weight(grad_output: np.ndarray, x: np.ndarray, w_shape: tuple[int, ...],
                spec: ConvSpec, *, ctx: ConvContext | None = None) -> np.ndarray:
    """d loss / d w: grad_output @ columns^T, summed over samples and positions."""
    kernel, G, N = tuple(w_shape[2:]), spec.groups, x.shape[0]
    Og = w_shape[0] // G
    if _is_pointwise(kernel, spec):
        gy = grad_output.reshape(N, G, Og, -1)
        xs = x.reshape(N, G, x.shape[1] // G, -1)
        return np.matmul(gy, xs.transpose(0, 1, 3, 2)).sum(axis=0).reshape(w_shape)
    if set(spec.stride) != {1}:
        return window_grad_weight(grad_output, x, w_shape, spec)
    if _is_depthwise(w_shape, spec):
        return _depthwise.grad_weight(grad_output, x, w_shape, spec)
    plan = flat_plan(tuple(x.shape[2:]), kernel, spec)
    buffer = padded_flat(x, spec, plan)
    gy = _columns.output_to_flat(grad_output, plan).reshape(G, Og, -1)     # (G, Og, N * P)
    gw = np.zeros((G, Og, w_shape[1] * math.prod(kernel)), dtype=x.dtype)
    P, C = plan.positions, x.shape[1]
    per = chunk_rows(C * math.prod(kernel) * P * x.itemsize, _CHUNK_BYTES)
    for start in range(0, N, per):
        stop = min(start + per, N)
        cols = flat_columns(buffer, plan, C, G, start, stop)
        gw += np.matmul(gy[:, :, start * P:stop * P], cols.transpose(0, 2, 1))
    return gw.reshape(w_shape)


def window_grad_weight(grad_output: np.ndarray, x: np.ndarray, w_shape: tuple[int, ...],
                       spec: ConvSpec) -> np.ndarray:
    """Any stride: grad_output @ window columns^T, a chunk of samples per matrix product."""
    N, G, kernel = x.shape[0], spec.groups, tuple(w_shape[2:])
    P = math.prod(grad_output.shape[2:])
    gy = np.moveaxis(grad_output, 0, 1).reshape(G, w_shape[0] // G, N * P)
    gw = np.zeros((G, w_shape[0] // G, w_shape[1] * math.prod(kernel)), dtype=x.dtype)
    per = chunk_rows(x.shape[1] * math.prod(kernel) * P * x.itemsize, _CHUNK_BYTES)
    for start in range(0, N, per):
        stop = min(start + per, N)
        cols = _columns.window_columns(x[start:stop], spec, kernel, G)
        gw += np.matmul(gy[:, :, start * P:stop * P], cols.transpose(0, 2, 1))
    return gw.reshape(w_shape)
