"""Convolution and correlation differ by a kernel flip, and NN "convolution" is correlation.

Checks, on hypothesis-drawn shapes: correlate equals convolve with the flipped (conjugated)
kernel and back, across different methods; convlens.functional.conv1d/conv2d/conv3d (through
convlens.tensor) equal signal.correlate(mode="valid") on one channel, and so signal.convolve
with the kernel flipped.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import functional as F
from convlens import signal

MODES = ("full", "same", "valid")


def flip(array: np.ndarray) -> np.ndarray:
    return array[(slice(None, None, -1),) * array.ndim]


@st.composite
def image_and_kernel(draw, max_ndim: int = 3, complex_ok: bool = True):
    """An input at least as large as its kernel along every axis (so "valid" is defined)."""
    ndim = draw(st.integers(1, max_ndim))
    kernel_shape = tuple(draw(st.lists(st.integers(1, 5), min_size=ndim, max_size=ndim)))
    shape = tuple(k + draw(st.integers(0, 5)) for k in kernel_shape)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x, w = rng.standard_normal(shape), rng.standard_normal(kernel_shape)
    if complex_ok and draw(st.booleans()):
        x = x + 1j * rng.standard_normal(shape)
        w = w + 1j * rng.standard_normal(kernel_shape)
    return x, w


def assert_close(actual, expected):
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-10 * scale)


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=25)
@given(pair=image_and_kernel())
def test_correlate_is_convolve_with_the_kernel_flipped(mode, pair):
    x, w = pair
    # The two sides use different methods, so this is not one code path compared to itself.
    assert_close(signal.correlate(x, w, mode, method="direct"),
                 signal.convolve(x, flip(w).conj(), mode, method="fft"))
    assert_close(signal.convolve(x, w, mode, method="direct"),
                 signal.correlate(x, flip(w).conj(), mode, method="fft"))


def test_correlate_differs_from_convolve_for_an_asymmetric_kernel():
    x, w = np.arange(6.0), np.array([1.0, 0.0, -1.0])
    np.testing.assert_array_equal(signal.correlate(x, w, "valid"), [-2, -2, -2, -2])
    np.testing.assert_array_equal(signal.convolve(x, w, "valid"), [2, 2, 2, 2])
    np.testing.assert_array_equal(signal.convolve(x, w[::-1], "valid"), [-2, -2, -2, -2])


CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


@settings(max_examples=30)
@given(pair=image_and_kernel(complex_ok=False))
def test_single_channel_nn_conv_is_valid_correlation(pair):
    x, w = pair
    nn_out = CONV[x.ndim](cl.tensor(x[None, None]), cl.tensor(w[None, None])).numpy()[0, 0]
    assert nn_out.dtype == np.float64
    assert_close(nn_out, signal.correlate(x, w, mode="valid"))
    assert_close(nn_out, signal.convolve(x, flip(w), mode="valid"))


@settings(max_examples=15)
@given(pair=image_and_kernel(max_ndim=2, complex_ok=False), channels=st.integers(1, 4))
def test_multichannel_filter_is_one_correlation_over_the_full_depth(pair, channels):
    # A filter spans the whole input depth, so a conv with C_in channels is a (1 + d)-D valid
    # correlation whose kernel is as deep as the input: the channel axis collapses to 1.
    x, w = pair
    rng = np.random.default_rng(0)
    x = np.stack([x] + [rng.standard_normal(x.shape) for _ in range(channels - 1)])
    w = np.stack([w] + [rng.standard_normal(w.shape) for _ in range(channels - 1)])
    nn_out = CONV[x.ndim - 1](cl.tensor(x[None]), cl.tensor(w[None])).numpy()[0]
    assert_close(nn_out, signal.correlate(x, w, mode="valid"))
