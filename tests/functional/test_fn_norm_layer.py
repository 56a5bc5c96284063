"""layer_norm, group_norm, instance_norm, local_response_norm and normalize against torch."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import functional as F

torch = pytest.importorskip("torch")
from gradcheck import gradcheck  # noqa: E402
from reference import TF, check_against_torch  # noqa: E402


@settings(max_examples=30)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4), trailing=st.integers(1, 2),
       affine=st.sampled_from(["none", "weight", "both"]), eps=st.sampled_from([1e-5, 0.1]),
       seed=st.integers(0, 100), dtype=st.sampled_from([np.float64, np.float32]))
def test_layer_norm_matches_torch(shape, trailing, affine, eps, seed, dtype):
    rng = np.random.default_rng(seed)
    normalized = tuple(shape[-trailing:])
    x = rng.standard_normal(shape) * 3 + 1
    w = rng.standard_normal(normalized) if affine != "none" else None
    b = rng.standard_normal(normalized) if affine == "both" else None
    check_against_torch(lambda t, u, v: F.layer_norm(t, normalized, u, v, eps),
                        lambda t, u, v: TF.layer_norm(t, normalized, u, v, eps), x, w, b,
                        dtype=dtype)


@settings(max_examples=30)
@given(n=st.integers(1, 3), groups=st.integers(1, 3), per_group=st.integers(1, 3),
       spatial=st.lists(st.integers(1, 4), max_size=2), affine=st.booleans(),
       seed=st.integers(0, 100))
def test_group_norm_matches_torch(n, groups, per_group, spatial, affine, seed):
    rng = np.random.default_rng(seed)
    c = groups * per_group
    x = rng.standard_normal((n, c, *spatial)) * 2
    if x[0].size // groups == 1:
        return  # one value per group: torch and convlens both give 0 (variance 0)
    w, b = (rng.standard_normal(c), rng.standard_normal(c)) if affine else (None, None)
    check_against_torch(lambda t, u, v: F.group_norm(t, groups, u, v),
                        lambda t, u, v: TF.group_norm(t, groups, u, v), x, w, b)


@pytest.mark.parametrize("use_input_stats", [True, False])
@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 4)])
def test_instance_norm_matches_torch_and_updates_running_stats(use_input_stats, shape):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(shape), rng.standard_normal(3), rng.standard_normal(3)
    ours = (rng.uniform(-1, 1, 3), rng.uniform(0.5, 2, 3))
    theirs = tuple(torch.tensor(a.copy()) for a in ours)
    check_against_torch(
        lambda t, u, v: F.instance_norm(t, *ours, u, v, use_input_stats, 0.3),
        lambda t, u, v: TF.instance_norm(t, *theirs, u, v, use_input_stats, 0.3), x, w, b)
    for mine, expected in zip(ours, theirs):
        np.testing.assert_allclose(mine, expected.numpy(), rtol=1e-12)


@settings(max_examples=25)
@given(size=st.integers(1, 5), channels=st.integers(1, 6), alpha=st.floats(1e-4, 1.0),
       beta=st.floats(0.1, 1.0), k=st.floats(0.5, 2.0), three_d=st.booleans(),
       seed=st.integers(0, 100))
def test_local_response_norm_matches_torch(size, channels, alpha, beta, k, three_d, seed):
    shape = (2, channels, 5) if three_d else (2, channels, 3, 4)
    x = np.random.default_rng(seed).standard_normal(shape)
    check_against_torch(lambda t: F.local_response_norm(t, size, alpha, beta, k),
                        lambda t: TF.local_response_norm(t, size, alpha, beta, k), x)


@settings(max_examples=25)
@given(p=st.sampled_from([1.0, 2.0, 3.0, 0.5, float("inf")]), dim=st.integers(-2, 1),
       zero_row=st.booleans(), seed=st.integers(0, 100))
def test_normalize_matches_torch(p, dim, zero_row, seed):
    x = np.random.default_rng(seed).standard_normal((3, 4))
    if zero_row:
        x[:, 0] = 0.0
        x[0] = 0.0
    check_against_torch(lambda t: F.normalize(t, p, dim), lambda t: TF.normalize(t, p, dim), x)


def test_norms_gradcheck():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 4, 3))
    gradcheck(lambda t, w: F.layer_norm(t, (4, 3), w), x, rng.standard_normal((4, 3)))
    gradcheck(lambda t, b: F.group_norm(t, 2, None, b), x, rng.standard_normal(4))
    gradcheck(lambda t: F.instance_norm(t), x)
    gradcheck(lambda t: F.local_response_norm(t, 3, alpha=0.5), x)
    gradcheck(lambda t: F.normalize(t, 3.0, dim=2), x)


@pytest.mark.parametrize("call,error,message", [
    (lambda x: F.layer_norm(x, (4,)), ValueError,
     r"layer_norm expects input whose trailing dims are normalized_shape \(4,\); got input of "
     r"shape \(2, 3\)"),
    (lambda x: F.layer_norm(x, (3.0,)), TypeError,
     r"normalized_shape must be a positive int or a tuple of positive ints; got \(3.0,\)"),
    (lambda x: F.layer_norm(x, 3, cl.tensor(np.ones(2))), ValueError,
     r"layer_norm expects weight with 3 elements \(shape \(3,\)\); got shape \(2,\)"),
    (lambda x: F.group_norm(x, 2), ValueError,
     r"group_norm expects input \(N, C, \*\) with C divisible by num_groups \(=2\); got input "
     r"of shape \(2, 3\)"),
    (lambda x: F.instance_norm(x), ValueError,
     r"instance_norm expects input \(N, C, \*d\) with at least one spatial dim; got shape"),
    (lambda x: F.instance_norm(x.reshape((2, 3, 1)), use_input_stats=False), ValueError,
     r"instance_norm with use_input_stats=False needs running_mean and running_var"),
    (lambda x: F.local_response_norm(x, 0), ValueError, r"size must be >= 1; got 0"),
    (lambda x: F.normalize(x, float("nan")), ValueError, r"normalize needs a p-norm order: a "
     r"number or inf; got p=nan"),
])
def test_norm_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(cl.tensor(np.zeros((2, 3))))
