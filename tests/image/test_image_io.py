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
