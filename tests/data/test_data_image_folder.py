"""image-folder on tiny PNG and JPEG files written with Pillow."""

import re
import sys

import numpy as np
import pytest

from convlens.data import load_dataset
from convlens.data.image_folder import load_image

Image = pytest.importorskip("PIL.Image")


def _write(folder, name, pixels, fmt="PNG"):
    folder.mkdir(parents=True, exist_ok=True)
    mode = "L" if pixels.ndim == 2 else "RGB"
    Image.fromarray(pixels, mode).save(folder / name, format=fmt)
    return folder / name


@pytest.fixture
def rgb_folder(tmp_path):
    """cat/ holds 5 PNGs, dog/ 5 JPEGs, all 6x8 (H x W); returns the folder and the PNG pixels."""
    rng = np.random.default_rng(0)
    cats = {}
    for i in range(5):
        pixels = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
        cats[f"c{i}.png"] = pixels
        _write(tmp_path / "cat", f"c{i}.png", pixels)
        _write(tmp_path / "dog", f"d{i}.jpg", np.full((6, 8, 3), 40 * i, np.uint8), fmt="JPEG")
    (tmp_path / "dog" / "notes.txt").write_text("not an image, ignored")
    return tmp_path, cats


def test_image_folder_classes_shapes_and_split(rgb_folder):
    folder, _ = rgb_folder
    train, test = load_dataset("image-folder", data_dir=folder)
    assert train.classes == ("cat", "dog") and train.name == "image-folder"
    assert train.x.shape == (8, 3, 6, 8) and test.x.shape == (2, 3, 6, 8)
    assert train.x.dtype == np.float32 and train.y.dtype == np.int64
    assert np.bincount(test.y).tolist() == [1, 1] and np.bincount(train.y).tolist() == [4, 4]
    again = load_dataset("image-folder", data_dir=folder)[1]
    np.testing.assert_array_equal(again.x, test.x)


def test_png_pixels_are_exact_and_jpeg_close(rgb_folder):
    folder, cats = rgb_folder
    x = load_image(folder / "cat" / "c3.png")
    np.testing.assert_array_equal(x * np.float32(255), cats["c3.png"].transpose(2, 0, 1))
    flat = load_image(folder / "dog" / "d2.jpg")
    np.testing.assert_allclose(flat, 80 / 255, atol=3 / 255)  # JPEG is lossy


def test_grayscale_and_resize(tmp_path):
    pixels = np.arange(48, dtype=np.uint8).reshape(6, 8) * 5
    for cls in ("a", "b"):
        for i in range(3):
            _write(tmp_path / cls, f"{i}.png", pixels)
    train, test = load_dataset("image-folder", data_dir=tmp_path, grayscale=True,
                               test_fraction=0.34)
    assert train.x.shape == (4, 1, 6, 8) and test.x.shape == (2, 1, 6, 8)
    np.testing.assert_array_equal(train.x[0, 0] * np.float32(255), pixels)
    small, _ = load_dataset("image-folder", data_dir=tmp_path, image_size=(3, 4), grayscale=True)
    assert small.input_shape == (1, 3, 4)


def test_train_and_test_subfolders_are_the_splits(tmp_path):
    for split, n in (("train", 3), ("test", 2)):
        for cls in ("x", "y"):
            for i in range(n):
                _write(tmp_path / split / cls, f"{i}.png", np.zeros((4, 4, 3), np.uint8))
    train, test = load_dataset("image-folder", data_dir=tmp_path)
    assert len(train) == 6 and len(test) == 4 and test.classes == ("x", "y")
    _write(tmp_path / "test" / "z", "0.png", np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match=r"test/ has classes that train/ lacks: \['z'\]"):
        load_dataset("image-folder", data_dir=tmp_path)


def test_mixed_sizes_need_image_size(tmp_path):
    _write(tmp_path / "a", "0.png", np.zeros((4, 4, 3), np.uint8))
    _write(tmp_path / "a", "1.png", np.zeros((5, 4, 3), np.uint8))
    with pytest.raises(ValueError, match=r"1.png is 5x4 but .*0.png is 4x4 \(H x W\); pass "
                                         r"image_size=\(H, W\)"):
        load_dataset("image-folder", data_dir=tmp_path)
    train, test = load_dataset("image-folder", data_dir=tmp_path, image_size=(4, 4),
                               test_fraction=0.5)
    assert train.input_shape == (3, 4, 4) and len(train) + len(test) == 2


@pytest.mark.parametrize("content", [b"this is not a png", None])
def test_bad_images_give_clear_errors(tmp_path, content):
    good = _write(tmp_path / "a", "0.png", np.zeros((16, 16, 3), np.uint8) + 7)
    bad = tmp_path / "a" / "1.png"
    # None: a real PNG cut in half (truncated download).
    bad.write_bytes(content if content is not None else good.read_bytes()[:60])
    with pytest.raises(ValueError, match="cannot read image " + re.escape(repr(str(bad)))):
        load_dataset("image-folder", data_dir=tmp_path)


def test_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path.resolve())) +
                       "' has no class subfolders; expected one subfolder per class"):
        load_dataset("image-folder", data_dir=tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="class folder .*empty' holds no .png/.jpg/.jpeg files"):
        load_dataset("image-folder", data_dir=tmp_path)
    with pytest.raises(ValueError, match="test_fraction must be strictly between 0 and 1; got 1.0"):
        load_dataset("image-folder", data_dir=tmp_path, test_fraction=1)
    with pytest.raises(TypeError, match="grayscale must be a bool; got str 'yes'"):
        load_dataset("image-folder", data_dir=tmp_path, grayscale="yes")
    with pytest.raises(ValueError, match=r"image_size must be positive; got \(0, 4\)"):
        load_dataset("image-folder", data_dir=tmp_path, image_size=(0, 4))


def test_without_pillow_says_what_to_install(tmp_path, monkeypatch):
    _write(tmp_path / "a", "0.png", np.zeros((4, 4, 3), np.uint8))
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="needs? Pillow: pip install pillow"):
        load_dataset("image-folder", data_dir=tmp_path)
