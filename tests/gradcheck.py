"""Float64 central finite-difference gradient checks for convlens ops.

``gradcheck(fn, x, w, ...)`` treats every float64 ndarray argument as a differentiable input
(a ``requires_grad`` Tensor) and passes anything else (Tensors, ints, None) through as is. It
projects the output on a fixed random direction ``r`` so that one backward pass gives the
gradient of ``L = sum(fn(...) * r)``, then compares it, element by element, with
``(L(x + eps) - L(x - eps)) / (2 * eps)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import convlens as cl

EPS = 1e-6


def _first(out: Any) -> cl.Tensor:
    return out[0] if isinstance(out, tuple) else out


def numerical_grad(loss: Callable[[], float], array: np.ndarray, eps: float = EPS) -> np.ndarray:
    """d loss / d array by central differences, perturbing ``array`` in place."""
    grad = np.zeros_like(array)
    flat, grad_flat = array.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = loss()
        flat[i] = old - eps
        minus = loss()
        flat[i] = old
        grad_flat[i] = (plus - minus) / (2 * eps)
    return grad


def gradcheck(fn: Callable[..., Any], *args: Any, eps: float = EPS, atol: float = 1e-6,
              rtol: float = 1e-5, seed: int = 0) -> list[np.ndarray]:
    """Check the analytic gradient of ``fn`` w.r.t. every float64 ndarray in ``args``.

    Returns the analytic gradients (one per checked array), so a caller can assert more.
    """
    arrays = [np.array(a, dtype=np.float64) if _checked(a) else a for a in args]
    tensors = [cl.tensor(a, requires_grad=True) if _checked(a) else a for a in arrays]
    out = _first(fn(*tensors))
    assert out.dtype == np.float64, f"expected a float64 output; got {out.dtype}"
    direction = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(direction)

    def loss() -> float:
        with cl.no_grad():
            return float((_first(fn(*[cl.tensor(a) if _checked(a) else a
                                      for a in arrays])).numpy() * direction).sum())

    analytic = []
    for array, tensor in zip(arrays, tensors):
        if not _checked(array):
            continue
        assert tensor.grad is not None, "no gradient reached a differentiable input"
        numeric = numerical_grad(loss, array, eps)
        np.testing.assert_allclose(tensor.grad.numpy(), numeric, rtol=rtol, atol=atol)
        analytic.append(tensor.grad.numpy())
    return analytic


def _checked(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype == np.float64
