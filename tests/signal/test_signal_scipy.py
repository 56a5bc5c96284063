"""convlens.signal.convolve / correlate against scipy.signal, for every mode and method.

scipy.signal with ``method="direct"`` is the oracle: it fixes the output shape, the "same"
centring, the "valid" rules and the dtype. Shapes are drawn by hypothesis in 1-D, 2-D and 3-D,
with odd and even sizes and in1 smaller than in2.
"""

import warnings

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from convlens import signal

MODES = ("full", "same", "valid")
METHODS = ("direct", "fft", "auto")
FUNCTIONS = ("convolve", "correlate")
DTYPE_PAIRS = [
    ("float64", "float64"), ("float32", "float32"), ("int64", "int64"), ("int16", "uint8"),
    ("complex128", "complex128"), ("float64", "complex128"), ("complex64", "float32"),
]
# Relative to the largest possible output magnitude; FFT error scales with that, not with
# each output value.
RTOL = {"float64": 1e-10, "complex128": 1e-10, "float32": 1e-4, "complex64": 1e-4}


def random_array(rng: np.random.Generator, shape, dtype: str) -> np.ndarray:
    """Small integers for integer dtypes (so nothing overflows), normals otherwise."""
    kind = np.dtype(dtype).kind
    if kind == "u":
        return rng.integers(0, 10, shape).astype(dtype)
    if kind == "i":
        return rng.integers(-9, 10, shape).astype(dtype)
    values = rng.standard_normal(shape)
    if kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    return values.astype(dtype)


@st.composite
def shape_pair(draw, mode: str):
    """Two shapes of equal rank; for "valid" one is at least as large along every axis."""
    ndim = draw(st.integers(1, 3))
    top = (9, 7, 5)[ndim - 1]
    shape1 = tuple(draw(st.lists(st.integers(1, top), min_size=ndim, max_size=ndim)))
    shape2 = tuple(draw(st.lists(st.integers(1, top), min_size=ndim, max_size=ndim)))
    if mode == "valid":
        big = tuple(max(a, b) for a, b in zip(shape1, shape2))
        small = tuple(min(a, b) for a, b in zip(shape1, shape2))
        shape1, shape2 = (small, big) if draw(st.booleans()) else (big, small)
    return shape1, shape2


def check_against_scipy(name, in1, in2, mode, method):
    ours = getattr(signal, name)(in1, in2, mode=mode, method=method)
    reference = getattr(scipy.signal, name)(in1, in2, mode=mode, method="direct")
    assert ours.dtype == reference.dtype
    assert ours.shape == reference.shape
    if reference.dtype.kind in "iub":
        np.testing.assert_array_equal(ours, reference)
        return
    rtol = RTOL[reference.dtype.name]
    scale = np.abs(in1).sum() * np.abs(in2).max()
    np.testing.assert_allclose(ours, reference, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", FUNCTIONS)
@settings(max_examples=20)
@given(data=st.data())
def test_matches_scipy(name, mode, method, data):
    shape1, shape2 = data.draw(shape_pair(mode))
    dtype1, dtype2 = data.draw(st.sampled_from(DTYPE_PAIRS))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    check_against_scipy(name, random_array(rng, shape1, dtype1),
                        random_array(rng, shape2, dtype2), mode, method)


# Fixed shapes, so the cases that matter most never depend on what hypothesis draws:
# odd/even kernels, in1 smaller than in2 (in every axis, and in some), and 1-D to 3-D.
FIXED_SHAPES = [
    ((8,), (3,)), ((8,), (4,)), ((3,), (8,)), ((4,), (7,)), ((5,), (5,)), ((1,), (6,)),
    ((6, 7), (3, 3)), ((6, 7), (2, 4)), ((2, 3), (5, 6)), ((3, 3), (3, 3)),
    ((5, 2), (2, 5)), ((4, 5, 6), (2, 3, 3)), ((2, 2, 3), (3, 4, 4)),
]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize(("shape1", "shape2"), FIXED_SHAPES)
def test_matches_scipy_on_fixed_shapes(name, mode, method, shape1, shape2):
    if mode == "valid" and not (
        all(a >= b for a, b in zip(shape1, shape2)) or all(a <= b for a, b in zip(shape1, shape2))
    ):
        # neither input is the larger: scipy refuses, and so do we (message pinned elsewhere)
        with pytest.raises(ValueError, match="For 'valid' mode"):
            getattr(scipy.signal, name)(np.ones(shape1), np.ones(shape2), mode, "direct")
        with pytest.raises(ValueError, match="mode='valid' needs one input at least as large"):
            getattr(signal, name)(np.ones(shape1), np.ones(shape2), mode, method)
        return
    rng = np.random.default_rng(0)
    in1, in2 = random_array(rng, shape1, "float64"), random_array(rng, shape2, "float64")
    check_against_scipy(name, in1, in2, mode, method)
    check_against_scipy(name, in1.astype(np.int64) * 3, in2.astype(np.int64), mode, method)


def test_same_centring_for_an_even_kernel_by_hand():
    # full = [1, 3, 5, 7, 4]; "same" keeps 4 outputs from index (2 - 1) // 2 = 0, and for a
    # 4-tap kernel, full = [1, 3, 6, 10, 9, 7, 4], from index (4 - 1) // 2 = 1.
    for method in METHODS:
        got = signal.convolve([1, 2, 3, 4], [1, 1], mode="same", method=method)
        np.testing.assert_array_equal(got, [1, 3, 5, 7])
        got = signal.convolve([1, 2, 3, 4], [1, 1, 1, 1], mode="same", method=method)
        np.testing.assert_array_equal(got, [3, 6, 10, 9])


@pytest.mark.parametrize("name", FUNCTIONS)
def test_zero_dimensional_inputs_multiply(name):
    for a, b in [(3, 4), (2.5, 1j), (1j, 1j)]:
        assert getattr(signal, name)(a, b) == getattr(scipy.signal, name)(a, b)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_empty_in1_with_mode_same_gives_an_empty_output(name, method):
    for shape1, shape2 in [((0,), (3,)), ((0, 3), (2, 2))]:
        out = getattr(signal, name)(np.ones(shape1), np.ones(shape2), mode="same",
                                    method=method)
        reference = getattr(scipy.signal, name)(np.ones(shape1), np.ones(shape2),
                                                mode="same", method="direct")
        assert out.shape == reference.shape == shape1
        assert out.dtype == reference.dtype


@pytest.mark.parametrize("mode", MODES)
def test_array_likes_bools_and_integer_wraparound_match_scipy(mode):
    check_against_scipy("convolve", [1, 2, 3], (4, 5), mode, "auto")
    a, k = np.array([True, False, False, True, False]), np.array([True, True])
    for method in ("direct", "fft"):
        assert np.array_equal(signal.convolve(a, k, mode, method),
                              scipy.signal.convolve(a, k, mode, "direct"))
    # int8 arithmetic wraps around in scipy's direct method, and so it does here.
    big = np.full((4, 4), 100, np.int8)
    np.testing.assert_array_equal(
        signal.convolve(big, np.ones((3, 3), np.int8), mode, "direct"),
        scipy.signal.convolve(big, np.ones((3, 3), np.int8), mode, "direct"),
    )


def test_float16_keeps_its_dtype():
    a, k = np.linspace(0, 1, 9, dtype=np.float16), np.array([0.5, 0.25], np.float16)
    for method in METHODS:
        out = signal.convolve(a, k, method=method)
        assert out.dtype == np.float16
        np.testing.assert_allclose(out, np.convolve(a.astype(float), k.astype(float)),
                                   rtol=2e-3, atol=1e-3)


def test_direct_keeps_nan_local_and_auto_avoids_fft_for_it():
    x = np.zeros((40, 40))
    x[5, 5] = np.nan
    kernel = np.ones((15, 15))
    assert signal.choose_method(np.zeros((40, 40)), kernel) == "fft"
    assert signal.choose_method(x, kernel) == "direct"
    out = signal.convolve(x, kernel)
    np.testing.assert_array_equal(out, scipy.signal.convolve(x, kernel, method="direct"))
    assert np.isnan(out).sum() == 15 * 15


@pytest.mark.parametrize("name", FUNCTIONS)
def test_direct_handles_inf_and_overflow_silently_like_scipy(name):
    cases = [([np.inf, 1.0, 2.0], [0.0, 1.0]), ([1e200, 1e200], [1e200, 1.0]),
             ([[np.inf, 1.0], [2.0, -np.inf]], [[0.0, 1.0], [1.0, 1.0]])]
    for in1, in2 in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ours = getattr(signal, name)(in1, in2, method="direct")
        reference = getattr(scipy.signal, name)(in1, in2, method="direct")
        np.testing.assert_array_equal(ours, reference)


def test_choose_method_prefers_direct_for_small_kernels_and_fft_for_large():
    assert signal.choose_method(np.ones((64, 64)), np.ones((3, 3)), mode="same") == "direct"
    assert signal.choose_method(np.ones((64, 64)), np.ones((31, 31)), mode="same") == "fft"
    assert signal.choose_method(np.ones(100_000), np.ones(3)) == "direct"
    assert signal.choose_method(np.ones(100_000), np.ones(2_000)) == "fft"
    # integers stay exact: always direct, however large the kernel
    assert signal.choose_method(np.ones((64, 64), int), np.ones((31, 31), int)) == "direct"
    # "valid" of two equal signals has one output: FFT of the whole, or 2000 tiny taps
    assert signal.choose_method(np.ones(2_000), np.ones(2_000), mode="valid") == "fft"
    assert signal.choose_method(2.0, 3.0) == "direct"


def test_large_integer_convolution_stays_exact_under_auto():
    # |result| < 300 * 2**35 * 2**20 < 2**63: exact in int64, far beyond float64's 2**53
    rng = np.random.default_rng(1)
    a = rng.integers(-(2**35), 2**35, 300)
    k = rng.integers(-(2**20), 2**20, 200)
    exact = np.array([sum(int(a[i]) * int(k[n - i]) for i in range(max(0, n - 199),
                                                                      min(300, n + 1)))
                      for n in range(499)], dtype=object)
    np.testing.assert_array_equal(signal.convolve(a, k).astype(object), exact)
