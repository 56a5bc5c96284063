"""unfold and fold: torch's numbers on drawn windows, the convolution identity, and errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import functional as F

torch = pytest.importorskip("torch")


@settings(max_examples=40, deadline=None)
@given(kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       size=st.tuples(st.integers(5, 9), st.integers(5, 9)),
       batched=st.booleans(), seed=st.integers(0, 1000))
def test_unfold_and_fold_match_torch_forward_and_backward(kernel, dilation, padding, stride,
                                                          size, batched, seed):
    rng = np.random.default_rng(seed)
    window = dict(kernel_size=kernel, dilation=dilation, padding=padding, stride=stride)
    x = rng.standard_normal((2, 3, *size) if batched else (3, *size))
    ours, theirs = cl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    cols, expected = F.unfold(ours, **window), torch.nn.functional.unfold(theirs, **window)
    g = rng.standard_normal(tuple(expected.shape))
    cols.backward(g)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(cols.numpy(), expected.detach().numpy(), rtol=1e-12, atol=0)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)

    c = rng.standard_normal(tuple(expected.shape))
    ours, theirs = cl.tensor(c, requires_grad=True), torch.tensor(c, requires_grad=True)
    image = F.fold(ours, size, **window)
    expected = torch.nn.functional.fold(theirs, size, **window)
    g = rng.standard_normal(tuple(expected.shape))
    image.backward(g)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(image.numpy(), expected.detach().numpy(), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=0)


def test_a_convolution_is_the_weight_times_the_unfolded_input():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 8, 9)).astype(np.float32)
    w = rng.standard_normal((5, 3, 3, 2)).astype(np.float32)
    args = dict(dilation=(2, 1), padding=1, stride=(1, 2))
    cols = F.unfold(cl.tensor(x), (3, 2), **args).numpy()                  # (2, 18, L)
    direct = F.conv2d(cl.tensor(x), cl.tensor(w), algorithm="direct", **args).numpy()
    np.testing.assert_allclose((w.reshape(5, -1) @ cols).reshape(direct.shape), direct,
                               rtol=1e-5, atol=1e-5)


def test_fold_of_unfold_counts_the_blocks_over_each_pixel():
    ones = cl.tensor(np.ones((1, 1, 4, 4)))
    counts = F.fold(F.unfold(ones, 3, padding=1), 4, 3, padding=1).numpy()[0, 0]
    np.testing.assert_array_equal(counts, [[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6],
                                           [4, 6, 6, 4]])


def test_float32_stays_float32():
    x = cl.tensor(np.ones((1, 2, 4, 4), np.float32))
    assert F.unfold(x, 2).dtype == np.float32
    assert F.fold(F.unfold(x, 2), 4, 2).dtype == np.float32


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.unfold(cl.tensor(np.zeros((2, 3))), 2), ValueError,
     r"unfold expects input of shape \(N, C, H, W\) or \(C, H, W\); got \(2, 3\)"),
    (lambda: F.unfold(cl.tensor(np.zeros((1, 1, 5, 5))), 7), ValueError,
     r"has -1 x -1 sliding blocks; both must be at least 1"),
    (lambda: F.unfold(cl.tensor(np.zeros((1, 1, 5, 5))), 2.5), TypeError,
     r"kernel_size must be an int or a tuple of 2 ints; got 2.5"),
    (lambda: F.unfold(cl.tensor(np.zeros((1, 1, 5, 5))), 2, padding=-1), ValueError,
     r"padding must be >= 0|padding must be at least 0"),
    (lambda: F.unfold(cl.tensor(np.zeros((1, 1, 5, 5), np.int64)), 2), TypeError,
     r"unfold expects input of dtype float32 or float64"),
    (lambda: F.fold(cl.tensor(np.zeros((1, 12, 15))), (5, 5), 2), ValueError,
     r"has 4 x 4 = 16 sliding blocks, but input's last dimension is 15"),
    (lambda: F.fold(cl.tensor(np.zeros((1, 13, 16))), (5, 5), 2), ValueError,
     r"input's size 13 in dimension 1 to be divisible by kernel_size's product 2 \* 2 = 4"),
    (lambda: F.fold(cl.tensor(np.zeros((1, 1, 4, 16))), (5, 5), 2), ValueError,
     r"fold expects input of shape \(N, C \* kH \* kW, L\) or \(C \* kH \* kW, L\)"),
    (lambda: F.fold(cl.tensor(np.zeros((1, 4, 16))), (5, 0), 2), ValueError,
     r"output_size must be positive|output_size must be at least 1"),
])
def test_bad_arguments_say_what_is_wrong(call, error, message):
    with pytest.raises(error, match=message):
        call()


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 6), min_size=0, max_size=3), data=st.data(),
       seed=st.integers(0, 1000))
def test_tensor_unfold_matches_torch_forward_and_backward(shape, data, seed):
    """``Tensor.unfold(dimension, size, step)``: sliding slices along one dim (patches in
    ViT-style tutorials), overlapping ones included, 0-d tensors as torch treats them."""
    ndim = max(len(shape), 1)
    dimension = data.draw(st.integers(-ndim, ndim - 1))
    length = shape[dimension] if shape else 1
    size = data.draw(st.integers(0, length))
    step = data.draw(st.integers(1, 4))
    x = np.random.default_rng(seed).standard_normal(shape)
    ours, theirs = cl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    got, expected = ours.unfold(dimension, size, step), theirs.unfold(dimension, size, step)
    assert got.shape == tuple(expected.shape)
    np.testing.assert_array_equal(got.numpy(), expected.detach().numpy())
    g = np.random.default_rng(seed + 1).standard_normal(got.shape)
    got.backward(g)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("args, error, message", [
    ((0, 11, 1), ValueError, r"size \(=11\) must be at most the size of dimension 0 \(=10\)"),
    ((0, 2, 0), ValueError, r"step must be >= 1; got 0"),
    ((0, -1, 1), ValueError, r"size must be >= 0; got -1"),
    ((1, 2, 1), IndexError, r"dimension \(=1\) is out of range"),
])
def test_tensor_unfold_refuses_bad_arguments(args, error, message):
    with pytest.raises(error, match=message):
        cl.tensor(np.zeros(10)).unfold(*args)


def test_tensor_unfold_gives_a_writable_copy():
    """torch returns a view; convlens a copy (as its slicing does), which in-place ops may
    change without touching the source."""
    x = cl.tensor(np.arange(6.0, dtype=np.float32))
    windows = x.unfold(0, 2, 2)
    windows.mul_(10)
    np.testing.assert_array_equal(windows.numpy(), [[0, 10], [20, 30], [40, 50]])
    np.testing.assert_array_equal(x.numpy(), np.arange(6.0))


def test_an_empty_batch_unfolds_and_folds_as_torch():
    x = np.zeros((0, 3, 5, 5), np.float32)
    ours = cl.tensor(x, requires_grad=True)
    cols = F.unfold(ours, 2, padding=1)
    assert cols.shape == tuple(torch.nn.functional.unfold(torch.tensor(x), 2, padding=1).shape)
    cols.sum().backward()
    assert ours.grad.shape == (0, 3, 5, 5)
    assert F.fold(cols, 5, 2, padding=1).shape == (0, 3, 5, 5)
