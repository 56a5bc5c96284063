"""image.filter and image.Filter against scipy.ndimage.convolve, and on pictures we can reason
about: an edge, an impulse, a flat image."""

import numpy as np
import pytest
from scipy import ndimage

import convlens as cl
from convlens import functional as F
from convlens import image

KERNEL_SHAPES = [(1, 1), (3, 3), (2, 2), (4, 3), (9, 8)]  # (9, 8) is larger than the image


def ndimage_reference(img, kernel, mode, cval):
    """ndimage.convolve in float64, channel by channel for colour images."""
    img = np.asarray(img, dtype=np.float64)
    if img.ndim == 2:
        return ndimage.convolve(img, kernel, mode=mode, cval=cval)
    return np.stack([ndimage.convolve(img[:, :, c], kernel, mode=mode, cval=cval)
                     for c in range(img.shape[2])], axis=-1)


def random_image(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.uint8:
        return rng.integers(0, 256, size=shape, dtype=np.uint8)
    return rng.normal(size=shape).astype(dtype)


@pytest.mark.parametrize("method", image.METHODS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8])
@pytest.mark.parametrize("shape", [(7, 6), (7, 6, 3)], ids=["gray", "rgb"])
@pytest.mark.parametrize("kernel_shape", KERNEL_SHAPES, ids=str)
@pytest.mark.parametrize("mode", image.BOUNDARY_MODES)
def test_filter_matches_ndimage_convolve(mode, kernel_shape, shape, dtype, method):
    img = random_image(shape, dtype)
    kernel = np.random.default_rng(1).normal(size=kernel_shape)
    got = image.filter(img, kernel, mode=mode, cval=0.5, method=method)
    expected = ndimage_reference(img, kernel, mode, 0.5)
    assert got.shape == img.shape
    assert got.dtype == (np.float32 if dtype == np.float32 else np.float64)
    tolerance = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-10,
                                                                          "atol": 1e-9}
    np.testing.assert_allclose(got, expected, **tolerance)


@pytest.mark.parametrize("alias", ["grid-mirror", "grid-constant", "grid-wrap"])
def test_ndimage_aliases_match_ndimage(alias):
    img, kernel = random_image((6, 5), np.float64), random_image((3, 2), np.float64, seed=2)
    np.testing.assert_allclose(image.filter(img, kernel, mode=alias, cval=2.0),
                               ndimage.convolve(img, kernel, mode=alias, cval=2.0), atol=1e-12)


def test_named_and_literal_kernels_are_the_arrays():
    img = random_image((8, 8), np.float64)
    by_array = image.filter(img, image.sobel_x())
    np.testing.assert_array_equal(image.filter(img, "sobel-x"), by_array)
    np.testing.assert_array_equal(image.filter(img, "1 0 -1; 2 0 -2; 1 0 -1"), by_array)


def test_filter_is_conv2d_with_the_kernel_flipped():
    img = random_image((9, 10), np.float64)
    kernel = random_image((3, 5), np.float64, seed=3)
    flipped = np.ascontiguousarray(kernel[::-1, ::-1])
    expected = F.conv2d(cl.tensor(img[None, None]), cl.tensor(flipped[None, None]),
                        padding=(1, 2)).numpy()[0, 0]
    np.testing.assert_allclose(image.filter(img, kernel, mode="constant"), expected, atol=1e-12)


def test_nan_stays_local_with_auto():
    """FFT would smear a NaN over the whole image; auto must avoid it, as ndimage does."""
    img = random_image((64, 64), np.float64)
    img[10, 20] = np.nan
    kernel = image.gaussian(2.5)  # 17x17: large enough that FFT would win on finite input
    blur = image.Filter(kernel, method="auto")
    got = blur(img)
    assert blur.last_method == "direct"
    np.testing.assert_allclose(got, ndimage.convolve(img, kernel), atol=1e-12)
    assert np.isnan(got).sum() == 17 * 17


def test_auto_picks_direct_for_small_and_fft_for_large_kernels():
    img = random_image((128, 128), np.float64)
    small, large = image.Filter("sobel-x"), image.Filter(np.ones((31, 31)))
    small(img), large(img)
    assert (small.last_method, large.last_method) == ("direct", "fft")


def test_sobel_x_peaks_on_a_vertical_edge():
    img = np.zeros((16, 16))
    img[:, 8:] = 1.0  # dark left half, bright right half: the edge lies between columns 7, 8
    edges = image.filter(img, "sobel-x", mode="nearest")
    # A central difference times the 1-2-1 smoothing: 4 on both columns beside the edge.
    np.testing.assert_allclose(edges[:, 7:9], 4.0)
    np.testing.assert_allclose(np.delete(edges, [7, 8], axis=1), 0.0, atol=1e-12)
    assert set(edges.argmax(axis=1)) <= {7, 8}
    np.testing.assert_allclose(image.filter(img, "sobel-y", mode="nearest"), 0.0, atol=1e-12)


@pytest.mark.parametrize("method", ["direct", "fft"])
def test_gaussian_blur_of_an_impulse_is_the_gaussian(method):
    sigma, radius = 1.5, 5  # the default size for sigma 1.5 is 2 * ceil(4.5) + 1 = 11
    img = np.zeros((21, 21))
    img[10, 10] = 1.0
    blurred = image.filter(img, image.gaussian(sigma), mode="constant", method=method)
    dy, dx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    bump = np.exp(-(dy**2 + dx**2) / (2 * sigma**2))
    expected = np.zeros((21, 21))
    expected[10 - radius:11 + radius, 10 - radius:11 + radius] = bump / bump.sum()
    np.testing.assert_allclose(blurred, expected, atol=1e-12)


def test_box_blur_of_a_constant_image_is_constant_away_from_the_border():
    img = np.full((12, 10), 7.0)
    blurred = image.filter(img, image.box(5), mode="constant")  # zeros outside
    np.testing.assert_allclose(blurred[2:-2, 2:-2], 7.0)
    assert blurred[0, 0] == pytest.approx(7.0 * 9 / 25)  # a corner sees 3x3 of the image
    np.testing.assert_allclose(image.filter(img, image.box(4), mode="reflect"), 7.0)


def test_the_kernel_spectrum_is_computed_once_for_ten_same_size_images():
    blur = image.Filter(image.gaussian(2.0), mode="wrap", method="fft")
    for seed in range(10):
        img = random_image((24, 20), np.float64, seed=seed)
        np.testing.assert_allclose(blur(img), ndimage_reference(img, blur.kernel, "wrap", 0.0),
                                   atol=1e-12)
    assert blur.kernel_transforms == 1
    blur(random_image((24, 20, 3), np.float64))  # same spatial size, in colour
    assert blur.kernel_transforms == 1
    blur(random_image((30, 20), np.float64))  # a new size needs a new spectrum
    assert blur.kernel_transforms == 2


def test_direct_never_transforms_and_the_cache_is_bounded():
    direct = image.Filter("box", method="direct")
    direct(np.ones((8, 8)))
    assert direct.kernel_transforms == 0
    small = image.Filter("box", method="fft", max_cached=1)
    for shape in [(8, 8), (9, 9), (8, 8)]:
        small(np.ones(shape))
    assert small.kernel_transforms == 3  # (8, 8) was evicted by (9, 9)


@pytest.mark.parametrize("img, error, match", [
    (np.ones(5), ValueError, r"img to be a 2-D \(H, W\) grayscale image or a 3-D"),
    (np.ones((2, 3, 4, 5)), ValueError, r"got shape \(2, 3, 4, 5\)"),
    (np.ones((0, 4)), ValueError, r"non-empty img; got shape \(0, 4\)"),
    (np.ones((3, 3), complex), TypeError, "real numbers .* dtype complex128"),
    (np.array([["a", "b"]]), TypeError, "real numbers .* dtype <U1"),
])
def test_bad_images_are_rejected(img, error, match):
    with pytest.raises(error, match=match):
        image.filter(img, "box")


@pytest.mark.parametrize("kernel, error, match", [
    (np.array([[1.0, np.nan]]), ValueError, r"finite numbers; got nan at index \(0, 1\)"),
    (np.ones((3, 3, 1)), ValueError, r"non-empty 2-D \(kH, kW\) array; got shape \(3, 3, 1\)"),
    (np.ones((0, 3)), ValueError, r"got shape \(0, 3\)"),
    (np.ones((2, 2), complex), TypeError, "kernel must hold real numbers"),
    ("blurry", ValueError, "kernel must be one of 'box', .* got 'blurry'"),
])
def test_bad_kernels_are_rejected(kernel, error, match):
    with pytest.raises(error, match=match):
        image.filter(np.ones((4, 4)), kernel)


def test_bad_options_are_rejected():
    with pytest.raises(ValueError, match="mode must be one of 'reflect', .* got 'symmetric'"):
        image.filter(np.ones((4, 4)), "box", mode="symmetric")
    with pytest.raises(ValueError, match="method must be one of 'auto', .* got 'winograd'"):
        image.filter(np.ones((4, 4)), "box", method="winograd")
    with pytest.raises(ValueError, match=r"cval must be a finite number .* got nan"):
        image.filter(np.ones((4, 4)), "box", cval=float("nan"))


@pytest.mark.parametrize("mode", image.BOUNDARY_MODES)
def test_kernels_much_larger_than_the_image(mode):
    """The padding then exceeds the image, so the extension has to repeat, as ndimage's does."""
    img, kernel = random_image((2, 3), np.float64), random_image((7, 10), np.float64, seed=4)
    for method in ("direct", "fft"):
        np.testing.assert_allclose(image.filter(img, kernel, mode=mode, cval=-1.0, method=method),
                                   ndimage.convolve(img, kernel, mode=mode, cval=-1.0),
                                   atol=1e-10)
