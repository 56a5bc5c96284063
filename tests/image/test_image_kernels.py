"""The named kernel library, and kernels from literals and files."""

import math

import numpy as np
import pytest

from convlens import image

# The definitions as docs/image.md and the docstrings state them.
DEFINITIONS = {
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "sobel-x": [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
    "sobel-y": [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
    "prewitt-x": [[1, 0, -1], [1, 0, -1], [1, 0, -1]],
    "prewitt-y": [[1, 1, 1], [0, 0, 0], [-1, -1, -1]],
    "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
    "outline": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
}


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_fixed_kernels_match_their_definitions(name):
    weights = image.kernel(name)
    assert weights.dtype == np.float64
    np.testing.assert_array_equal(weights, DEFINITIONS[name])


def test_library_names_and_weight_sums():
    assert set(image.KERNELS) == set(DEFINITIONS) | {"box", "gaussian"}
    for name in ("box", "gaussian", "sharpen", "emboss"):
        assert image.kernel(name).sum() == pytest.approx(1.0)
    for name in ("sobel-x", "sobel-y", "prewitt-x", "prewitt-y", "laplacian", "outline"):
        assert image.kernel(name).sum() == 0.0


def test_box_has_equal_weights_for_odd_and_even_sizes():
    np.testing.assert_array_equal(image.box(3), np.full((3, 3), 1 / 9))
    np.testing.assert_array_equal(image.kernel("box", size=4), np.full((4, 4), 1 / 16))


@pytest.mark.parametrize("sigma, size", [(0.5, 5), (1.0, 7), (1.2, 9), (2.0, 13)])
def test_gaussian_default_size_and_values(sigma, size):
    weights = image.kernel("gaussian", sigma=sigma)
    assert weights.shape == (size, size)  # 2 * ceil(3 sigma) + 1
    centre = size // 2
    ratio = weights[centre, centre + 1] / weights[centre, centre]
    assert ratio == pytest.approx(math.exp(-1 / (2 * sigma**2)))
    assert weights.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(weights, weights.T)


def test_names_are_forgiving_and_ridge_is_outline():
    np.testing.assert_array_equal(image.kernel("Sobel_X"), image.sobel_x())
    np.testing.assert_array_equal(image.kernel("ridge"), image.outline())


@pytest.mark.parametrize("call, error, match", [
    (lambda: image.kernel("sobel-z"), ValueError, "name must be one of 'box', .*'sobel-z'"),
    (lambda: image.kernel("sobel-x", size=3), ValueError, "'sobel-x' takes no parameters"),
    (lambda: image.kernel("box", sigma=1), ValueError, "'box' takes only size; got sigma"),
    (lambda: image.gaussian(0.0), ValueError, "sigma must be > 0"),
    (lambda: image.gaussian(-1.0), ValueError, r"sigma must be a finite number in \[0.0"),
    (lambda: image.gaussian(1.0, size=4), ValueError, "size must be odd.* got 4"),
    (lambda: image.box(0), ValueError, "size must be >= 1; got 0"),
    (lambda: image.box(2.5), TypeError, "size must be an int; got float 2.5"),
])
def test_bad_library_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("text, expected", [
    ("1 0 -1; 2 0 -2; 1 0 -1", [[1, 0, -1], [2, 0, -2], [1, 0, -1]]),
    ("1, 2\n3, 4\n", [[1, 2], [3, 4]]),
    ("# a comment line\n1\t2 # trailing comment\n\n3 4", [[1, 2], [3, 4]]),
    ("1/4 1/4; 1/4 1/4", [[0.25, 0.25], [0.25, 0.25]]),
    ("1 2 1", [[1, 2, 1]]),
    ("-1.5e0,", [[-1.5]]),
])
def test_parse_kernel(text, expected):
    np.testing.assert_array_equal(image.parse_kernel(text), expected)


@pytest.mark.parametrize("text, match", [
    ("", "holds no numbers"),
    ("# only a comment\n ; \n", "holds no numbers"),
    ("1 2 3; 4 5", "not rectangular: row 2 has 2 numbers but row 1 has 3"),
    ("1 x 3", "row 1: 'x' is not a number"),
    ("1 2; nan 4", "row 2: 'nan' is not a finite number"),
    ("inf", "row 1: 'inf' is not a finite number"),
    ("1/0", "row 1: '1/0' is not a number"),
])
def test_parse_kernel_rejects(text, match):
    with pytest.raises(ValueError, match=match):
        image.parse_kernel(text)


def test_load_kernel_from_files(tmp_path):
    good = tmp_path / "k.txt"
    good.write_text("# Scharr x\n3, 0, -3\n10, 0, -10\n3, 0, -3\n")
    np.testing.assert_array_equal(image.load_kernel(good),
                                  [[3, 0, -3], [10, 0, -10], [3, 0, -3]])
    ragged = tmp_path / "ragged.txt"
    ragged.write_text("1 2\n3\n")
    with pytest.raises(ValueError, match=r"kernel file '.*ragged.txt' is not rectangular"):
        image.load_kernel(ragged)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match=r"kernel file '.*empty.txt' holds no numbers"):
        image.load_kernel(empty)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(ValueError, match=r"kernel file '.*binary.txt' is not UTF-8 text"):
        image.load_kernel(binary)
    with pytest.raises(FileNotFoundError, match=r"no kernel file at '.*missing.txt'"):
        image.load_kernel(tmp_path / "missing.txt")


def test_as_kernel_accepts_arrays_and_rejects_the_rest():
    np.testing.assert_array_equal(image.as_kernel([[1, 2]]), [[1.0, 2.0]])
    with pytest.raises(ValueError, match=r"non-empty 2-D \(kH, kW\) array; got shape \(3,\)"):
        image.as_kernel([1, 2, 3])
    with pytest.raises(ValueError, match=r"finite numbers; got inf at index \(1, 0\)"):
        image.as_kernel([[0.0, 1.0], [np.inf, 1.0]])
    with pytest.raises(TypeError, match="must be a 2-D array of numbers; got list"):
        image.as_kernel([[1, 2], [3]])
