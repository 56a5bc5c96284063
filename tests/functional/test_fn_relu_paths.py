"""ReLU's one-pass compiled loop gives the NumPy path's bits, special values included."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import convlens as cl
from convlens import functional as F
from convlens.conv import compiled

pytestmark = pytest.mark.skipif(importlib.util.find_spec("numba") is None,
                                reason="needs numba (convlens[jit])")


def _relu_and_grad(x: np.ndarray, g: np.ndarray, use_compiler: bool):
    with compiled.enabled(use_compiler):
        t = cl.tensor(x, requires_grad=True)
        y = F.relu(t)
        y.backward(g)
    return y.numpy(), t.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_relu_gives_the_numpy_bits(dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 5, 6)).astype(dtype)
    x.flat[:6] = [np.nan, -0.0, 0.0, np.inf, -np.inf, -1.0]
    g = rng.standard_normal(x.shape).astype(dtype)
    g.flat[4:9] = [np.inf, np.nan, -np.inf, 2.0, -2.0]      # 0 * inf is NaN on both paths
    with np.errstate(invalid="ignore"):
        fast, slow = _relu_and_grad(x, g, True), _relu_and_grad(x, g, False)
    for a, b in zip(fast, slow):
        assert a.dtype == b.dtype == dtype
        assert a.tobytes() == b.tobytes()
    assert np.isnan(fast[0].flat[0]) and fast[1].flat[0] == g.flat[0]   # NaN passes through
    assert not np.signbit(fast[0].flat[1])                              # relu(-0.0) is +0.0


def test_non_contiguous_input_takes_the_numpy_path_with_the_same_result():
    x = np.random.default_rng(1).standard_normal((6, 5)).T       # a transposed view
    g = np.ones(x.shape)
    fast, slow = _relu_and_grad(x, g, True), _relu_and_grad(x, g, False)
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape", [(), (1,), (0, 3)])
def test_compiled_relu_keeps_scalar_and_empty_shapes(shape):
    x = np.full(shape, -2.0)
    fast, slow = _relu_and_grad(x, np.ones(shape), True), _relu_and_grad(x, np.ones(shape), False)
    for a, b in zip(fast, slow):
        assert a.shape == b.shape == shape
        np.testing.assert_array_equal(a, b)
