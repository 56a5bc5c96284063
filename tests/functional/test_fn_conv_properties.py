"""Properties of convolution and pooling (hypothesis), over both conv engines."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import functional as F

ALGORITHMS = st.sampled_from(["direct", "gemm"])
SEEDS = st.integers(0, 2**16)


def _rng(seed):
    return np.random.default_rng(seed)


def _conv_out(n, k, stride, lo, hi, dilation):
    """The documented output-size formula, written out here on purpose."""
    return math.floor((n + lo + hi - dilation * (k - 1) - 1) / stride) + 1


@settings(max_examples=40)
@given(n=st.integers(1, 12), k=st.integers(1, 5), stride=st.integers(1, 3),
       lo=st.integers(0, 3), hi=st.integers(0, 3), dilation=st.integers(1, 3),
       algorithm=ALGORITHMS)
def test_conv_output_size_follows_the_formula(n, k, stride, lo, hi, dilation, algorithm):
    assume(n + lo + hi >= dilation * (k - 1) + 1)
    x = cl.tensor(np.zeros((1, 2, n, 3)))
    w = cl.tensor(np.zeros((4, 2, k, 1)))
    y = F.conv2d(x, w, stride=(stride, 1), padding=((lo, hi), (0, 0)), dilation=(dilation, 1),
                 algorithm=algorithm)
    assert y.shape == (1, 4, _conv_out(n, k, stride, lo, hi, dilation), 3)


@settings(max_examples=30)
@given(n=st.integers(1, 12), k=st.integers(1, 5), stride=st.integers(1, 4),
       dilation=st.integers(1, 3))
def test_same_padding_gives_ceil_of_input_over_stride(n, k, stride, dilation):
    y = F.conv1d(cl.tensor(np.zeros((1, 1, n))), cl.tensor(np.zeros((1, 1, k))), stride=stride,
                 padding="same", dilation=dilation)
    assert y.shape[-1] == math.ceil(n / stride)


@pytest.mark.parametrize(("n", "k", "stride", "expected"), [
    (5, 2, 2, [1 + 2, 3 + 4, 5 + 0]),      # total pad 1: nothing before, one zero after
    (6, 3, 2, [1 + 2 + 3, 3 + 4 + 5, 5 + 6 + 0]),
    (5, 4, 1, [0 + 1 + 2 + 3, 1 + 2 + 3 + 4, 2 + 3 + 4 + 5, 3 + 4 + 5 + 0, 4 + 5 + 0 + 0]),
])
def test_same_padding_puts_the_odd_pixel_at_the_end(n, k, stride, expected):
    x = cl.tensor(np.arange(1.0, n + 1).reshape(1, 1, n))
    y = F.conv1d(x, cl.tensor(np.ones((1, 1, k))), stride=stride, padding="same")
    assert y.numpy().ravel().tolist() == expected


@settings(max_examples=30)
@given(n=st.integers(1, 15), f=st.integers(1, 15), algorithm=ALGORITHMS)
def test_valid_conv_gives_n_minus_f_plus_1_outputs(n, f, algorithm):
    assume(f <= n)
    y = F.conv1d(cl.tensor(np.ones((1, 1, n))), cl.tensor(np.ones((1, 1, f))), padding="valid",
                 algorithm=algorithm)
    assert y.shape == (1, 1, n - f + 1)
    assert (y.numpy() == f).all()


@settings(max_examples=30)
@given(n=st.integers(1, 12), k=st.integers(1, 4), stride=st.integers(1, 3),
       padding=st.integers(0, 2), dilation=st.integers(1, 2), ceil_mode=st.booleans())
def test_pool_output_size_follows_the_formula(n, k, stride, padding, dilation, ceil_mode):
    assume(padding <= k // 2)
    rounding = math.ceil if ceil_mode else math.floor
    out = rounding((n + 2 * padding - dilation * (k - 1) - 1) / stride) + 1
    if ceil_mode and (out - 1) * stride >= n + padding:
        out -= 1
    assume(out >= 1)
    y = F.max_pool2d(cl.tensor(np.zeros((1, 1, n, 2))), (k, 1), (stride, 1), (padding, 0),
                     (dilation, 1), ceil_mode)
    assert y.shape == (1, 1, out, 2)


@st.composite
def conv2d_cases(draw):
    groups = draw(st.integers(1, 3))
    kernel = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    kwargs = dict(stride=draw(st.integers(1, 2)), padding=draw(st.integers(0, 2)),
                  dilation=draw(st.integers(1, 2)), groups=groups)
    x_shape = (draw(st.integers(1, 2)), groups * draw(st.integers(1, 2)), 5, 6)
    w_shape = (groups * draw(st.integers(1, 2)), x_shape[1] // groups, *kernel)
    return x_shape, w_shape, kwargs, draw(ALGORITHMS), draw(SEEDS)


@settings(max_examples=30)
@given(case=conv2d_cases(), a=st.floats(-3, 3), b=st.floats(-3, 3))
def test_conv_is_linear_in_x(case, a, b):
    x_shape, w_shape, kwargs, algorithm, seed = case
    rng = _rng(seed)
    x1, x2 = rng.standard_normal(x_shape), rng.standard_normal(x_shape)
    w = cl.tensor(rng.standard_normal(w_shape))

    def conv(x):
        return F.conv2d(cl.tensor(x), w, **kwargs, algorithm=algorithm).numpy()

    np.testing.assert_allclose(conv(a * x1 + b * x2), a * conv(x1) + b * conv(x2),
                               rtol=1e-10, atol=1e-10)


@settings(max_examples=30)
@given(case=conv2d_cases(), mode=st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
def test_conv1d_equals_conv2d_with_height_1(case, mode):
    x_shape, w_shape, kwargs, algorithm, seed = case
    rng = _rng(seed)
    x = rng.standard_normal((*x_shape[:2], 7))
    w, b = rng.standard_normal(w_shape[:3]), rng.standard_normal(w_shape[0])
    one_d = F.conv1d(cl.tensor(x), cl.tensor(w), cl.tensor(b), **kwargs, padding_mode=mode,
                     algorithm=algorithm)
    two_d = F.conv2d(cl.tensor(x[:, :, None]), cl.tensor(w[:, :, None]), cl.tensor(b),
                     stride=(1, kwargs["stride"]), padding=((0, 0), (kwargs["padding"],) * 2),
                     dilation=(1, kwargs["dilation"]), groups=kwargs["groups"],
                     padding_mode=mode, algorithm=algorithm)
    np.testing.assert_allclose(one_d.numpy(), two_d.numpy()[:, :, 0], rtol=1e-12, atol=1e-12)


@settings(max_examples=30)
@given(case=conv2d_cases())
def test_grouped_conv_equals_per_group_convs_concatenated(case):
    x_shape, w_shape, kwargs, algorithm, seed = case
    rng = _rng(seed)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    groups = kwargs.pop("groups")
    grouped = F.conv2d(cl.tensor(x), cl.tensor(w), groups=groups, **kwargs, algorithm=algorithm)
    cin, cout = x_shape[1] // groups, w_shape[0] // groups
    parts = [F.conv2d(cl.tensor(x[:, g * cin:(g + 1) * cin]),
                      cl.tensor(w[g * cout:(g + 1) * cout]), **kwargs, algorithm=algorithm)
             for g in range(groups)]
    np.testing.assert_allclose(grouped.numpy(), cl.cat(parts, dim=1).numpy(), rtol=1e-12,
                               atol=1e-12)


@settings(max_examples=30)
@given(size=st.tuples(st.integers(2, 8), st.integers(2, 8)),
       kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       shift=st.tuples(st.integers(-8, 8), st.integers(-8, 8)), dilation=st.integers(1, 2),
       algorithm=ALGORITHMS, seed=SEEDS)
def test_circular_stride_1_conv_is_shift_equivariant(size, kernel, shift, dilation, algorithm,
                                                     seed):
    assume(all(dilation * (k - 1) <= n for k, n in zip(kernel, size)))
    rng = _rng(seed)
    x, w = rng.standard_normal((1, 2, *size)), cl.tensor(rng.standard_normal((3, 2, *kernel)))

    def conv(x):
        return F.conv2d(cl.tensor(x), w, padding="same", dilation=dilation,
                        padding_mode="circular", algorithm=algorithm).numpy()

    shifted_then_conv = conv(np.roll(x, shift, axis=(2, 3)))
    conv_then_shifted = np.roll(conv(x), shift, axis=(2, 3))
    if algorithm == "direct":  # the same products summed in the same order: bit for bit
        np.testing.assert_array_equal(shifted_then_conv, conv_then_shifted)
    else:  # BLAS may block columns differently, so the last bit can differ
        np.testing.assert_allclose(shifted_then_conv, conv_then_shifted, rtol=1e-12, atol=1e-12)


def test_max_pooling_hardly_moves_when_the_input_shifts_by_a_pixel():
    # a blob one pixel wide: after 2x2 max pooling a one-pixel shift inside the window is
    # invisible, which is the approximate translation invariance pooling buys
    x = np.zeros((1, 1, 8, 8))
    x[0, 0, 2, 2] = 1.0
    moved = np.roll(x, 1, axis=3)
    pooled, pooled_moved = (F.max_pool2d(cl.tensor(a), 2).numpy() for a in (x, moved))
    np.testing.assert_array_equal(pooled, pooled_moved)
    assert not np.array_equal(x, moved)
