"""animate_conv and conv_frame: one GIF frame per output cell, and numbers equal to conv2d."""

import numpy as np
import pytest

import convlens as cl
from convlens import functional as F

Image = pytest.importorskip("PIL.Image")
from convlens.explain.animate import animate_conv, conv_frame  # noqa: E402


def conv2d_reference(x, w, stride, padding, dilation):
    return F.conv2d(cl.tensor(np.asarray(x, float)[None, None]),
                    cl.tensor(np.asarray(w, float)[None, None]), stride=stride,
                    padding=padding, dilation=dilation).numpy()[0, 0]


@pytest.mark.parametrize("shape, kernel_shape, stride, padding, dilation", [
    ((5, 5), (3, 3), 1, 0, 1),
    ((5, 6), (3, 2), 2, 1, 1),
    ((6, 6), (2, 2), (1, 2), (1, 0), (2, 1)),
    ((4, 4), (1, 1), 3, 0, 1),
])
def test_one_frame_per_output_cell_and_the_result_is_conv2d(tmp_path, shape, kernel_shape,
                                                            stride, padding, dilation):
    rng = np.random.default_rng(0)
    x = rng.integers(-4, 5, size=shape)
    w = rng.integers(-2, 3, size=kernel_shape)
    path = tmp_path / "conv.gif"
    out = animate_conv(x, w, stride=stride, padding=padding, path=str(path), dilation=dilation)
    expected = conv2d_reference(x, w, stride, padding, dilation)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, atol=1e-12)
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == expected.size


def test_conv_frame_shows_a_dot_product_that_checks_by_hand(tmp_path):
    x = np.arange(20.0).reshape(4, 5)
    w = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0]])
    path = tmp_path / "frame.png"
    frame = conv_frame(x, w, (1, 1), stride=1, padding=1, path=str(path))
    padded = np.pad(x, 1)
    np.testing.assert_array_equal(frame.window, padded[1:3, 1:4])  # rows 1-2, cols 1-3
    np.testing.assert_array_equal(frame.products, frame.window * w)
    # By hand: [0 1 2; 5 6 7] . [1 0 -1; 2 0 -2] = 0 - 2 + 10 - 14 = -6.
    assert frame.value == -6.0
    assert frame.value == conv2d_reference(x, w, 1, 1, 1)[1, 1]
    with Image.open(path) as png:
        assert png.format == "PNG" and png.size == frame.image.size
        assert len(png.convert("RGB").getcolors(maxcolors=100_000)) > 5  # not a blank canvas


@pytest.mark.parametrize("call, error, match", [
    (lambda p: animate_conv(np.ones((17, 4)), np.ones((3, 3)), path=p), ValueError,
     r"so x must be at most 16x16; got shape \(17, 4\)"),
    (lambda p: animate_conv(np.ones((8, 8)), np.ones((8, 1)), path=p), ValueError,
     r"so w must be at most 7x7; got shape \(8, 1\)"),
    (lambda p: animate_conv(np.ones((1, 4, 4)), np.ones((3, 3)), path=p), ValueError,
     r"x to be a non-empty 2-D array; got shape \(1, 4, 4\)"),
    (lambda p: animate_conv(np.ones((4, 4)), [[np.nan]], path=p), ValueError,
     "w to hold finite numbers"),
    (lambda p: animate_conv(np.ones((4, 4), complex), np.ones((3, 3)), path=p), TypeError,
     "x to hold real numbers"),
    (lambda p: animate_conv(np.ones((2, 2)), np.ones((3, 3)), path=p), ValueError,
     "the output would be empty"),
    (lambda p: animate_conv(np.ones((4, 4)), np.ones((3, 3)), padding=3, path=p), ValueError,
     r"padding \(=3\) must be at most dilation \* \(kernel_size - 1\) \(=2\)"),
    (lambda p: animate_conv(np.ones((4, 4)), np.ones((3, 3)), stride=0, path=p), ValueError,
     "stride must be positive"),
    (lambda p: conv_frame(np.ones((4, 4)), np.ones((3, 3)), (2, 0)), ValueError,
     r"position must lie inside the output of shape \(2, 2\); got \(2, 0\)"),
])
def test_bad_arguments(tmp_path, call, error, match):
    with pytest.raises(error, match=match):
        call(str(tmp_path / "bad.gif"))
    assert not (tmp_path / "bad.gif").exists()
