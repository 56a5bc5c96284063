"""``convlens filter`` in-process, through its own register() on a fresh parser."""

import argparse

import numpy as np
import pytest

from convlens import image
from convlens.commands import filter as filter_command

Image = pytest.importorskip("PIL.Image")


def run_filter(argv):
    parser = argparse.ArgumentParser()
    filter_command.register(parser.add_subparsers())
    args = parser.parse_args(["filter", *argv])
    return args.run(args)


def edge_image(value_left=40, value_right=200):
    pixels = np.full((12, 16), value_left, dtype=np.uint8)
    pixels[:, 8:] = value_right
    return pixels


@pytest.fixture
def folder(tmp_path):
    """Three tiny PNGs of one size: two grey vertical edges and a colour one."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    Image.fromarray(edge_image()).save(inputs / "a.png")
    Image.fromarray(edge_image(60, 140)).save(inputs / "b.png")
    Image.fromarray(np.stack([edge_image(), edge_image(90, 10), edge_image(0, 255)], -1)).save(
        inputs / "c.png")
    (inputs / "notes.txt").write_text("not an image, so not picked up from the folder")
    return inputs


def read_png(path):
    with Image.open(path) as picture:
        return np.asarray(picture)


def test_edge_kernel_output_is_normalised_to_the_full_range(folder, tmp_path, capsys):
    out = tmp_path / "out"
    assert run_filter([str(folder), "--kernel", "sobel-x", "--method", "fft",
                       "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png", "c.png"]
    for name in ("a.png", "b.png", "c.png"):
        pixels = read_png(out / name)
        assert pixels.dtype == np.uint8 and (pixels.min(), pixels.max()) == (0, 255)
    grey = read_png(out / "a.png")
    assert (grey[:, 7:9] == 255).all()  # the edge is brightest ...
    flat = np.delete(grey, [7, 8], axis=1)
    assert (flat == flat[0, 0]).all()  # ... and the flat parts share one level
    report = capsys.readouterr().out
    assert "filtered 3 of 3 images with sobel-x" in report
    assert "fft x3; kernel transformed 1 time)" in report  # one spectrum for three images


def test_blur_output_is_clipped_not_stretched(folder, tmp_path):
    out = tmp_path / "blurred"
    assert run_filter([str(folder / "b.png"), "--kernel", "box", "--size", "3",
                       "--out", str(out)]) == 0
    blurred = read_png(out / "b.png")
    expected = np.rint(image.filter(edge_image(60, 140).astype(float), image.box(3)))
    np.testing.assert_array_equal(blurred, expected)
    assert (blurred.min(), blurred.max()) == (60, 140)  # not stretched to 0..255


def test_sharpen_overshoot_is_clipped(folder, tmp_path):
    out = tmp_path / "sharp"
    assert run_filter([str(folder / "a.png"), "--kernel", "sharpen", "--out", str(out)]) == 0
    raw = image.filter(edge_image().astype(float), "sharpen")
    assert raw.min() < 0 and raw.max() > 255  # 40 - 160 and 200 + 160 at the edge
    np.testing.assert_array_equal(read_png(out / "a.png"), np.clip(np.rint(raw), 0, 255))


def test_kernel_file_and_literal(folder, tmp_path):
    kernel_file = tmp_path / "k.txt"
    kernel_file.write_text("-1 0 1\n")
    assert run_filter([str(folder / "a.png"), "--kernel-file", str(kernel_file),
                       "--range", "clip", "--out", str(tmp_path / "file")]) == 0
    assert run_filter([str(folder / "a.png"), "--kernel", "-1 0 1", "--range", "clip",
                       "--out", str(tmp_path / "literal")]) == 0
    from_file = read_png(tmp_path / "file" / "a.png")
    np.testing.assert_array_equal(from_file, read_png(tmp_path / "literal" / "a.png"))
    # True convolution flips [-1, 0, 1]: out[i] = in[i - 1] - in[i + 1], negative at a rising
    # edge, so clipping leaves it black everywhere.
    assert from_file.max() == 0


def test_bad_files_are_reported_and_skipped(folder, tmp_path, capsys):
    (folder / "broken.png").write_bytes(b"")
    out = tmp_path / "out"
    assert run_filter([str(folder), "--kernel", "laplacian", "--out", str(out)]) == 1
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png", "c.png"]
    captured = capsys.readouterr()
    assert "broken.png': the file is empty (0 bytes)" in captured.err
    assert "filtered 3 of 4 images" in captured.out


def test_setup_errors(folder, tmp_path):
    out = str(tmp_path / "out")
    with pytest.raises(FileNotFoundError, match=r"no image file or folder at '.*nowhere'"):
        run_filter([str(tmp_path / "nowhere"), "--kernel", "box", "--out", out])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"folder '.*empty' holds no image files"):
        run_filter([str(tmp_path / "empty"), "--kernel", "box", "--out", out])
    with pytest.raises(ValueError, match="--sigma and --size apply only to --kernel box or"):
        run_filter([str(folder), "--kernel", "1 2 1", "--sigma", "2", "--out", out])
    with pytest.raises(ValueError, match="'sobel-x' takes no parameters; got sigma, size"):
        run_filter([str(folder), "--kernel", "sobel-x", "--size", "5", "--sigma", "1",
                    "--out", out])
    with pytest.raises(ValueError, match="would both be written to"):
        run_filter([str(folder / "a.png"), str(folder / "a.png"), "--kernel", "box",
                    "--out", out])
    with pytest.raises(ValueError, match="would overwrite an input"):
        run_filter([str(folder / "a.png"), "--kernel", "box", "--out", str(folder)])
    with pytest.raises(SystemExit):  # argparse: exactly one kernel source is required
        run_filter([str(folder), "--out", out])
