"""Padding layers against torch.nn: repr, forward and gradient in float64 over drawn paddings,
save/load and summary() rows."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import nn
from convlens.nn.summary import summary

torch = pytest.importorskip("torch")
from reference import check_against_torch  # noqa: E402

# name -> (dims padded, extra constructor args)
PADS = {"ZeroPad1d": (1, ()), "ZeroPad2d": (2, ()), "ConstantPad1d": (1, (2.5,)),
        "ConstantPad2d": (2, (-1.0,)), "ConstantPad3d": (3, (0.5,)),
        "ReflectionPad1d": (1, ()), "ReflectionPad2d": (2, ()),
        "ReplicationPad1d": (1, ()), "ReplicationPad2d": (2, ()),
        "CircularPad1d": (1, ()), "CircularPad2d": (2, ())}


@settings(max_examples=60)
@given(name=st.sampled_from(sorted(PADS)), data=st.data(), as_int=st.booleans(),
       batched=st.booleans(), seed=st.integers(0, 99))
def test_padding_layer_matches_torch(name, data, as_int, batched, seed):
    nd, extra = PADS[name]
    size = 4  # reflection needs pads < size; circular pads <= size
    pads = data.draw(st.lists(st.integers(0, 3), min_size=2 * nd, max_size=2 * nd))
    padding = pads[0] if as_int else tuple(pads)
    ours, theirs = getattr(nn, name)(padding, *extra), getattr(torch.nn, name)(padding, *extra)
    assert repr(ours) == repr(theirs)
    assert ours.padding == theirs.padding
    shape = (2, 3, *(size,) * nd) if batched else (3, *(size,) * nd)
    x = np.random.default_rng(seed).standard_normal(shape)
    check_against_torch(ours, theirs, x)


@pytest.mark.parametrize("name", sorted(PADS))
def test_padding_layer_saves_loads_and_has_a_summary_row(name, tmp_path):
    nd, extra = PADS[name]
    model = nn.Sequential(getattr(nn, name)(tuple(range(1, 2 * nd + 1)) if nd < 3 else 1,
                                            *extra))
    cl.save(model, tmp_path / "pad.convlens")
    loaded = cl.load(tmp_path / "pad.convlens")
    assert repr(loaded) == repr(model)
    shape = (2, *(5,) * nd)
    x = cl.tensor(np.random.default_rng(0).standard_normal((1, *shape)))
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())
    row = summary(model, shape).rows[0]
    assert (row["type"], row["output_shape"]) == (name, tuple(model(x).shape[1:]))


def test_zero_pad_keeps_a_conv_receptive_field_unknown_rather_than_wrong():
    rows = summary(nn.Sequential(nn.ZeroPad2d(1), nn.Conv2d(1, 1, 3)), (1, 6, 6)).rows
    assert rows[0]["output_shape"] == (1, 8, 8) and rows[1]["output_shape"] == (1, 6, 6)
    assert rows[0]["rf_size"] is None


def test_padding_layer_errors():
    with pytest.raises(TypeError, match=r"padding must be an int or a tuple of 4 ints; "
                                        r"got \(1, 2\)"):
        nn.ZeroPad2d((1, 2))
    with pytest.raises(TypeError, match=r"value must be a number; got str"):
        nn.ConstantPad1d(1, "zero")
    with pytest.raises(ValueError, match=r"ReflectionPad2d expects input to be a 3-D \(C, H, W\) "
                                         r"or a 4-D \(N, C, H, W\); got shape \(4, 4\)"):
        nn.ReflectionPad2d(1)(cl.tensor(np.zeros((4, 4))))
