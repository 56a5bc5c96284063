"""Factories with torch's arguments, and the in-place family that optimizers and init use."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl

torch = pytest.importorskip("torch")


def _same(got, want):
    assert got.dtype.name == str(want.dtype).replace("torch.", ""), (got.dtype, want.dtype)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=0, max_size=3))
def test_size_as_varargs_or_tuple_and_the_like_factories(shape):
    for name in ("zeros", "ones", "empty", "rand", "randn"):
        fn = getattr(cl, name)
        assert fn(*shape).shape == fn(tuple(shape)).shape == tuple(shape)
        assert fn(shape, dtype=cl.float64).dtype == np.float64
    x = cl.ones(*shape, dtype=cl.float64)
    for name in ("zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"):
        got = getattr(cl, name)(x)
        assert got.shape == tuple(shape) and got.dtype == np.float64
    _same(cl.full_like(x, 2.5), torch.full_like(torch.ones(shape, dtype=torch.float64), 2.5))
    _same(cl.ones_like(x, dtype=cl.int64), torch.ones(shape, dtype=torch.int64))


def test_factories_follow_torchs_values_and_dtypes():
    _same(cl.full((2, 3), 7), torch.full((2, 3), 7))
    _same(cl.full((2,), True), torch.full((2,), True))
    _same(cl.full((2,), 1.5), torch.full((2,), 1.5))
    _same(cl.arange(1, 4, 0.5), torch.arange(1, 4, 0.5))
    _same(cl.arange(5), torch.arange(5))
    _same(cl.linspace(-1, 1, 5), torch.linspace(-1, 1, 5))
    _same(cl.eye(3, 2, dtype=cl.float64), torch.eye(3, 2, dtype=torch.float64))
    x = cl.zeros(2, requires_grad=True)
    assert x.requires_grad and cl.rand(2, requires_grad=True).requires_grad


def test_random_factories_draw_from_a_generator_deterministically():
    g1, g2 = cl.Generator().manual_seed(3), cl.Generator().manual_seed(3)
    assert cl.rand(4, generator=g1).equal(cl.rand(4, generator=g2))
    assert g1.initial_seed() == 3
    ints = cl.randint(2, 5, (100,), generator=0)
    assert ints.dtype == np.int64 and ints.min().item() >= 2 and ints.max().item() <= 4
    assert cl.randint(3, size=(2, 2), generator=0).shape == (2, 2)
    perm = cl.randperm(6, generator=g1)
    assert sorted(perm.tolist()) == list(range(6)) and perm.dtype == np.int64
    with pytest.raises(ValueError, match="randint needs low < high; got low=3, high=3"):
        cl.randint(3, 3, (2,))
    with pytest.raises(TypeError, match="randint takes \\(high, size\\) or \\(low, high, size\\)"):
        cl.randint(3)
    _ = cl.manual_seed(5)
    a = cl.randn(3)
    _ = cl.manual_seed(5)
    assert a.equal(cl.randn(3))


@pytest.mark.parametrize("call", [
    lambda t, o: t.add_(o, alpha=-0.5), lambda t, o: t.sub_(o, alpha=2.0),
    lambda t, o: t.mul_(o), lambda t, o: t.div_(o), lambda t, o: t.addcmul_(o, o, value=0.3),
    lambda t, o: t.addcdiv_(o, o.abs() + 1, value=-2.0), lambda t, o: t.lerp_(o, 0.25),
    lambda t, o: t.abs_().sqrt_(), lambda t, o: t.clamp_(-0.5, 0.5), lambda t, o: t.copy_(o),
    lambda t, o: t.fill_(3.0), lambda t, o: t.zero_(), lambda t, o: t.pow_(2),
    lambda t, o: t.masked_fill_(o > 0, 1.0), lambda t, o: t.exp_().log_().neg_(),
])
def test_in_place_family_matches_torch_and_bumps_the_version(call):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    t = cl.tensor(a.copy())
    view = t.numpy()
    before = t.version
    assert call(t, cl.tensor(b)) is t
    want = torch.tensor(a.copy())
    call(want, torch.tensor(b))
    np.testing.assert_allclose(t.numpy(), want.numpy(), rtol=1e-12)
    assert view is t.numpy() and t.version > before


def test_random_in_place_fills_respect_their_ranges():
    t = cl.zeros(2000, dtype=cl.float64)
    t.uniform_(-2.0, 3.0, generator=0)
    assert -2.0 <= t.min().item() and t.max().item() < 3.0
    t.normal_(1.0, 0.5, generator=0)
    assert abs(t.mean().item() - 1.0) < 0.05 and abs(t.std().item() - 0.5) < 0.05
    with pytest.raises(TypeError, match="Cannot cast"):
        cl.zeros(2, dtype=cl.int64).add_(0.5)


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_size_keyword_as_torch(name):
    # torch.rand(size=(1, 1, 28, 28), dtype=torch.float32) is how textbooks write it
    made = getattr(cl, name)(size=(2, 3), dtype=cl.float64)
    assert made.shape == (2, 3) and made.dtype == np.float64
    assert getattr(cl, name)(2, 3).shape == getattr(torch, name)(size=(2, 3)).shape
    with pytest.raises(TypeError, match="give the size once"):
        getattr(cl, name)(2, size=(2, 3))
