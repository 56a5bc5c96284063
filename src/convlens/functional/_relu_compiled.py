"""ReLU as one compiled pass (imported by :mod:`.activation` on first use, with numba only).

The NumPy path makes three passes over the input (``x <= 0``, its negation, ``maximum``); this
loop makes one, with the same results bit for bit: the output is ``x`` where ``x > 0`` or
``x`` is NaN and ``+0.0`` elsewhere (NumPy's ``maximum(x, 0)``), and the gradient is the
incoming gradient times 1.0 or 0.0 (so ``0 * inf`` stays NaN, as in the NumPy path).
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True)
def forward(x, out, passes):  # pragma: no cover - compiled
    """out = max(x, 0) and passes = not (x <= 0), elementwise over flat arrays."""
    for k in range(x.shape[0]):
        v = x[k]
        through = not v <= 0          # NaN passes its gradient through, as in torch
        passes[k] = through
        out[k] = v if through else 0


@njit(cache=True, nogil=True)
def backward(grad, passes, out):  # pragma: no cover - compiled
    """out = grad * passes (1.0 or 0.0), elementwise over flat arrays."""
    for k in range(grad.shape[0]):
        out[k] = grad[k] * passes[k]
