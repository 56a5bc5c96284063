"""nn.init: torch's formulas, explicit generators, and reproducible models."""

import math

import numpy as np
import pytest
from scipy import stats

import convlens as cl
from convlens import nn

torch = pytest.importorskip("torch")


def small_cnn(**kw):
    return nn.Sequential(nn.Conv2d(1, 4, 3, **kw), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 6 * 6, 10, **kw))


def flat_state(model):
    return np.concatenate([v.numpy().ravel() for v in model.state_dict().values()])


def test_manual_seed_then_building_twice_gives_identical_weights():
    cl.manual_seed(0)
    first = flat_state(small_cnn())
    cl.manual_seed(0)
    np.testing.assert_array_equal(flat_state(small_cnn()), first)
    assert not np.array_equal(flat_state(small_cnn()), first)  # the generator moved on


def test_explicit_seed_or_generator_fixes_a_layer():
    a = nn.Conv2d(3, 8, 3, generator=7)
    b = nn.Conv2d(3, 8, 3, generator=np.random.default_rng(7))
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
    np.testing.assert_array_equal(a.bias.numpy(), b.bias.numpy())
    c = nn.Conv2d(3, 8, 3, generator=7, dtype=np.float64)
    np.testing.assert_allclose(c.weight.numpy(), a.weight.numpy(), rtol=1e-7)
    with pytest.raises(TypeError, match="generator must be None, a non-negative int seed"):
        nn.Linear(2, 2, generator="seed")


@pytest.mark.parametrize("shape", [(4, 3), (6, 1, 5, 5), (16, 6, 5, 5), (8, 2, 7), (3, 4, 2, 2, 2)])
def test_fans_match_torch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert nn.init._calculate_fan_in_and_fan_out(np.empty(shape)) == expected


@pytest.mark.parametrize("name,param", [("linear", None), ("conv2d", None), ("sigmoid", None),
                                        ("tanh", None), ("relu", None), ("selu", None),
                                        ("leaky_relu", None), ("leaky_relu", math.sqrt(5)),
                                        ("leaky_relu", 0.2)])
def test_gains_match_torch(name, param):
    assert nn.init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param), rel=1e-12)


def test_default_conv_and_linear_init_bounds_follow_torchs_formula():
    conv = nn.Conv2d(6, 200, 5, generator=0)          # fan_in = 150
    bound = 1 / math.sqrt(150)
    for values in (conv.weight.numpy(), conv.bias.numpy()):
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.97 * bound
    fc = nn.Linear(400, 2000, generator=0)             # fan_in = 400
    assert 0.99 * 0.05 < np.abs(fc.bias.numpy()).max() <= 0.05
    assert 0.99 * 0.05 < np.abs(fc.weight.numpy()).max() <= 0.05


@pytest.mark.parametrize("make", [lambda L, **kw: L.Conv2d(8, 64, 3, **kw),
                                  lambda L, **kw: L.Linear(300, 200, **kw),
                                  lambda L, **kw: L.Conv1d(4, 100, 7, **kw)],
                         ids=["conv2d", "linear", "conv1d"])
def test_default_init_is_distributed_like_torchs(make):
    torch.manual_seed(0)
    theirs = make(torch.nn)
    ours = make(nn, generator=0)
    for name in ("weight", "bias"):
        a = getattr(ours, name).numpy().ravel()
        b = getattr(theirs, name).detach().numpy().ravel()
        assert stats.ks_2samp(a, b).pvalue > 1e-3, name
        assert abs(a.std() / b.std() - 1) < 0.1, name


def test_initialisers_hit_their_target_moments():
    w = np.empty((256, 128), np.float64)
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu", generator=1)
    assert w.std() == pytest.approx(math.sqrt(2 / 256), rel=0.02)
    nn.init.xavier_uniform_(w, gain=2.0, generator=1)
    assert np.abs(w).max() <= 2 * math.sqrt(6 / 384)
    assert w.std() == pytest.approx(2 * math.sqrt(2 / 384), rel=0.02)
    nn.init.xavier_normal_(w, generator=1)
    assert w.std() == pytest.approx(math.sqrt(2 / 384), rel=0.02)
    nn.init.kaiming_uniform_(w, generator=1)  # a=0, leaky_relu -> gain sqrt(2)
    assert 0.99 * math.sqrt(6 / 128) < np.abs(w).max() <= math.sqrt(6 / 128)
    nn.init.normal_(w, mean=3.0, std=0.5, generator=1)
    assert w.mean() == pytest.approx(3.0, abs=0.01) and w.std() == pytest.approx(0.5, rel=0.02)
    nn.init.uniform_(w, -2.0, -1.0, generator=1)
    assert w.min() >= -2.0 and w.max() <= -1.0


def test_deterministic_fills_write_in_place_and_bump_version():
    p = nn.Parameter(np.empty((2, 3), np.float32))
    version = p.version
    assert nn.init.zeros_(p) is p and p.version > version
    assert np.all(p.numpy() == 0)
    nn.init.ones_(p)
    assert np.all(p.numpy() == 1)
    nn.init.constant_(p, 0.25)
    assert np.all(p.numpy() == 0.25)
    nn.init.uniform_(p, generator=3)
    q = nn.init.uniform_(np.empty((2, 3), np.float32), generator=3)
    np.testing.assert_array_equal(p.numpy(), q)


def test_init_errors_are_clear():
    with pytest.raises(ValueError, match=r"fan in and fan out need a tensor of at least 2 "
                                         r"dimensions; got shape \(5,\)"):
        nn.init.xavier_uniform_(np.empty(5))
    with pytest.raises(ValueError, match="mode must be one of 'fan_in', 'fan_out'; got 'fan'"):
        nn.init.kaiming_normal_(np.empty((2, 2)), mode="fan")
    with pytest.raises(ValueError, match="nonlinearity must be one of .*; got 'swish'"):
        nn.init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope True is not a valid number"):
        nn.init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match=r"uniform_ needs a <= b; got a=1.0, b=0.0"):
        nn.init.uniform_(np.empty(2), 1.0, 0.0)
    with pytest.raises(TypeError, match="nn.init expects a convlens Tensor or an ndarray; "
                                        "got list"):
        nn.init.zeros_([1.0, 2.0])
