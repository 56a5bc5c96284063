"""Pooling semantics on hand-computed examples: ties, -inf padding, ceil_mode, divisors."""

import numpy as np
import pytest

import convlens as cl
from convlens import functional as F


def _row(values):
    return cl.tensor(np.array(values, dtype=np.float64).reshape(1, 1, -1), requires_grad=True)


def test_max_pool_ties_go_to_the_first_maximum():
    x = _row([1.0, 3.0, 3.0, 2.0, 3.0])
    y, indices = F.max_pool1d(x, 3, stride=1, return_indices=True)
    assert y.numpy().ravel().tolist() == [3.0, 3.0, 3.0]
    assert indices.numpy().ravel().tolist() == [1, 1, 2]
    assert indices.dtype == np.int64
    y.backward(np.ones(y.shape))
    assert x.grad.numpy().ravel().tolist() == [0.0, 2.0, 1.0, 0.0, 0.0]


def test_max_pool_propagates_nan_as_torch_does():
    y, indices = F.max_pool1d(_row([1.0, np.nan, 3.0, np.nan, 0.0]), 5, return_indices=True)
    assert np.isnan(y.item()) and indices.item() == 3   # torch keeps the last NaN


def test_max_pool_pads_with_minus_infinity_not_zero():
    y = F.max_pool1d(_row([-5.0, -6.0]), 2, padding=1)
    assert y.numpy().ravel().tolist() == [-5.0, -6.0]


def test_a_window_of_only_padding_gives_minus_infinity_and_no_gradient():
    x = _row([1.0, 2.0])
    y, indices = F.max_pool1d(x, 2, stride=1, padding=1, dilation=3, return_indices=True)
    assert y.item() == -np.inf and indices.item() == -1
    y.sum().backward()
    assert x.grad.numpy().ravel().tolist() == [0.0, 0.0]


def test_max_pool2d_indices_are_flat_in_each_plane():
    x = cl.tensor(np.array([[[[1.0, 9.0, 2.0], [3.0, 4.0, 8.0], [7.0, 5.0, 6.0]]]]))
    y, indices = F.max_pool2d(x, 2, stride=1, return_indices=True)
    assert y.numpy().tolist() == [[[[9.0, 9.0], [7.0, 8.0]]]]
    assert indices.numpy().tolist() == [[[[1, 1], [6, 5]]]]


def test_max_pool_dilation_skips_elements():
    y = F.max_pool1d(_row([5.0, 100.0, 1.0, 100.0, 2.0]), 3, stride=1, dilation=2)
    assert y.numpy().ravel().tolist() == [5.0]


def test_ceil_mode_keeps_a_partial_last_window():
    x = _row([1.0, 2.0, 3.0, 4.0, 5.0])
    assert F.max_pool1d(x, 2).numpy().ravel().tolist() == [2.0, 4.0]
    assert F.max_pool1d(x, 2, ceil_mode=True).numpy().ravel().tolist() == [2.0, 4.0, 5.0]
    # the partial window is divided by its size clipped to the (unpadded) input
    assert F.avg_pool1d(x, 2, ceil_mode=True).numpy().ravel().tolist() == [1.5, 3.5, 5.0]


def test_ceil_mode_drops_a_window_that_would_start_in_the_right_padding():
    # n = 4, k = 2, s = 2, p = 1: ceil((4 + 2 - 2) / 2) + 1 = 3 windows; the last starts at
    # padded index 4, input index 3, inside the input, so it stays
    assert F.max_pool1d(_row([1.0, 2.0, 3.0, 4.0]), 2, padding=1, ceil_mode=True).shape[-1] == 3
    # n = 3: again 3 windows by the formula, but the last starts at padded index 4 >= n + p,
    # in the right padding, so it is dropped
    assert F.max_pool1d(_row([1.0, 2.0, 3.0]), 2, padding=1, ceil_mode=True).shape[-1] == 2


@pytest.mark.parametrize(("count_include_pad", "expected"), [(True, [1.0, 3.0, 2.0]),
                                                            (False, [1.5, 3.0, 4.0])])
def test_avg_pool_divisors_with_padding_and_ceil_mode(count_include_pad, expected):
    # windows start at -1, 1, 3; the last one covers input 3, padding 4 and overhang 5:
    # torch counts it as 2 with count_include_pad (clipped to the padded input), else 1
    y = F.avg_pool1d(_row([1.0, 2.0, 3.0, 4.0]), 3, stride=2, padding=1, ceil_mode=True,
                     count_include_pad=count_include_pad)
    assert y.numpy().ravel().tolist() == expected


def test_avg_pool_divisor_override():
    y = F.avg_pool2d(cl.tensor(np.ones((1, 1, 4, 4))), 2, divisor_override=3)
    np.testing.assert_allclose(y.numpy(), np.full((1, 1, 2, 2), 4 / 3))


def test_adaptive_bins_overlap_when_the_size_does_not_divide():
    y = F.adaptive_avg_pool1d(_row([1.0, 2.0, 3.0, 4.0, 5.0]), 3)
    # bins [0, 2), [1, 4), [3, 5)
    np.testing.assert_allclose(y.numpy().ravel(), [1.5, 3.0, 4.5])


def test_adaptive_pool_can_grow_and_keep_sizes():
    x = cl.tensor(np.arange(6.0).reshape(1, 1, 2, 3))
    assert F.adaptive_avg_pool2d(x, (4, None)).numpy()[0, 0, :, 0].tolist() == [0, 0, 3, 3]
    assert F.adaptive_avg_pool2d(x, (None, 0)).shape == (1, 1, 2, 0)


POOLS = [
    (F.max_pool1d, (2,)), (F.max_pool2d, (2,)), (F.avg_pool1d, (2,)), (F.avg_pool2d, (2,)),
    (F.adaptive_avg_pool1d, (3,)), (F.adaptive_avg_pool2d, (3,)),
]


def _spatial(pool):
    return (6,) if pool.__name__.endswith("1d") else (6, 6)


@pytest.mark.parametrize(("pool", "args"), POOLS)
def test_unbatched_input_matches_a_batch_of_one(pool, args):
    x = np.random.default_rng(0).standard_normal((3, *_spatial(pool)))
    unbatched = pool(cl.tensor(x), *args)
    np.testing.assert_array_equal(unbatched.numpy(), pool(cl.tensor(x[None]), *args).numpy()[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("pool", "args"), POOLS)
def test_empty_batch_gives_an_empty_output_of_the_right_shape(pool, args, dtype):
    x = cl.tensor(np.zeros((0, 3, *_spatial(pool)), dtype), requires_grad=True)
    y = pool(x, *args)
    assert y.shape == (0, 3, *(3,) * len(_spatial(pool))) and y.dtype == dtype
    y.backward(np.zeros(y.shape))
    assert x.grad.shape == x.shape


def test_pooling_is_one_graph_node():
    x = cl.tensor(np.zeros((1, 1, 4, 4)), requires_grad=True)
    for pool in (F.max_pool2d, F.avg_pool2d, F.adaptive_avg_pool2d):
        names = [node.name for node in cl.autograd.iter_graph(pool(x, 2))]
        assert len(names) == 1
