"""NaN and inf stay where they are: the local fallback for transform engines.

A NaN or inf in an input pixel, a weight or an upstream gradient reaches, in the ``direct``
oracle and in PyTorch, exactly the outputs whose dot products contain it. Transform engines
mix values before they multiply: one non-finite pixel turns a whole Winograd tile, or every
output of an FFT, into NaN. im2col variants that multiply zeros against non-finite values
outside the real windows (gemm's flat layout and its flipped-kernel ``grad_input``) add
``0 * inf = NaN`` where the oracle has none.

Each engine declares in ``CAPABILITIES.spreads`` which operands of which pass it would
spread; :func:`convlens.conv.choose.runner` checks those operands with one reduction each
(:func:`all_finite`) and, when one holds NaN/inf, runs the functions below instead. They are
gemm's window paths, which only ever multiply values that the oracle multiplies too.
"""

from __future__ import annotations

import numpy as np

from . import gemm
from .capabilities import LOCAL, Capabilities
from .context import ConvContext
from .geometry import ConvSpec

CAPABILITIES = Capabilities(spreads=LOCAL)


def all_finite(*arrays: np.ndarray) -> bool:
    """Whether no array holds NaN or inf.

    One BLAS dot product per array decides almost always: a NaN or inf makes ``a . a``
    non-finite (and it runs 3-4x faster than a NumPy sum). Only when the result is not finite
    (a non-finite value, or an overflow of finite squares) is the exact elementwise check run.
    """
    for a in arrays:
        flat = a.reshape(-1)
        with np.errstate(over="ignore", invalid="ignore"):
            total = np.dot(flat, flat)
        if not np.isfinite(total) and not np.isfinite(a).all():
            return False
    return True


def forward(x: np.ndarray, w: np.ndarray, spec: ConvSpec, *,
            ctx: ConvContext | None = None) -> np.ndarray:
    """gemm's forward: every column holds exactly one output's window, padding included."""
    with np.errstate(invalid="ignore", over="ignore"):
        return gemm.forward(x, w, spec)


def grad_input(grad_output: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...],
               spec: ConvSpec, *, ctx: ConvContext | None = None) -> np.ndarray:
    """W^T @ grad_output over the real outputs only, scattered back tap by tap (col2im)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return gemm.scatter_grad_input(grad_output, w, x_shape, spec)


def grad_weight(grad_output: np.ndarray, x: np.ndarray, w_shape: tuple[int, ...],
                spec: ConvSpec, *, ctx: ConvContext | None = None) -> np.ndarray:
    """grad_output @ window columns^T, over the real outputs only."""
    with np.errstate(invalid="ignore", over="ignore"):
        return gemm.window_grad_weight(grad_output, x, w_shape, spec)
