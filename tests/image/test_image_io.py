"""Reading image files (8/16-bit, palette, alpha, broken) and writing 8-bit results."""

import numpy as np
import pytest

from convlens import image

Image = pytest.importorskip("PIL.Image")


def test_eight_bit_grey_and_rgb_come_in_unchanged(tmp_path):
    grey = np.array([[0, 17, 255], [128, 3, 99]], dtype=np.uint8)
    Image.fromarray(grey).save(tmp_path / "grey.png")
    got = image.read_image(tmp_path / "grey.png")
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, grey)
    rgb = np.arange(18, dtype=np.uint8).reshape(2, 3, 3) * 14
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    np.testing.assert_array_equal(image.read_image(tmp_path / "rgb.png"), rgb)


def test_sixteen_bit_is_scaled_not_clipped(tmp_path):
    values = np.array([[0, 1000, 30000, 65535]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / "deep.png")
    with Image.open(tmp_path / "deep.png") as saved:
        assert saved.mode == "I;16"
    got = image.read_image(tmp_path / "deep.png")
    np.testing.assert_allclose(got, values * (255 / 65535))
    assert 0 < got[0, 1] < 4 and got[0, 2] == pytest.approx(116.7315, abs=1e-4)


def test_palette_images_become_rgb(tmp_path):
    picture = Image.new("P", (3, 1))
    picture.putpalette([255, 0, 0, 0, 0, 255, 10, 200, 30] + [0, 0, 0] * 253)
    picture.putdata([0, 1, 2])
    picture.save(tmp_path / "palette.png")
    got = image.read_image(tmp_path / "palette.png")
    np.testing.assert_array_equal(got, [[[255, 0, 0], [0, 0, 255], [10, 200, 30]]])


def test_alpha_is_composited_on_black(tmp_path):
    Image.new("RGBA", (2, 1), (200, 100, 50, 51)).save(tmp_path / "rgba.png")
    np.testing.assert_allclose(image.read_image(tmp_path / "rgba.png"),
                               [[[40, 20, 10]] * 2])  # colour * 51 / 255
    Image.new("LA", (1, 2), (250, 255)).save(tmp_path / "la.png")
    np.testing.assert_allclose(image.read_image(tmp_path / "la.png"), [[250], [250]])
    transparent = Image.new("P", (2, 1))
    transparent.putpalette([255, 255, 255, 90, 60, 30] + [0, 0, 0] * 254)
    transparent.putdata([0, 1])
    transparent.save(tmp_path / "clear.png", transparency=0)  # palette entry 0 is transparent
    np.testing.assert_allclose(image.read_image(tmp_path / "clear.png"),
                               [[[0, 0, 0], [90, 60, 30]]])


def test_unreadable_files_are_rejected_naming_the_file(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ValueError, match=r"cannot read image '.*empty.png': the file is empty"):
        image.read_image(tmp_path / "empty.png")
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(ValueError, match=r"cannot read image '.*notes.png': cannot identify"):
        image.read_image(tmp_path / "notes.png")
    Image.new("L", (64, 64), 7).save(tmp_path / "whole.png")
    data = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cannot read image '.*cut.png'"):
        image.read_image(tmp_path / "cut.png")
    with pytest.raises(FileNotFoundError, match=r"no image file at '.*absent.png'"):
        image.read_image(tmp_path / "absent.png")


def test_unsupported_pixel_formats_and_animations_are_rejected(tmp_path):
    Image.new("F", (2, 2), 0.5).save(tmp_path / "float.tif")
    with pytest.raises(ValueError, match=r"'.*float.tif': pixel format 'F' is not supported"):
        image.read_image(tmp_path / "float.tif")
    Image.new("CMYK", (2, 2)).save(tmp_path / "print.jpg")
    with pytest.raises(ValueError, match="pixel format 'CMYK' is not supported"):
        image.read_image(tmp_path / "print.jpg")
    frames = [Image.new("L", (4, 4), v) for v in (0, 255)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    with pytest.raises(ValueError, match=r"'.*anim.gif': it holds 2 frames or pages"):
        image.read_image(tmp_path / "anim.gif")


def test_to_uint8_clips_or_normalises():
    np.testing.assert_array_equal(image.to_uint8([[-20.0, 0.4, 127.5, 254.6, 300.0]]),
                                  [[0, 0, 128, 255, 255]])
    np.testing.assert_array_equal(image.to_uint8([-4.0, 0.0, 4.0], "normalize"), [0, 128, 255])
    np.testing.assert_array_equal(image.to_uint8([3.0, 3.0], "normalize"), [0, 0])
    with pytest.raises(ValueError, match="pixels hold NaN or inf"):
        image.to_uint8([1.0, np.nan])
    with pytest.raises(ValueError, match="scaling must be one of 'clip', 'normalize'"):
        image.to_uint8([1.0], "stretch")


@pytest.mark.parametrize("name, rule", [
    ("sobel-x", "normalize"), ("sobel-y", "normalize"), ("prewitt-x", "normalize"),
    ("prewitt-y", "normalize"), ("laplacian", "normalize"), ("outline", "normalize"),
    ("box", "clip"), ("gaussian", "clip"), ("sharpen", "clip"), ("emboss", "clip"),
])
def test_range_rule_by_weight_sum(name, rule):
    assert image.range_rule(name) == rule


def test_write_image_round_trip_and_errors(tmp_path):
    pixels = np.array([[[10.2, 20.0, 30.0], [-5.0, 400.0, 128.0]]])
    image.write_image(tmp_path / "out.png", pixels)
    np.testing.assert_array_equal(image.read_image(tmp_path / "out.png"),
                                  [[[10, 20, 30], [0, 255, 128]]])
    image.write_image(tmp_path / "one.png", np.ones((2, 2, 1)) * 9)
    assert image.read_image(tmp_path / "one.png").shape == (2, 2)
    with pytest.raises(ValueError, match=r"pixels of shape \(H, W\), .* got \(2, 2, 2\)"):
        image.write_image(tmp_path / "two.png", np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match=r"cannot write image '.*out.xyz'"):
        image.write_image(tmp_path / "out.xyz", np.ones((2, 2)))


# -- decode-time reduction and the pixel budget -------------------------------------------
def _peak(call):
    import tracemalloc

    tracemalloc.start()
    try:
        result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_an_image_over_the_pixel_budget_is_refused_from_its_header(tmp_path):
    from convlens.data.image_folder import load_image

    side = 8200  # 67.2 Mpx, just over 2**26; the attack used 13000 x 13000
    Image.new("L", (side, side)).save(tmp_path / "huge.png")
    with pytest.raises(ValueError, match=r"huge.png': it is 8200x8200 \(67,240,000 pixels\), "
                                         r"more than max_pixels=67,108,864; shrink it first"):
        _peak(lambda: load_image(tmp_path / "huge.png", image_size=(28, 28), grayscale=True))
    with pytest.raises(ValueError, match="more than max_pixels=1,000"):
        image.read_image(tmp_path / "huge.png", max_pixels=1000)


def _gradient(height, width):
    rows, cols = np.mgrid[0:height, 0:width]
    return np.stack([rows * 255.0 / height, cols * 255.0 / width,
                     (rows + cols) * 127.0 / (height + width)], -1).astype(np.uint8)


def test_a_large_image_is_reduced_while_decoding_never_held_whole_as_floats(tmp_path):
    from convlens.data.image_folder import _resize, load_image

    pixels = _gradient(1500, 2000)  # 3 Mpx: 72 MB as float64 RGB
    Image.fromarray(pixels).save(tmp_path / "big.png")
    got, peak = _peak(lambda: load_image(tmp_path / "big.png", image_size=(28, 28)))
    assert got.shape == (3, 28, 28) and got.dtype == np.float32
    assert peak < 4 * 2**20  # no full-size float array (72 MB + 36 MB before)
    # Against resizing the whole image at full precision: box averages then bilinear.
    full = pixels.astype(np.float32).transpose(2, 0, 1) / 255
    expected = np.stack([_resize(plane, (28, 28)) for plane in full])
    np.testing.assert_allclose(got, expected, atol=0.02)


def test_reduce_to_keeps_at_least_twice_the_target(tmp_path):
    Image.fromarray(_gradient(1000, 1200)).save(tmp_path / "big.jpg", quality=95)
    Image.fromarray(_gradient(1000, 1200)).save(tmp_path / "big.png")
    for name in ("big.jpg", "big.png"):
        reduced = image.read_image(tmp_path / name, reduce_to=(28, 28))
        assert 56 <= reduced.shape[0] < 125 and 56 <= reduced.shape[1] < 150, reduced.shape
    assert image.read_image(tmp_path / "big.png", reduce_to=(600, 600)).shape == (1000, 1200, 3)


def test_reducing_alpha_and_sixteen_bit_images_keeps_their_rules(tmp_path):
    rgba = np.zeros((400, 400, 4), np.uint8)
    rgba[..., :3], rgba[:, :200, 3] = 200, 255  # left half opaque, right half transparent
    Image.fromarray(rgba).save(tmp_path / "alpha.png")
    reduced = image.read_image(tmp_path / "alpha.png", reduce_to=(10, 10))
    assert reduced.shape == (20, 20, 3)
    np.testing.assert_allclose(reduced[:, :10], 200, atol=1)
    np.testing.assert_array_equal(reduced[:, 10:], 0)
    deep = np.full((400, 400), 65535, np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    np.testing.assert_allclose(image.read_image(tmp_path / "deep.png", reduce_to=(10, 10)),
                               255.0)
