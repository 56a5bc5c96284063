"""A convolution's bias is added by one compiled pass with the NumPy broadcast's bits."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from convlens.conv import compiled
from convlens.functional.conv import add_channel_bias

pytestmark = pytest.mark.skipif(importlib.util.find_spec("numba") is None,
                                reason="needs numba (convlens[jit])")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 4, 5, 6), (2, 7, 11), (1, 3, 2, 2, 2)])
def test_compiled_bias_gives_the_numpy_bits(dtype, shape):
    rng = np.random.default_rng(len(shape))
    out = rng.standard_normal(shape).astype(dtype)
    out.flat[:4] = [np.nan, np.inf, -np.inf, -0.0]
    bias = rng.standard_normal(shape[1]).astype(dtype)
    bias[-1] = np.inf                       # inf + -inf is NaN on both paths
    with np.errstate(invalid="ignore"):
        fast, slow = out.copy(), out.copy()
        add_channel_bias(fast, bias)
        with compiled.enabled(False):
            add_channel_bias(slow, bias)
        expected = out + bias.reshape(-1, *(1,) * (len(shape) - 2))
    assert fast.tobytes() == slow.tobytes() == expected.tobytes()


def test_a_non_contiguous_output_or_another_dtype_takes_the_numpy_path():
    out = np.zeros((4, 3, 5), np.float32)[:, :, ::2]        # a strided view
    add_channel_bias(out, np.array([1.0, 2.0, 3.0], np.float32))
    np.testing.assert_array_equal(out[0, :, 0], [1.0, 2.0, 3.0])
    mixed = np.zeros((2, 2, 3), np.float32)
    add_channel_bias(mixed, np.array([0.5, 1.5]))           # float64 bias: NumPy's casting
    assert mixed.dtype == np.float32 and mixed[1, 1, 2] == 1.5


@pytest.mark.parametrize("shape", [(0, 4, 4, 4), (2, 4, 0), (0, 0, 3)])
def test_an_empty_output_gets_its_bias_without_a_reshape_error(shape):
    out = np.zeros(shape, np.float32)
    add_channel_bias(out, np.ones(shape[1], np.float32))
    assert out.shape == shape


def test_an_empty_batch_convolves_with_a_bias_forward_and_backward_as_torch():
    torch = pytest.importorskip("torch")
    import convlens as cl
    from convlens import functional as F

    x, w, b = np.zeros((0, 3, 6, 6), np.float32), np.ones((4, 3, 3, 3), np.float32), np.ones(
        4, np.float32)
    ours = [cl.tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    got, expected = F.conv2d(*ours), torch.nn.functional.conv2d(*theirs)
    assert got.shape == tuple(expected.shape) == (0, 4, 4, 4)
    got.sum().backward()
    expected.sum().backward()
    for a, t in zip(ours, theirs):
        np.testing.assert_array_equal(a.grad.numpy(), t.grad.numpy())   # zeros, as torch
