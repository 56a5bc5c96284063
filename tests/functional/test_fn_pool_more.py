"""The newer pools against torch in float64, forward and gradient: 3-D max and average,
LP, adaptive max (with indices), adaptive 3-D average, max unpooling, 1-tuple arguments and
convlens's per-side padding."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import functional as F

torch = pytest.importorskip("torch")
from reference import check_against_torch  # noqa: E402

TF = torch.nn.functional


def _rand(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape)


@st.composite
def window_3d(draw):
    k = tuple(draw(st.integers(1, 3)) for _ in range(3))
    s = tuple(draw(st.integers(1, 3)) for _ in range(3))
    p = tuple(draw(st.integers(0, kk // 2)) for kk in k)
    n = tuple(draw(st.integers(kk + 1, kk + 4)) for kk in k)
    return n, k, s, p


@settings(max_examples=25)
@given(geometry=window_3d(), ceil_mode=st.booleans(), dilation=st.integers(1, 2),
       seed=st.integers(0, 99))
def test_max_pool3d_matches_torch(geometry, ceil_mode, dilation, seed):
    n, k, s, p = geometry
    x = _rand(seed, 2, 2, *(m + 2 for m in n))
    check_against_torch(lambda t: F.max_pool3d(t, k, s, p, dilation, ceil_mode, True),
                        lambda t: TF.max_pool3d(t, k, s, p, dilation, ceil_mode, True), x)


@settings(max_examples=25)
@given(geometry=window_3d(), ceil_mode=st.booleans(), count_include_pad=st.booleans(),
       divisor_override=st.sampled_from([None, 3]), seed=st.integers(0, 99))
def test_avg_pool3d_matches_torch(geometry, ceil_mode, count_include_pad, divisor_override,
                                  seed):
    n, k, s, p = geometry
    args = (k, s, p, ceil_mode, count_include_pad, divisor_override)
    check_against_torch(lambda t: F.avg_pool3d(t, *args), lambda t: TF.avg_pool3d(t, *args),
                        _rand(seed, 1, 2, *n))


@settings(max_examples=30)
@given(nd=st.sampled_from([1, 2]), norm_type=st.sampled_from([1, 2, 3, 1.5, float("inf")]),
       k=st.integers(1, 3), stride=st.sampled_from([None, 1, 2]), ceil_mode=st.booleans(),
       positive=st.booleans(), seed=st.integers(0, 99))
def test_lp_pool_matches_torch(nd, norm_type, k, stride, ceil_mode, positive, seed):
    x = _rand(seed, 2, 3, *(6,) * nd)
    x = np.abs(x) + 0.1 if positive else x  # negative inputs give torch's NaNs, compared too
    name = f"lp_pool{nd}d"
    check_against_torch(lambda t: getattr(F, name)(t, norm_type, k, stride, ceil_mode),
                        lambda t: getattr(TF, name)(t, norm_type, k, stride, ceil_mode), x)


def test_lp_pool_of_an_all_zero_window_has_zero_gradient_as_in_torch():
    x = np.zeros((1, 1, 4))
    x[0, 0, 2:] = [1.0, 2.0]
    check_against_torch(lambda t: F.lp_pool1d(t, 2, 2), lambda t: TF.lp_pool1d(t, 2, 2), x)


def test_lp_pool_errors():
    with pytest.raises(ValueError, match=r"lp_pool2d: norm_type must be non-zero; got 0"):
        F.lp_pool2d(cl.tensor(np.ones((1, 1, 4, 4))), 0, 2)
    with pytest.raises(TypeError, match=r"norm_type must be a number; got str"):
        F.lp_pool1d(cl.tensor(np.ones((1, 1, 4))), "2", 2)
    with pytest.raises(ValueError, match=r"lp_pool1d: the output would be empty"):
        F.lp_pool1d(cl.tensor(np.ones((1, 1, 4))), 2, 5)


@settings(max_examples=40)
@given(nd=st.sampled_from([1, 2]), sizes=st.lists(st.integers(1, 9), min_size=4, max_size=4),
       ties=st.booleans(), seed=st.integers(0, 99))
def test_adaptive_max_pool_matches_torch_with_indices(nd, sizes, ties, seed):
    in_size, out_size = tuple(sizes[:nd]), tuple(sizes[2:2 + nd])
    x = _rand(seed, 2, 2, *in_size)
    x = np.round(x) if ties else x  # many equal values: the first maximum must win
    name = f"adaptive_max_pool{nd}d"
    check_against_torch(lambda t: getattr(F, name)(t, out_size, True),
                        lambda t: getattr(TF, name)(t, out_size, True), x)


@settings(max_examples=25)
@given(sizes=st.lists(st.integers(1, 6), min_size=6, max_size=6), keep=st.booleans(),
       seed=st.integers(0, 99))
def test_adaptive_avg_pool3d_matches_torch(sizes, keep, seed):
    out = tuple(None if keep and i == 1 else m for i, m in enumerate(sizes[3:]))
    check_against_torch(lambda t: F.adaptive_avg_pool3d(t, out),
                        lambda t: TF.adaptive_avg_pool3d(t, out), _rand(seed, 1, 2, *sizes[:3]))


@pytest.mark.parametrize("nd", [1, 2])
@pytest.mark.parametrize(("k", "s", "p", "size"), [(2, None, 0, 7), (3, 2, 1, None),
                                                   (3, 2, 1, 8), (2, 1, 0, None)])
def test_max_unpool_inverts_torchs_max_pool(nd, k, s, p, size):
    x = torch.tensor(_rand(0, 2, 3, *(7,) * nd))
    pooled, indices = getattr(TF, f"max_pool{nd}d")(x, k, s, p, return_indices=True)
    size = None if size is None else [size] * nd
    name = f"max_unpool{nd}d"
    check_against_torch(lambda t, i: getattr(F, name)(t, i, k, s, p, size),
                        lambda t, i: getattr(TF, name)(t, i, k, s, p, size),
                        pooled.numpy(), indices.numpy())


def test_max_unpool_errors():
    y, i = F.max_pool2d(cl.tensor(_rand(0, 1, 1, 4, 4)), 2, return_indices=True)
    with pytest.raises(ValueError, match=r"output_size \(=\(6, 4\)\) is invalid: dim 0 must "
                                         r"be between 2 and 6, exclusive"):
        F.max_unpool2d(y, i, 2, output_size=(6, 4))
    with pytest.raises(ValueError, match=r"max_unpool2d: indices must lie in \[0, 4\) for an "
                                         r"output of spatial size \(2, 2\); got 5"):
        F.max_unpool2d(y, i, 1)
    with pytest.raises(TypeError, match=r"max_unpool2d expects integer indices; got dtype"):
        F.max_unpool2d(y, cl.tensor(np.zeros((1, 1, 2, 2))), 2)


@pytest.mark.parametrize(("name", "kwargs"), [
    ("max_pool1d", dict(kernel_size=(3,), stride=(2,), padding=(1,), dilation=(1,))),
    ("max_pool2d", dict(kernel_size=(3,), stride=(2,), padding=(1,), dilation=(2,))),
    ("max_pool2d", dict(kernel_size=2, stride=())),
    ("avg_pool1d", dict(kernel_size=(3,), stride=(1,), padding=(1,))),
    ("avg_pool2d", dict(kernel_size=(3,), stride=(2,), padding=(1,), ceil_mode=True)),
])
def test_one_tuples_mean_what_torch_makes_of_them(name, kwargs):
    nd = int(name[-2])
    check_against_torch(lambda t: getattr(F, name)(t, **kwargs),
                        lambda t: getattr(TF, name)(t, **kwargs), _rand(1, 2, 2, *(7,) * nd))


# -- per-side padding (a convlens addition) --------------------------------------------------
@st.composite
def per_side(draw):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    pairs = tuple((draw(st.integers(0, kk // 2)), draw(st.integers(0, kk // 2))) for kk in k)
    return k, (draw(st.integers(1, 3)), draw(st.integers(1, 3))), pairs


def _torch_pad(t, pairs, value):
    return TF.pad(t, [v for pair in reversed(pairs) for v in pair], value=value)


@settings(max_examples=30)
@given(window=per_side(), seed=st.integers(0, 99))
def test_per_side_max_padding_is_an_explicit_minus_inf_pad(window, seed):
    k, s, pairs = window
    check_against_torch(lambda t: F.max_pool2d(t, k, s, pairs),
                        lambda t: TF.max_pool2d(_torch_pad(t, pairs, -np.inf), k, s),
                        _rand(seed, 2, 2, 6, 7))


@settings(max_examples=30)
@given(window=per_side(), count_include_pad=st.booleans(), seed=st.integers(0, 99))
def test_per_side_avg_padding_divides_as_torch_would(window, count_include_pad, seed):
    k, s, pairs = window

    def reference(t):
        total = TF.avg_pool2d(_torch_pad(t, pairs, 0.0), k, s)
        if count_include_pad:
            return total
        ones = _torch_pad(torch.ones_like(t), pairs, 0.0)
        return total / TF.avg_pool2d(ones, k, s)   # the same divisor cancels: sum / count

    check_against_torch(lambda t: F.avg_pool2d(t, k, s, pairs,
                                               count_include_pad=count_include_pad),
                        reference, _rand(seed, 2, 2, 6, 7))


@settings(max_examples=20)
@given(k=st.integers(1, 4), s=st.integers(1, 3), ceil_mode=st.booleans(), seed=st.integers(0, 9))
def test_equal_pairs_are_torchs_int_padding(k, s, ceil_mode, seed):
    p = k // 2
    x = cl.tensor(_rand(seed, 1, 2, 9))
    for pool in (F.max_pool1d, F.avg_pool1d):
        np.testing.assert_array_equal(pool(x, k, s, ((p, p),), ceil_mode=ceil_mode).numpy(),
                                      pool(x, k, s, p, ceil_mode=ceil_mode).numpy())


def test_per_side_padding_errors():
    x = cl.tensor(np.zeros((1, 1, 5, 5)))
    with pytest.raises(ValueError, match=r"max_pool2d: padding \(=2\) must be at most half of "
                                         r"kernel_size \(=3\)"):
        F.max_pool2d(x, 3, padding=((0, 2), (0, 0)))
    with pytest.raises(TypeError, match=r"padding must be an int, a tuple of 2 ints, or 2 "
                                        r"\(low, high\) pairs of ints"):
        F.avg_pool2d(x, 3, padding=((0, 1),))
    with pytest.raises(ValueError, match=r"padding must be >= 0"):
        F.avg_pool2d(x, 3, padding=((0, -1), (0, 0)))
