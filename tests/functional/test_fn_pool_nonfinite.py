"""Non-finite inputs and absurd sizes: every pool against torch, position by position.

A NaN or inf must reach exactly the outputs (and gradients) that torch gives non-finite, and
an argument that would need an absurd allocation must be a ValueError naming it, at once.
"""

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

# (name, nd, kwargs): the same call in both libraries
CASES = [
    ("max_pool1d", 1, dict(kernel_size=3, stride=2, padding=1)),
    ("max_pool1d", 1, dict(kernel_size=2, dilation=2, ceil_mode=True)),
    ("max_pool2d", 2, dict(kernel_size=2)),
    ("max_pool2d", 2, dict(kernel_size=(3, 2), stride=1, padding=1)),
    ("max_pool3d", 3, dict(kernel_size=2, stride=1)),
    ("avg_pool1d", 1, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("avg_pool2d", 2, dict(kernel_size=2)),
    ("avg_pool2d", 2, dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ("avg_pool3d", 3, dict(kernel_size=2, stride=(1, 2, 1))),
    ("adaptive_avg_pool1d", 1, dict(output_size=3)),
    ("adaptive_avg_pool2d", 2, dict(output_size=(3, 4))),
    ("adaptive_avg_pool2d", 2, dict(output_size=(7, 2))),
    ("adaptive_avg_pool3d", 3, dict(output_size=(2, 3, 1))),
    ("adaptive_max_pool1d", 1, dict(output_size=4)),
    ("adaptive_max_pool2d", 2, dict(output_size=(3, 4))),
    ("adaptive_max_pool2d", 2, dict(output_size=(7, 1))),
    ("lp_pool1d", 1, dict(norm_type=2, kernel_size=3, stride=2)),
    ("lp_pool2d", 2, dict(norm_type=1, kernel_size=2, ceil_mode=True)),
]


def assert_same_pattern(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    """Same NaN, +inf and -inf positions; the finite values agree to 1e-9."""
    assert actual.shape == expected.shape, what
    for name, test in (("nan", np.isnan), ("+inf", np.isposinf), ("-inf", np.isneginf)):
        np.testing.assert_array_equal(test(actual), test(expected), err_msg=f"{what}: {name}")
    finite = np.isfinite(expected)
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=1e-9, atol=1e-9,
                               err_msg=what)


def _input(nd: int, seed: int, specials: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (2, 2, *rng.integers(5, 9, size=nd))
    x = rng.standard_normal(shape)
    flat = x.reshape(-1)
    flat[rng.choice(flat.size, specials, replace=False)] = rng.choice(
        [np.nan, np.inf, -np.inf], specials)
    return x


def _run_both(name: str, x: np.ndarray, kwargs: dict, upstream_seed: int):
    ours = cl.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    y = getattr(F, name)(ours, **kwargs)
    t = getattr(TF, name)(theirs, **kwargs)
    upstream = np.random.default_rng(upstream_seed).standard_normal(y.shape)
    y.backward(upstream)
    t.backward(torch.tensor(upstream))
    return y.numpy(), t.detach().numpy(), ours.grad.numpy(), theirs.grad.numpy()


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from(CASES), seed=st.integers(0, 2**16), specials=st.integers(1, 6))
def test_non_finite_inputs_reach_the_outputs_torch_gives(case, seed, specials):
    name, nd, kwargs = case
    x = _input(nd, seed, specials)
    y, t, grad, torch_grad = _run_both(name, x, kwargs, seed)
    assert_same_pattern(y, t, f"{name} output")
    assert_same_pattern(grad, torch_grad, f"{name} gradient")


def test_one_nan_pixel_stays_in_its_adaptive_bins():
    # the regression: a matrix-product implementation made every output of a row NaN
    x = np.zeros((1, 1, 64, 64))
    x[0, 0, 10, 20] = np.nan
    y, t, grad, torch_grad = _run_both("adaptive_avg_pool2d", x, dict(output_size=(16, 16)), 0)
    assert np.isnan(y).sum() == np.isnan(t).sum() == 1
    assert_same_pattern(y, t, "output")
    assert_same_pattern(grad, torch_grad, "gradient")


@pytest.mark.parametrize("name", ["adaptive_avg_pool2d", "adaptive_max_pool2d"])
def test_inf_and_minus_inf_in_one_bin_give_nan_only_there(name):
    x = np.ones((1, 1, 6, 6))
    x[0, 0, 0, 0], x[0, 0, 1, 1] = np.inf, -np.inf
    y, t, _, _ = _run_both(name, x, dict(output_size=3), 0)
    assert_same_pattern(y, t, name)
    assert np.isfinite(y).sum() == 8


def test_max_pool_gradient_goes_to_the_nan_torch_picks():
    x = np.array([[[1.0, np.nan, 5.0, np.nan, 2.0, np.inf]]])
    y, t, grad, torch_grad = _run_both("max_pool1d", x, dict(kernel_size=3, stride=1), 1)
    assert_same_pattern(y, t, "output")
    np.testing.assert_array_equal(grad != 0, torch_grad != 0)


# -- absurd sizes are refused before any work ----------------------------------------------
def _t(*shape):
    return cl.tensor(np.zeros(shape))


HUGE = [
    (lambda: F.adaptive_avg_pool2d(_t(1, 1, 4, 4), 10**9), r"output_size \(=1000000000\)"),
    (lambda: F.adaptive_avg_pool1d(_t(1, 1, 4), 2**40), r"output_size"),
    (lambda: F.adaptive_avg_pool3d(_t(1, 1, 2, 2, 2), (10**5, 10**5, 1)), r"output_size"),
    (lambda: F.adaptive_max_pool2d(_t(1, 1, 4, 4), 10**9), r"output_size"),
    (lambda: F.adaptive_max_pool1d(_t(2, 3, 10**4), 2**31), r"output_size"),
    (lambda: F.max_pool2d(_t(1, 1, 4, 4), 2 * 10**9, padding=10**9), r"padding"),
    (lambda: F.avg_pool1d(_t(1, 1, 4), 2 * 10**9, padding=10**9), r"padding"),
    (lambda: F.max_pool1d(_t(1, 1, 4), 2 * 10**6, padding=10**6), r"kernel_size"),
    (lambda: F.avg_pool3d(_t(1, 1, 4, 4, 4), 200, padding=100), r"kernel_size"),
    (lambda: F.max_pool2d(_t(1, 1, 4, 4), 3, stride=1, padding=((1, 10**9), (0, 0))),
     r"padding"),
    (lambda: F.max_unpool2d(_t(1, 1, 2, 2), cl.tensor(np.zeros((1, 1, 2, 2), np.int64)),
                            10**9), r"output_size \(=None\)"),
    (lambda: F.lp_pool2d(_t(1, 1, 4, 4), 2, (3, 2 * 10**9), stride=1), r"output would be empty"),
]


@pytest.mark.parametrize(("call", "message"), HUGE)
def test_absurd_sizes_are_a_value_error_naming_the_argument(call, message):
    start = time.perf_counter()
    with pytest.raises(ValueError, match=message):
        call()
    assert time.perf_counter() - start < 1.0


def test_the_byte_limit_can_be_read_and_is_stated():
    with pytest.raises(ValueError, match=r"the limit is 8589934592 bytes \("
                                         r"convlens.functional.pool.MAX_BYTES\)"):
        F.adaptive_avg_pool2d(_t(1, 1, 4, 4), 10**9)
    assert F.pool.MAX_BYTES == 2**33
