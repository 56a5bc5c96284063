"""The quick reader for small plain PNGs gives Pillow's pixels, or leaves the file to Pillow.

The files are encoded here, row filter by row filter, so that every PNG filter type (none,
sub, up, average, Paeth) is decoded with and without the compiled loop, and compared with
what Pillow decodes from the same bytes.
"""

import struct
import zlib

import numpy as np
import pytest

from convlens import image
from convlens.conv import compiled
from convlens.image import _png

Image = pytest.importorskip("PIL.Image")


def _chunk(kind: bytes, body: bytes, crc: int | None = None) -> bytes:
    crc = zlib.crc32(body, zlib.crc32(kind)) if crc is None else crc
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def _filtered(pixels: np.ndarray, kinds: list[int]) -> bytes:
    """The PNG scanlines of uint8 ``pixels`` (H, W) or (H, W, 3), row y filtered by kinds[y]."""
    rows = pixels.reshape(pixels.shape[0], -1).astype(np.int64)
    bpp = 1 if pixels.ndim == 2 else pixels.shape[2]
    out = bytearray()
    for y, kind in enumerate(kinds):
        line, above = rows[y], rows[y - 1] if y else np.zeros_like(rows[0])
        left = np.concatenate([np.zeros(bpp, np.int64), line[:-bpp]])
        corner = np.concatenate([np.zeros(bpp, np.int64), above[:-bpp]])
        if kind == 0:
            predicted = np.zeros_like(line)
        elif kind == 1:
            predicted = left
        elif kind == 2:
            predicted = above
        elif kind == 3:
            predicted = (left + above) // 2
        else:
            p = left + above - corner
            pa, pb, pc = np.abs(p - left), np.abs(p - above), np.abs(p - corner)
            predicted = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, above, corner))
        out += bytes([kind]) + ((line - predicted) % 256).astype(np.uint8).tobytes()
    return bytes(out)


def _png_bytes(pixels: np.ndarray, kinds: list[int], *, idat_parts: int = 1,
               extra: list[bytes] = (), colour: int | None = None, depth: int = 8,
               interlace: int = 0, stream: bytes | None = None) -> bytes:
    height, width = pixels.shape[:2]
    colour = (0 if pixels.ndim == 2 else 2) if colour is None else colour
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    data = zlib.compress(_filtered(pixels, kinds)) if stream is None else stream
    cuts = np.linspace(0, len(data), idat_parts + 1).astype(int)
    idats = b"".join(_chunk(b"IDAT", data[a:b]) for a, b in zip(cuts, cuts[1:]))
    return (_png.SIGNATURE + _chunk(b"IHDR", header) + b"".join(extra) + idats
            + _chunk(b"IEND", b""))


def _pillow(data: bytes, tmp_path) -> np.ndarray:
    path = tmp_path / "pillow.png"
    path.write_bytes(data)
    with Image.open(path) as picture:
        return np.asarray(picture)


@pytest.mark.parametrize("with_numba", [True, False])
@pytest.mark.parametrize("channels", [1, 3])
def test_every_filter_type_decodes_to_pillows_pixels(tmp_path, with_numba, channels):
    if with_numba:
        pytest.importorskip("numba")
    rng = np.random.default_rng(channels)
    shape = (12, 9) if channels == 1 else (12, 9, 3)
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    pixels[3:6] = 255                                   # runs that wrap modulo 256
    kinds = [4, 3, 1, 2, 2, 4, 4, 3, 0, 1, 3, 2]        # Paeth and average on the first row too
    data = _png_bytes(pixels, kinds, idat_parts=3)
    with compiled.enabled(with_numba):
        got = _png.read_small_png(data, None)
    assert got is not None and got.dtype == np.uint8
    np.testing.assert_array_equal(got, pixels)
    np.testing.assert_array_equal(got, _pillow(data, tmp_path))


@pytest.mark.parametrize("with_numba", [True, False])
@pytest.mark.parametrize("kind", [0, 1, 2, 3, 4])
def test_a_one_row_image_decodes_with_every_filter(tmp_path, with_numba, kind):
    if with_numba:
        pytest.importorskip("numba")
    pixels = np.arange(0, 250, 10, dtype=np.uint8)[None]
    data = _png_bytes(pixels, [kind])
    with compiled.enabled(with_numba):
        got = _png.read_small_png(data, None)
        np.testing.assert_array_equal(got, pixels)
        got[0, 0] = 1                                   # a fresh, writable array
        path = tmp_path / "row.png"
        Image.fromarray(pixels).save(path)              # Pillow's own choice for one row
        np.testing.assert_array_equal(image.read_image(path), pixels)


def test_read_image_takes_the_quick_path_and_keeps_its_float64_contract(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "digit.png")      # Pillow's own filter choices
    assert _png.read_small_png((tmp_path / "digit.png").read_bytes(), None) is not None
    got = image.read_image(tmp_path / "digit.png")
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, pixels)


def _cases(pixels: np.ndarray) -> dict[str, bytes]:
    kinds = [0] * pixels.shape[0]
    good = _png_bytes(pixels, kinds)
    stream = zlib.compress(_filtered(pixels, kinds))
    bad_crc = bytearray(good)
    bad_crc[29] ^= 1                                    # the IHDR's CRC
    return {
        "transparency": _png_bytes(pixels, kinds, extra=[_chunk(b"tRNS", b"\x00\x00")]),
        "unknown critical chunk": _png_bytes(pixels, kinds, extra=[_chunk(b"ZZZZ", b"")]),
        "bad IHDR CRC": bytes(bad_crc),
        "bad ancillary CRC": _png_bytes(pixels, kinds, extra=[_chunk(b"tEXt", b"a\x00b", 7)]),
        "interlaced": _png_bytes(pixels, kinds, interlace=1),
        "palette": _png_bytes(pixels, kinds, colour=3,
                              extra=[_chunk(b"PLTE", bytes(range(256)) * 3)]),
        "16-bit": _png_bytes(pixels, kinds, depth=16),
        "unknown filter type": _png_bytes(pixels, kinds, stream=zlib.compress(
            b"\x05" + _filtered(pixels, kinds)[1:])),
        "stream longer than the image": _png_bytes(pixels, kinds, stream=zlib.compress(
            _filtered(pixels, kinds) + bytes(1 << 16))),
        "stream shorter than the image": _png_bytes(pixels, kinds, stream=stream[:-8]),
        "truncated (no IEND)": good[:-12],
        "not a PNG": b"GIF89a" + good[6:],
        "short pHYs": _png_bytes(pixels, kinds, extra=[_chunk(b"pHYs", bytes(8))]),
        "short gAMA after the data": _png_bytes(pixels, kinds)[:-12] + _chunk(b"gAMA", b"\x01")
        + _chunk(b"IEND", b""),
        "colour profile": _png_bytes(pixels, kinds, extra=[_chunk(b"iCCP", b"p\x00\x01")]),
        "compressed text": _png_bytes(pixels, kinds, extra=[_chunk(b"zTXt", b"k\x00\x01x")]),
        "second IHDR": _png_bytes(pixels, kinds, extra=[_chunk(
            b"IHDR", struct.pack(">IIBBBBB", pixels.shape[1], 2, 8, 0, 0, 0, 0))]),
        "animation": _png_bytes(pixels, kinds, extra=[_chunk(b"acTL", struct.pack(">II", 2, 0))]),
        "suggested palette": _png_bytes(pixels, kinds, extra=[_chunk(b"PLTE", bytes(6))]),
        "too big for the quick path": _png_bytes(
            np.zeros((129, 128), np.uint8), [0] * 129),
    }


def test_chunks_pillow_only_records_are_passed_over(tmp_path):
    pixels = np.arange(20, dtype=np.uint8).reshape(4, 5) * 12
    kinds = [0, 1, 2, 4]
    extra = [_chunk(b"gAMA", struct.pack(">I", 45455)), _chunk(b"pHYs", bytes(9)),
             _chunk(b"sRGB", b"\x00"), _chunk(b"tEXt", b"Comment\x00digit"),
             _chunk(b"tIME", bytes(7)), _chunk(b"prVt", b"anything")]
    data = _png_bytes(pixels, kinds, extra=extra, idat_parts=2)
    got = _png.read_small_png(data, None)
    assert got is not None
    np.testing.assert_array_equal(got, _pillow(data, tmp_path))


def _outcome(path) -> tuple[str, object]:
    try:
        return "pixels", image.read_image(path).tobytes()
    except ValueError as error:
        return "error", str(error)


@pytest.mark.parametrize("case", list(_cases(np.zeros((4, 4), np.uint8))))
def test_anything_but_a_small_plain_png_is_left_to_pillow(tmp_path, monkeypatch, case):
    """The quick reader declines, and read_image's result (pixels or error) is the one it
    gives with the quick reader switched off."""
    pixels = np.arange(16, dtype=np.uint8).reshape(4, 4) * 9
    data = _cases(pixels)[case]
    assert _png.read_small_png(data, None) is None
    path = tmp_path / "case.png"
    path.write_bytes(data)
    with_quick = _outcome(path)
    monkeypatch.setattr(_png, "read_small_png", lambda data, max_pixels: None)
    assert with_quick == _outcome(path)


def test_the_pixel_budget_is_checked_before_inflating(tmp_path):
    pixels = np.zeros((20, 20), np.uint8)
    data = _png_bytes(pixels, [0] * 20)
    assert _png.read_small_png(data, max_pixels=399) is None
    path = tmp_path / "big.png"
    path.write_bytes(data)
    with pytest.raises(ValueError, match="more than max_pixels=399"):
        image.read_image(path, max_pixels=399)


def test_a_small_png_still_needs_pillow_installed(tmp_path, monkeypatch):
    import sys

    (tmp_path / "tiny.png").write_bytes(_png_bytes(np.zeros((2, 2), np.uint8), [0, 0]))
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="needs Pillow"):
        image.read_image(tmp_path / "tiny.png")
