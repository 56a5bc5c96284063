"""Rounding error of the Winograd and FFT engines on layer-sized float32 problems.

Errors are measured against the float64 ``direct`` oracle, relative to the largest sum of
absolute products (the scale of any dot product's rounding error). Measured on this suite's
data (numpy 2.4, OpenBLAS, pocketfft): Winograd F(4x4, 3x3) about 2e-6, FFT about 2e-7,
gemm about 1e-7; the bounds below leave a 5-10x margin.
"""

from __future__ import annotations

import numpy as np
import pytest

from convlens.conv import direct, fft, gemm, winograd
from convlens.conv.geometry import ConvSpec

BOUNDS = {"winograd": 2e-5, "fft": 2e-6, "gemm": 1e-6}
LAYERS = {
    "winograd": ((2, 64, 32, 32), (64, 64, 3, 3), 1),
    "fft": ((1, 16, 96, 96), (16, 16, 15, 15), 7),
    "fft-blocked-1d": ((2, 4, 8000), (4, 4, 257), 128),
}


def _error(engine, x_shape, w_shape, pad, seed=0):
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    nd = len(x_shape) - 2
    spec = ConvSpec((1,) * nd, ((pad, pad),) * nd, (1,) * nd, 1)
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    exact = direct.forward(x32.astype(np.float64), w32.astype(np.float64), spec)
    scale = np.max(direct.forward(np.abs(x32).astype(np.float64),
                                  np.abs(w32).astype(np.float64), spec))
    return float(np.max(np.abs(engine.forward(x32, w32, spec) - exact)) / scale), spec


@pytest.mark.parametrize("layer", list(LAYERS))
def test_float32_error_is_bounded(layer):
    name = layer.split("-")[0]
    engine = {"winograd": winograd, "fft": fft}[name]
    error, spec = _error(engine, *LAYERS[layer])
    reference, _ = _error(gemm, *LAYERS[layer])
    assert error <= BOUNDS[name], error
    assert reference <= BOUNDS["gemm"]
    if layer == "fft-blocked-1d":
        assert any(fft.plan_for(LAYERS[layer][0], LAYERS[layer][1], spec).blocked)


def test_winograd_transforms_compute_a_correlation_exactly():
    """A^T [(G g) * (B^T d)] is the 4-output correlation of a 6-sample tile (1-D, float64)."""
    bt, g, at = winograd.transforms(1, "<f8")
    rng = np.random.default_rng(1)
    d, k = rng.standard_normal(6), rng.standard_normal(3)
    expected = np.array([d[i:i + 3] @ k for i in range(4)])
    np.testing.assert_allclose(at @ ((g @ k) * (bt @ d)), expected, rtol=1e-13, atol=1e-13)
    bt2, g2, at2 = winograd.transforms(2, "<f8")
    d2, k2 = rng.standard_normal((6, 6)), rng.standard_normal((3, 3))
    expected2 = np.array([[np.sum(d2[i:i + 3, j:j + 3] * k2) for j in range(4)]
                          for i in range(4)])
    got = at2 @ ((g2 @ k2.ravel()) * (bt2 @ d2.ravel()))
    np.testing.assert_allclose(got.reshape(4, 4), expected2, rtol=1e-12, atol=1e-12)
