"""The newer pooling layers against torch.nn: repr, forward and gradient in float64,
save/load, and their summary() rows."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import nn
from convlens.nn.summary import summary

torch = pytest.importorskip("torch")
from reference import check_against_torch  # noqa: E402

# (class name, constructor args, input shape)
LAYERS = [
    ("MaxPool3d", (2,), (2, 2, 4, 5, 6)),
    ("MaxPool3d", ((3, 2, 2), 1, 1, 1, False, True), (1, 2, 4, 5, 6)),
    ("AvgPool3d", (3, 2, 1, True, False), (1, 2, 5, 6, 7)),
    ("AvgPool3d", (2, 1, 0, False, True, 5), (2, 1, 3, 4, 5)),
    ("AdaptiveAvgPool3d", ((2, None, 3),), (1, 2, 4, 5, 7)),
    ("AdaptiveMaxPool1d", (3,), (2, 3, 8)),
    ("AdaptiveMaxPool1d", (5, True), (2, 3, 8)),
    ("AdaptiveMaxPool2d", ((3, None),), (1, 2, 7, 5)),
    ("AdaptiveMaxPool2d", (2, True), (1, 2, 7, 5)),
    ("LPPool1d", (2, 3), (2, 3, 9)),
    ("LPPool1d", (1.5, 2, 1, True), (2, 3, 9)),
    ("LPPool2d", (2, 3, 2), (1, 2, 7, 8)),
    ("LPPool2d", (float("inf"), (2, 3)), (1, 2, 7, 8)),
]


def _input(shape, positive=False, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape)
    return np.abs(x) + 0.1 if positive else x


@pytest.mark.parametrize(("name", "args", "shape"), LAYERS)
def test_layer_matches_torch(name, args, shape):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    x = _input(shape, positive=name.startswith("LP"))
    check_against_torch(ours, theirs, x)


@pytest.mark.parametrize(("name", "args", "shape"), LAYERS)
def test_layer_saves_and_loads(name, args, shape, tmp_path):
    model = nn.Sequential(getattr(nn, name)(*args))
    cl.save(model, tmp_path / "m.convlens")
    loaded = cl.load(tmp_path / "m.convlens")
    assert repr(loaded) == repr(model)
    x = cl.tensor(_input(shape, positive=name.startswith("LP")))
    expected, actual = model(x), loaded(x)
    for e, a in zip(*(v if isinstance(v, tuple) else (v,) for v in (expected, actual))):
        np.testing.assert_array_equal(a.numpy(), e.numpy())


@pytest.mark.parametrize("nd", [1, 2])
def test_max_unpool_layer_matches_torch_and_round_trips(nd, tmp_path):
    pool, unpool = getattr(nn, f"MaxPool{nd}d"), getattr(nn, f"MaxUnpool{nd}d")
    theirs = getattr(torch.nn, f"MaxUnpool{nd}d")(3, 2, 1)
    ours = unpool(3, 2, 1)
    assert repr(ours) == repr(theirs)
    x = cl.tensor(_input((2, 3, *(7,) * nd)))
    y, indices = pool(3, 2, 1, return_indices=True)(x)
    check_against_torch(lambda t, i: ours(t, i, [7] * nd), lambda t, i: theirs(t, i, [7] * nd),
                        y.numpy(), indices.numpy())
    cl.save(nn.Sequential(ours), tmp_path / "u.convlens")
    loaded = cl.load(tmp_path / "u.convlens")[0]
    np.testing.assert_array_equal(loaded(y, indices).numpy(), ours(y, indices).numpy())


@settings(max_examples=20)
@given(nd=st.sampled_from([1, 2]), out=st.integers(1, 6), norm=st.sampled_from([1, 2, 3]),
       k=st.integers(1, 3), seed=st.integers(0, 99))
def test_adaptive_max_and_lp_layers_over_drawn_arguments(nd, out, norm, k, seed):
    x = _input((1, 2, *(6,) * nd), positive=True, seed=seed)
    for name, args in ((f"AdaptiveMaxPool{nd}d", (out,)), (f"LPPool{nd}d", (norm, k))):
        check_against_torch(getattr(nn, name)(*args), getattr(torch.nn, name)(*args), x)


def test_summary_rows_of_the_new_pools():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(2),
                          nn.AdaptiveMaxPool2d(3), nn.LPPool2d(2, 2, 1))
    rows = summary(model, (1, 12, 12)).rows
    assert [(r["type"], r["output_shape"]) for r in rows] == [
        ("Conv2d", (4, 12, 12)), ("MaxPool2d", (4, 6, 6)), ("AdaptiveMaxPool2d", (4, 3, 3)),
        ("LPPool2d", (4, 2, 2))]
    # 3x3 conv: RF 3; 2x2 pool: 3 + 1 = 4, jump 2; even 6 -> 3 bins of 2: 4 + 2 = 6, jump 4
    assert [r["rf_size"] for r in rows[:3]] == [(3, 3), (4, 4), (6, 6)]
    rows3d = summary(nn.Sequential(nn.MaxPool3d(2), nn.AvgPool3d(2), nn.AdaptiveAvgPool3d(1)),
                     (2, 8, 8, 8)).rows
    assert [r["output_shape"] for r in rows3d] == [(2, 4, 4, 4), (2, 2, 2, 2), (2, 1, 1, 1)]
    assert rows3d[1]["rf_size"] == (4, 4, 4)


def test_one_tuples_are_stored_once_per_dim():
    # torch keeps (2,) as given; convlens stores (2, 2) so every reader sees one per dim
    ours, theirs = nn.MaxPool2d((2,), (1,), (1,)), torch.nn.MaxPool2d((2,), (1,), (1,))
    assert (ours.kernel_size, ours.stride, ours.padding) == ((2, 2), (1, 1), (1, 1))
    check_against_torch(ours, theirs, _input((1, 2, 5, 6)))
    assert summary(nn.Sequential(ours), (2, 5, 6)).rows[0]["rf_size"] == (2, 2)


def test_constructor_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"LPPool2d: norm_type must be non-zero; got 0"):
        nn.LPPool2d(0, 2)
    with pytest.raises(TypeError, match=r"kernel_size must be an int or a tuple of 3 ints"):
        nn.MaxPool3d((2, 2))
    with pytest.raises(ValueError, match=r"AvgPool3d: padding \(=2\) must be at most half"):
        nn.AvgPool3d(3, padding=2)
    with pytest.raises(ValueError, match=r"output_size must be a positive int or a tuple of 2"):
        nn.AdaptiveMaxPool2d((1, 2, 3))
    with pytest.raises(TypeError, match=r"return_indices must be a bool"):
        nn.AdaptiveMaxPool1d(2, return_indices="yes")


def test_per_side_padding_layer_round_trips(tmp_path):
    layer = nn.AvgPool2d(3, 1, ((0, 1), (1, 0)), count_include_pad=False)
    cl.save(nn.Sequential(layer), tmp_path / "p.convlens")
    loaded = cl.load(tmp_path / "p.convlens")[0]
    assert loaded.padding == ((0, 1), (1, 0))
    x = cl.tensor(_input((1, 1, 5, 5)))
    np.testing.assert_array_equal(loaded(x).numpy(), layer(x).numpy())
    assert layer(x).shape == (1, 1, 4, 4)
