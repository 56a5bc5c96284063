"""nn.utils.clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters
against torch.nn.utils, in float64."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
import convlens.nn as nn

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (5,), (2, 1, 3)]


def _twins(seed, scale=1.0, missing_last=False):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s) for s in SHAPES]
    grads = [scale * rng.standard_normal(s) for s in SHAPES]
    ours, theirs = [], []
    for i, (v, g) in enumerate(zip(values, grads)):
        p, t = cl.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
        if not (missing_last and i == len(SHAPES) - 1):
            p.grad, t.grad = cl.tensor(g.copy()), torch.tensor(g.copy())
        ours.append(p)
        theirs.append(t)
    return ours, theirs


def _grads(params):
    return [None if p.grad is None else np.asarray(p.grad.numpy()) for p in params]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 1000), max_norm=st.floats(0.01, 20.0),
       norm_type=st.sampled_from([1.0, 2.0, 3.0, 0.5, math.inf, "inf"]),
       scale=st.sampled_from([0.1, 1.0, 10.0]), missing_last=st.booleans())
def test_clip_grad_norm_matches_torch(seed, max_norm, norm_type, scale, missing_last):
    ours, theirs = _twins(seed, scale, missing_last)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    want = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, cl.Tensor) and total.shape == ()
    np.testing.assert_allclose(total.item(), want.item(), rtol=1e-12)
    for a, b in zip(_grads(ours), _grads(theirs)):
        if b is None:
            assert a is None
        else:
            np.testing.assert_allclose(a, b,
                                       rtol=1e-12, atol=1e-15)


def test_clip_grad_norm_actually_clips_and_reports_nonfinite():
    ours, _ = _twins(0, scale=10.0)
    before = nn.utils.clip_grad_norm_(ours, 1.0).item()
    after = nn.utils.clip_grad_norm_(ours, 1.0).item()
    assert before > 5 and after == pytest.approx(1.0, abs=1e-5)
    single = cl.tensor([0.0, 0.0], requires_grad=True)
    single.grad = cl.tensor([np.nan, 1.0])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from "
                                           "`parameters` is non-finite"):
        nn.utils.clip_grad_norm_(single, 1.0, error_if_nonfinite=True)
    assert nn.utils.clip_grad_norm_([cl.tensor([1.0], requires_grad=True)], 1.0).item() == 0.0


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 1000), clip=st.floats(0.0, 3.0))
def test_clip_grad_value_matches_torch(seed, clip):
    ours, theirs = _twins(seed, missing_last=True)
    assert nn.utils.clip_grad_value_(ours, clip) is None
    torch.nn.utils.clip_grad_value_(theirs, clip)
    for a, b in zip(_grads(ours), _grads(theirs)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)


def test_parameters_to_vector_and_back_match_torch():
    ours, theirs = _twins(3)
    vec = nn.utils.parameters_to_vector(ours)
    want = torch.nn.utils.parameters_to_vector(theirs)
    np.testing.assert_array_equal(vec.numpy(), want.detach().numpy())
    # differentiable: the gradient of vec . w flows back to every parameter, as in torch
    w = np.arange(vec.shape[0], dtype=np.float64)
    (vec * cl.tensor(w)).sum().backward()
    (want * torch.tensor(w)).sum().backward()
    for p, t in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())
    new = np.linspace(-1, 1, vec.shape[0])
    nn.utils.vector_to_parameters(cl.tensor(new), ours)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs)
    for p, t in zip(ours, theirs):
        assert p.shape == tuple(t.shape)
        np.testing.assert_array_equal(p.numpy(), t.detach().numpy())
    with pytest.raises(TypeError, match="expected convlens.Tensor, but got: ndarray"):
        nn.utils.vector_to_parameters(new, ours)
    with pytest.raises(ValueError, match="total size 23; got shape \\(3,\\)"):
        nn.utils.vector_to_parameters(cl.tensor(new[:3]), ours)


def test_torch_import_paths_exist():
    import convlens.nn.functional as F
    import convlens.nn.utils

    assert nn.utils is convlens.nn.utils and F.relu is cl.functional.relu
    assert nn.functional.conv2d is cl.functional.conv2d
    with pytest.raises(AttributeError, match="convlens.functional does not have it either"):
        F.not_a_function  # noqa: B018
