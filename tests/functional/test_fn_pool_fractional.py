"""fractional_max_pool2d and nn.FractionalMaxPool2d against torch, with the same random
samples: values, indices and gradients in float64 and float32; NaN; errors; save/load."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import functional as F
from convlens import nn

torch = pytest.importorskip("torch")
from reference import Constant, check_against_torch  # noqa: E402

TF = torch.nn.functional


@settings(max_examples=30)
@given(h=st.integers(4, 12), w=st.integers(4, 12), k=st.sampled_from([1, 2, 3, (2, 3)]),
       data=st.data(), dtype=st.sampled_from([np.float64, np.float32]), seed=st.integers(0, 99))
def test_fractional_max_pool2d_matches_torch(h, w, k, data, dtype, seed):
    kh, kw = (k, k) if isinstance(k, int) else k
    out = (data.draw(st.integers(1, h - kh + 1)), data.draw(st.integers(1, w - kw + 1)))
    rng = np.random.default_rng(seed)
    x, samples = rng.standard_normal((2, 3, h, w)), rng.random((2, 3, 2))
    check_against_torch(
        lambda t, u: F.fractional_max_pool2d(t, k, out, return_indices=True, _random_samples=u),
        lambda t, u: TF.fractional_max_pool2d(t, k, out, return_indices=True,
                                              _random_samples=u),
        x, Constant(samples), dtype=dtype)


def test_output_ratio_and_nan_follow_torch():
    rng = np.random.default_rng(1)
    x, samples = rng.standard_normal((1, 2, 11, 9)), rng.random((1, 2, 2))
    x[0, 0, 3, 4] = np.nan
    ours = F.fractional_max_pool2d(cl.tensor(x), 3, output_ratio=(0.5, 0.7),
                                   _random_samples=cl.tensor(samples))
    theirs = TF.fractional_max_pool2d(torch.tensor(x), 3, output_ratio=(0.5, 0.7),
                                      _random_samples=torch.tensor(samples))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())   # NaN positions included
    assert np.isnan(ours.numpy()).sum() >= 1


def test_samples_come_from_the_generator():
    x = cl.tensor(np.random.default_rng(0).standard_normal((2, 2, 20, 20)))
    a = F.fractional_max_pool2d(x, 2, output_size=7, generator=5).numpy()
    b = F.fractional_max_pool2d(x, 2, output_size=7, generator=5).numpy()
    np.testing.assert_array_equal(a, b)
    layer = nn.FractionalMaxPool2d(2, output_ratio=0.5, generator=3)
    assert layer(x).shape == (2, 2, 10, 10)


def test_layer_matches_torch_and_round_trips(tmp_path):
    samples = np.random.default_rng(2).random((1, 2, 2))
    ours = nn.FractionalMaxPool2d(3, output_size=(5, 4), return_indices=True,
                                  _random_samples=cl.tensor(samples))
    theirs = torch.nn.FractionalMaxPool2d(3, output_size=(5, 4), return_indices=True,
                                          _random_samples=torch.tensor(samples))
    assert repr(ours) == repr(theirs)
    check_against_torch(ours, theirs, np.random.default_rng(3).standard_normal((1, 2, 9, 8)))
    model = nn.Sequential(nn.FractionalMaxPool2d((2, 3), output_ratio=0.5))
    cl.save(model, tmp_path / "f.convlens")
    loaded = cl.load(tmp_path / "f.convlens")[0]
    assert (loaded.kernel_size, loaded.output_ratio) == ((2, 3), (0.5, 0.5))


def test_errors():
    x = cl.tensor(np.zeros((1, 1, 6, 6)))
    with pytest.raises(ValueError, match=r"needs exactly one of output_size and output_ratio"):
        F.fractional_max_pool2d(x, 2)
    with pytest.raises(ValueError, match=r"output_ratio must be a number or 2 numbers in "
                                         r"\(0, 1\); got 1.5"):
        nn.FractionalMaxPool2d(2, output_ratio=1.5)
    with pytest.raises(ValueError, match=r"output_size \(4, 4\) and kernel_size \(4, 4\) need "
                                         r"an input of at least 7 per dim"):
        F.fractional_max_pool2d(x, 4, output_size=4)
    with pytest.raises(ValueError, match=r"_random_samples must have shape \(N, C, 2\) = "
                                         r"\(1, 1, 2\)"):
        F.fractional_max_pool2d(x, 2, 3, _random_samples=cl.tensor(np.zeros((1, 2))))
    with pytest.raises(ValueError, match=r"output_size \(=200\) would need an array of shape "
                                         r"\(1, 1, 200, 200, 200, 200\)"):
        F.fractional_max_pool2d(cl.tensor(np.zeros((1, 1, 400, 400))), 200, output_size=200)
