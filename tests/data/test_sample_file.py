"""light_background: the border median of a one-channel image, as np.median computes it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from convlens.data.image_folder import load_image
from convlens.data.sample_file import light_background, load_sample

# Values at and around the 0.5 threshold, so ties and rounding of the two-middle mean matter.
EDGES = [0.0, 1.0, 0.5, float(np.nextafter(np.float32(0.5), 1)),
         float(np.nextafter(np.float32(0.5), 0)), 0.25, 0.75, 128 / 255, 127 / 255]


def _median_rule(pixels: np.ndarray) -> bool:
    image = pixels[0]
    border = np.concatenate([image[0], image[-1], image[1:-1, 0], image[1:-1, -1]])
    with np.errstate(invalid="ignore"):
        return float(np.median(border)) > 0.5


@settings(max_examples=150)
@given(st.sampled_from([np.float32, np.float64]).flatmap(lambda dtype: arrays(
    dtype, st.tuples(st.just(1), st.integers(1, 7), st.integers(1, 7)),
    elements=st.sampled_from(EDGES) | st.floats(0, 1, width=32))))
def test_light_background_matches_np_median(pixels):
    assert light_background(pixels) == _median_rule(pixels)


@pytest.mark.parametrize("shape", [(1, 1, 1), (1, 1, 5), (1, 3, 1), (1, 28, 28)])
def test_light_background_nan_on_the_border_is_not_light(shape):
    pixels = np.ones(shape, np.float32)
    pixels[0, 0, 0] = np.nan
    assert light_background(pixels) is False and _median_rule(pixels) is False


def test_light_background_on_digits():
    digit = np.zeros((1, 28, 28), np.float32)
    digit[0, 8:20, 12:16] = 1.0                  # a light stroke on black: not light
    assert light_background(digit) is False
    assert light_background(1.0 - digit) is True  # the same digit on white paper


@pytest.mark.parametrize("shape, error, message", [
    ((1, 0, 28), ValueError, r"image_size must be positive; got \(0, 28\)"),
    ((1, 28.0, 28), TypeError, r"image_size must be an int or a tuple of 2 ints; got \(28.0, 28\)"),
    ((1, True, 28), TypeError, r"image_size must be an int or a tuple of 2 ints"),
])
def test_load_sample_checks_the_image_size_as_load_image_does(tmp_path, shape, error, message):
    Image = pytest.importorskip("PIL.Image")
    path = str(tmp_path / "digit.png")
    Image.fromarray(np.zeros((28, 28), np.uint8), "L").save(path)
    with pytest.raises(error, match=message):
        load_sample(path, shape, "auto")
    with pytest.raises(error, match=message):
        load_image(path, shape[1:], grayscale=True)


def test_load_sample_reads_a_png_as_load_image_does(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    pixels = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    pixels[-1], pixels[:, 0], pixels[:, -1] = 0, 0, 0
    pixels[0] = 255    # a light top row but a mostly dark border: not inverted
    path = str(tmp_path / "digit.png")
    Image.fromarray(pixels, "L").save(path)
    sample, inverted = load_sample(path, (1, 28, 28), "auto")
    assert not inverted and sample.dtype == np.float32 and sample.shape == (1, 28, 28)
    np.testing.assert_array_equal(sample, pixels[None].astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(sample, load_image(path, (28, 28), grayscale=True))
