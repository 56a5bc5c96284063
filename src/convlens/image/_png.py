"""A quick reader for small, plain PNG files; everything else goes to Pillow.

``convlens predict`` on a folder of digits spends most of its time in Pillow's per-file Python
(opening, plugin lookup, chunk parsing), not in decoding: a 28x28 PNG inflates in about 5 µs,
while opening and loading it through Pillow took about 70 µs (measured). For the common case
(8-bit grey or RGB, not interlaced, no transparency, at most :data:`SMALL_BYTES` bytes of
pixels) this module reads the file with :mod:`zlib` and undoes the PNG row filters itself.

It is strict: a signature, chunk layout or CRC that is not exactly right, any critical chunk
but IHDR, IDAT and IEND, an ancillary chunk that Pillow would act on (transparency, a colour
profile, compressed text, animation) or that is too short for Pillow, a compressed stream that
is short, long or unfinished, or an unknown filter type, and :func:`read_small_png` returns
``None``. The caller then opens the file
with Pillow, which decodes it or reports the problem. Inflating never produces more than the
image's own size (``max_length``), so a hostile file cannot make it allocate more.
Pixels are the same as Pillow's (tested on every filter type): Pillow applies no gamma or
colour profile when it loads, and neither does this.
"""

from __future__ import annotations

import zlib

import numpy as np

from ..conv import compiled

SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Bytes of pixels (height * width * channels) up to which the file is read here: 128x128 grey,
# 73x73 RGB. Above that Pillow's C decoder is the faster, and its per-file cost matters less.
SMALL_BYTES = 1 << 14
_CHANNELS = {0: 1, 2: 3}       # PNG colour type: 0 grey, 2 RGB
# Ancillary chunks that Pillow parses into transparency, a colour profile, text it inflates
# or animation frames (any of which can change the pixels or make Pillow refuse the file).
_LEFT_TO_PILLOW = (b"tRNS", b"iCCP", b"zTXt", b"iTXt", b"acTL", b"fcTL", b"fdAT")
# The shortest length Pillow accepts for the ancillary chunks it records (else "Truncated").
_SHORTEST = {b"gAMA": 4, b"cHRM": 32, b"sRGB": 1, b"pHYs": 9}


def read_small_png(data: bytes, max_pixels: int | None) -> np.ndarray | None:
    """The uint8 pixels, (H, W) or (H, W, 3), of a small plain PNG file's bytes, or ``None``
    for anything else (then Pillow reads it)."""
    header = _header(data)
    if header is None:
        return None
    width, height, channels = header
    if max_pixels is not None and width * height > max_pixels:
        return None
    stream = _idat(data)
    if stream is None:
        return None
    stride = width * channels
    expected = height * (stride + 1)
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(stream, expected)
    except zlib.error:
        return None
    if len(raw) != expected or not inflater.eof or inflater.unconsumed_tail:
        return None
    rows = np.frombuffer(raw, np.uint8).reshape(height, stride + 1)
    pixels = _unfilter(rows, channels)
    if pixels is None:
        return None
    shape = (height, width) if channels == 1 else (height, width, channels)
    return pixels.reshape(shape)


def _header(data: bytes) -> tuple[int, int, int] | None:
    """(width, height, channels) from a plain, small image's IHDR chunk, else None."""
    if len(data) < 8 + 25 or data[:8] != SIGNATURE or data[8:16] != b"\x00\x00\x00\rIHDR":
        return None
    body = data[16:29]
    if int.from_bytes(data[29:33], "big") != zlib.crc32(body, zlib.crc32(b"IHDR")):
        return None
    width, height = int.from_bytes(body[0:4], "big"), int.from_bytes(body[4:8], "big")
    depth, colour, compression, filtering, interlace = body[8:13]
    channels = _CHANNELS.get(colour)
    if (channels is None or depth != 8 or compression or filtering or interlace
            or not 0 < width * height * channels <= SMALL_BYTES):
        return None
    return width, height, channels


def _idat(data: bytes) -> bytes | None:
    """The joined IDAT chunks of a file whose chunks after IHDR are all well formed, CRCs
    right, the IDATs together, and every other chunk one that cannot change what Pillow
    decodes (:func:`_passed_over`); else None."""
    position, parts, ended_idat = 33, [], False
    while position + 12 <= len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        kind = data[position + 4:position + 8]
        end = position + 8 + length
        if end + 4 > len(data):
            return None
        body = data[position + 8:end]
        if int.from_bytes(data[end:end + 4], "big") != zlib.crc32(body, zlib.crc32(kind)):
            return None
        if kind == b"IEND":
            return b"".join(parts) if parts else None
        if kind == b"IDAT":
            if ended_idat:
                return None
            parts.append(body)
        elif not _passed_over(kind, length):
            return None
        else:
            ended_idat = bool(parts)
        position = end + 4
    return None                     # no IEND: truncated


def _passed_over(kind: bytes, length: int) -> bool:
    """Whether Pillow reads this chunk without effect on the pixels and without complaint:
    an ancillary chunk Pillow ignores or only records (with the length it needs), never a
    critical one (a second IHDR, PLTE, ...), transparency, a colour profile, compressed text
    or an animation chunk."""
    if not kind.isalpha() or kind[0] < 97 or kind in _LEFT_TO_PILLOW:
        return False
    return length >= _SHORTEST.get(kind, 0)


def _unfilter(rows: np.ndarray, channels: int) -> np.ndarray | None:
    """Undo each row's PNG filter (type in column 0), in place, top to bottom; None for an
    unknown filter type.

    "Sub" is a cumulative sum along the row per channel and "up" one addition of the row
    above (uint8 arithmetic wraps modulo 256, as PNG's does); "average" and "Paeth" rows go
    byte by byte. Digits are mostly "none" rows, which cost nothing.
    """
    kinds = rows[:, 0].tolist()
    if max(kinds) > 4:
        return None
    loops = compiled.optional("convlens.image._png_compiled")
    if loops is not None:
        out = np.empty((rows.shape[0], rows.shape[1] - 1), np.uint8)
        loops.unfilter(rows, channels, out)
        return out
    out = rows[:, 1:].copy()                        # rows may be a read-only buffer
    for y, kind in enumerate(kinds):
        if kind == 0:
            continue
        line = out[y]
        if kind == 1:
            pixels = line.reshape(-1, channels)
            np.cumsum(pixels, axis=0, dtype=np.uint8, out=pixels)
        elif kind == 2:
            if y:
                np.add(line, out[y - 1], out=line)
        else:
            above = out[y - 1].tobytes() if y else bytes(line.size)
            line[:] = np.frombuffer(_sequential_row(line.tobytes(), above, channels, kind),
                                    np.uint8)
    return out


def _sequential_row(line: bytes, above: bytes, channels: int, kind: int) -> bytes:
    """One "average" (3) or "Paeth" (4) row, undone byte by byte: each byte's predictor
    reads the decoded byte ``channels`` to its left (0 left of the first pixel)."""
    row = bytearray(line)
    for x in range(min(channels, len(row))):     # no left neighbour: both predict from above
        row[x] = (row[x] + (above[x] >> 1 if kind == 3 else above[x])) & 255
    for x in range(channels, len(row)):
        left, up = row[x - channels], above[x]
        if kind == 3:
            row[x] = (row[x] + ((left + up) >> 1)) & 255
            continue
        corner = above[x - channels]
        pa, pb = abs(up - corner), abs(left - corner)      # the spec's names: |p - a|, |p - b|
        pc = abs(left + up - 2 * corner)                   # |p - c|, p = a + b - c
        if pa <= pb and pa <= pc:
            predicted = left
        elif pb <= pc:
            predicted = up
        else:
            predicted = corner
        row[x] = (row[x] + predicted) & 255
    return bytes(row)
