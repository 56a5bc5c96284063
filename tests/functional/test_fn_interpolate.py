"""interpolate, pixel_shuffle/unshuffle and channel_shuffle against torch.nn.functional."""

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import functional as F

torch = pytest.importorskip("torch")
from gradcheck import gradcheck  # noqa: E402
from reference import TF, check_against_torch  # noqa: E402

RANK = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


@st.composite
def resize_configs(draw):
    mode = draw(st.sampled_from(["nearest", "nearest-exact", "linear", "bilinear", "bicubic",
                                 "trilinear", "area"]))
    nd = RANK.get(mode) or draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, 6 if nd < 3 else 3)) for _ in range(nd))
    kwargs = {}
    if draw(st.booleans()):
        kwargs["size"] = tuple(draw(st.integers(1, 9 if nd < 3 else 4)) for _ in range(nd))
        if nd == 1 or draw(st.booleans()) and len(set(kwargs["size"])) == 1:
            kwargs["size"] = kwargs["size"][0]
    else:
        factors = st.sampled_from([0.5, 0.7, 1.0, 1.5, 2.0, 2.3, 3.0])
        kwargs["scale_factor"] = tuple(draw(factors) for _ in range(nd))
        kwargs["recompute_scale_factor"] = draw(st.sampled_from([None, True, False]))
    if mode in RANK:
        kwargs["align_corners"] = draw(st.sampled_from([None, False, True]))
    return mode, shape, kwargs


@settings(max_examples=150)
@given(config=resize_configs(), seed=st.integers(0, 100),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_interpolate_matches_torch(config, seed, dtype):
    mode, shape, kwargs = config
    if "scale_factor" in kwargs:
        assume(all(int(n * f) >= 1 for n, f in zip(shape, kwargs["scale_factor"])))
    if mode == "area" and "scale_factor" in kwargs:
        kwargs["recompute_scale_factor"] = None  # torch's area ignores the factor anyway
    x = np.random.default_rng(seed).standard_normal((2, 2, *shape))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check_against_torch(lambda t: F.interpolate(t, mode=mode, **kwargs),
                            lambda t: TF.interpolate(t, mode=mode, **kwargs), x, dtype=dtype,
                            grad=not _torch_backward_disagrees(mode, shape, kwargs))


def _torch_backward_disagrees(mode, shape, kwargs):
    """torch's 1-D/3-D nearest backward copies (out == in) or halves (out == 2 * in) even
    where its forward, following the scale factor, did not; see the test below."""
    factors = kwargs.get("scale_factor")
    if mode != "nearest" or len(shape) == 2 or factors is None or kwargs.get(
            "recompute_scale_factor"):
        return False
    return any(int(n * f) in (n, 2 * n) and f not in (1.0, 2.0) for n, f in zip(shape, factors))


def test_nearest_gradient_follows_the_forward_where_torch_does_not():
    x = cl.tensor(np.zeros((1, 1, 2)), requires_grad=True)
    y = F.interpolate(x, scale_factor=2.3)  # in 2, out 4: sources 0, 0, 0, 1 (torch too)
    assert y.numpy().shape == (1, 1, 4)
    xt = torch.zeros((1, 1, 2), requires_grad=True)
    yt = TF.interpolate(xt, scale_factor=2.3)
    np.testing.assert_array_equal(
        F.interpolate(cl.tensor(np.array([[[1.0, 2.0]]])), scale_factor=2.3).numpy(),
        TF.interpolate(torch.tensor([[[1.0, 2.0]]], dtype=torch.float64),
                       scale_factor=2.3).numpy())
    grad = np.array([[[1.0, 2.0, 3.0, 4.0]]])
    y.backward(grad)
    yt.backward(torch.tensor(grad, dtype=torch.float32))
    assert x.grad.numpy().ravel().tolist() == [6.0, 4.0]  # the forward's adjoint
    assert xt.grad.numpy().ravel().tolist() == [3.0, 7.0]  # torch's backward halves instead
    gradcheck(lambda t: F.interpolate(t, scale_factor=2.3), np.array([[[0.5, -1.0]]]))


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic", "area"])
def test_interpolate_gradcheck(mode):
    x = np.random.default_rng(1).standard_normal((1, 2, 3, 4))
    gradcheck(lambda t: F.interpolate(t, size=(5, 3), mode=mode), x)


@settings(max_examples=30)
@given(r=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(1, 3), w=st.integers(1, 3),
       lead=st.lists(st.integers(1, 2), max_size=2), seed=st.integers(0, 100))
def test_pixel_shuffle_round_trip_matches_torch(r, c, h, w, lead, seed):
    x = np.random.default_rng(seed).standard_normal((*lead, c * r * r, h, w))
    check_against_torch(lambda t: F.pixel_shuffle(t, r), lambda t: TF.pixel_shuffle(t, r), x)
    y = np.random.default_rng(seed).standard_normal((*lead, c, h * r, w * r))
    check_against_torch(lambda t: F.pixel_unshuffle(t, r), lambda t: TF.pixel_unshuffle(t, r),
                        y)
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(cl.tensor(x), r), r).numpy(),
                                  x)


@pytest.mark.parametrize("shape,groups", [((2, 6, 3), 2), ((1, 6, 2, 2), 3), ((2, 4, 1, 1, 2), 4)])
def test_channel_shuffle_matches_torch(shape, groups):
    x = np.random.default_rng(0).standard_normal(shape)
    check_against_torch(lambda t: F.channel_shuffle(t, groups),
                        lambda t: TF.channel_shuffle(t, groups), x)


@pytest.mark.parametrize("call,message", [
    (lambda x: F.interpolate(x), r"interpolate needs exactly one of size and scale_factor"),
    (lambda x: F.interpolate(x, 2, 2.0), r"interpolate needs exactly one of size and scale"),
    (lambda x: F.interpolate(x, 4, mode="linear"),
     r"interpolate with mode='linear' expects a 3-D \(N, C, \*d\) input; got shape"),
    (lambda x: F.interpolate(x, 4, align_corners=True),
     r"align_corners can only be set with the interpolating modes"),
    (lambda x: F.interpolate(x, 4, mode="bilinear", antialias=True),
     r"interpolate does not support antialias=True"),
    (lambda x: F.interpolate(x, (4, 4, 4)), r"size must be a number or a sequence of 2"),
    (lambda x: F.interpolate(x, scale_factor=0.1),
     r"interpolate would give an empty output \(0, 0\)"),
    (lambda x: F.interpolate(x, 3, recompute_scale_factor=True),
     r"recompute_scale_factor is only meaningful with scale_factor"),
    (lambda x: F.interpolate(x, 3, mode="cubic"), r"mode must be one of 'nearest'"),
    (lambda x: F.pixel_shuffle(x, 2), r"pixel_shuffle expects input \(\*, C \* "
     r"upscale_factor\*\*2, H, W\) with upscale_factor=2; got shape \(1, 2, 3, 3\)"),
    (lambda x: F.pixel_unshuffle(x, 2), r"with H and W divisible by downscale_factor=2"),
    (lambda x: F.channel_shuffle(x, 3), r"channel_shuffle expects input \(N, C, \*\) with C "
     r"divisible by groups \(=3\)"),
])
def test_interpolate_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call(cl.tensor(np.zeros((1, 2, 3, 3))))
