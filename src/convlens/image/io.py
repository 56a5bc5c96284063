"""Reading image files into float arrays and writing filter results as 8-bit images.

Pillow is an optional extra, imported only inside these functions. Every image comes in on
one scale, float64 in [0, 255] (8-bit units), whatever its bit depth; an image that cannot be
converted faithfully is rejected with a message that names the file.
"""

from __future__ import annotations

import os
import stat
import warnings

import numpy as np
from numpy.typing import ArrayLike

from .. import _validate
from . import _png
from .kernels import as_kernel

IMAGE_EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff",
                                     ".webp", ".ppm", ".pgm", ".pnm")
SCALINGS: tuple[str, ...] = ("clip", "normalize")

_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")
_ALPHA = {"LA": "L", "RGBA": "RGB"}  # composited on black
_PREMULTIPLIED = {"La": "L", "RGBa": "RGB"}  # colour already multiplied by alpha
_CONVERTIBLE = {"1": "L", "RGBX": "RGB", "YCbCr": "RGB", "PA": "RGBA"}  # exact conversions
MAX_PIXELS = 2**26  # default pixel budget of read_image: 64 Mpx, at most 256 MB as 8-bit RGBA
# Files up to this size are first offered to the quick reader for small plain PNGs (_png).
_QUICK_FILE_BYTES = 1 << 16


def _pillow():
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError("reading and writing image files needs Pillow: "
                          "pip install pillow") from error
    return Image


def read_image(path: str | os.PathLike, *, reduce_to: tuple[int, int] | None = None,
               max_pixels: int | None = MAX_PIXELS) -> np.ndarray:
    """Read an image file as float64 in [0, 255]: (H, W) grayscale or (H, W, 3) RGB.

    Parameters
    ----------
    path : str or path-like
        Any single-frame format Pillow reads (PNG, JPEG, BMP, TIFF, GIF, WebP, PNM, ...).
    reduce_to : (int, int), optional
        The (H, W) the caller will resize to. The image is then shrunk while it is decoded,
        keeping at least twice this size in each dimension: JPEG through Pillow's ``draft``
        (its decoder scales by 1/2, 1/4 or 1/8), every format through ``Image.reduce`` (box
        averages of whole pixels, on the 8- or 16-bit image, before any float array exists).
        By default the full size is returned.
    max_pixels : int or None, default 2**26
        Refuse an image with more pixels than this *after* ``draft`` (what will actually be
        decoded), checked from the header before any pixel is decoded. ``None`` leaves only
        Pillow's own decompression-bomb limit.

    Returns
    -------
    ndarray
        float64, (H, W) for grayscale files, (H, W, 3) for colour ones.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        An empty (0-byte) file, a file Pillow cannot decode (or a truncated one), an animation
        or multi-page file, an image over ``max_pixels``, or a pixel format that cannot be
        converted faithfully (32-bit integer or float, CMYK, LAB, HSV). The message names the
        file.
    ImportError
        Pillow is not installed.

    Notes
    -----
    - 8-bit grayscale ("L") and RGB come in unchanged; bilevel ("1") as 0 or 255.
    - 16-bit grayscale ("I;16") is scaled by ``255 / 65535``, keeping its fractional
      precision, so a 16-bit image is never clipped at 255. (Pillow itself reduces 16-bit
      RGB files to 8 bits per channel when it opens them.)
    - Palette images ("P") are expanded to RGB through their palette.
    - Alpha ("LA", "RGBA", a palette with transparency) is removed by compositing on black:
      ``colour * alpha / 255``, so fully transparent pixels become 0.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from convlens import image
    >>> path = os.path.join(tempfile.mkdtemp(), "ramp.png")
    >>> image.write_image(path, np.array([[0.0, 128.0, 255.0]]))
    >>> image.read_image(path).tolist()
    [[0.0, 128.0, 255.0]]
    """
    return np.asarray(read_pixels(path, reduce_to=reduce_to, max_pixels=max_pixels),
                      dtype=np.float64)


def read_pixels(path: str | os.PathLike, *, reduce_to: tuple[int, int] | None = None,
                max_pixels: int | None = MAX_PIXELS) -> np.ndarray:
    """:func:`read_image`'s pixels before the float64 conversion: uint8 for 8-bit grey and RGB
    files (possibly a read-only array), else float64 in [0, 255]. Small plain PNG files are
    read by :mod:`convlens.image._png` (the same pixels, without Pillow's per-file cost), all
    others by Pillow."""
    path = os.fspath(path)
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        info = None
    if info is None or not stat.S_ISREG(info.st_mode):
        raise FileNotFoundError(f"no image file at {path!r}")
    if info.st_size == 0:
        raise ValueError(f"cannot read image {path!r}: the file is empty (0 bytes)")
    Image = _pillow()   # Pillow is required either way; the quick path only saves its time
    if info.st_size <= _QUICK_FILE_BYTES:
        pixels = _small_png(path, reduce_to, max_pixels)
        if pixels is not None:
            return pixels
    try:
        with warnings.catch_warnings():
            if max_pixels is not None:  # our own budget is stricter than Pillow's warning
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(path)
        with opened:
            frames = getattr(opened, "n_frames", 1)
            if frames > 1:
                raise ValueError(f"cannot read image {path!r}: it holds {frames} frames or "
                                 f"pages; save the one you want as a single image")
            if reduce_to is not None and opened.format == "JPEG":
                opened.draft(None, (2 * reduce_to[1], 2 * reduce_to[0]))
            _check_pixels(opened.size, max_pixels, path)
            opened.load()
            if 0 in opened.size:
                raise ValueError(f"cannot read image {path!r}: it has zero size "
                                 f"{opened.size[0]}x{opened.size[1]}")
            return _pixels(opened, path, opened.format, reduce_to)
    except (OSError, SyntaxError, Image.DecompressionBombError) as error:
        # UnidentifiedImageError and "image file is truncated" are OSErrors.
        raise ValueError(f"cannot read image {path!r}: {error}") from None
    except ValueError as error:
        raise ValueError(str(error) if str(error).startswith("cannot read image") else
                         f"cannot read image {path!r}: {error}") from None


def _small_png(path: str, reduce_to: tuple[int, int] | None,
               max_pixels: int | None) -> np.ndarray | None:
    """A small plain PNG's uint8 pixels if no reduction applies to it, else None."""
    try:
        with open(path, "rb") as file:
            data = file.read(_QUICK_FILE_BYTES + 1)
    except OSError:
        return None                     # Pillow's open reports it
    pixels = _png.read_small_png(data, max_pixels)
    if pixels is None or _reduce_factor(pixels.shape[1], pixels.shape[0], reduce_to) >= 2:
        return None
    return pixels


def _check_pixels(size: tuple[int, int], max_pixels: int | None, path: str) -> None:
    """Refuse, from the header alone, an image whose decoded pixels would exceed the budget."""
    if max_pixels is not None and size[0] * size[1] > max_pixels:
        raise ValueError(f"cannot read image {path!r}: it is {size[0]}x{size[1]} "
                         f"({size[0] * size[1]:,} pixels), more than max_pixels="
                         f"{max_pixels:,}; shrink it first, or pass a larger max_pixels")


def _reduce_factor(width: int, height: int, reduce_to: tuple[int, int] | None) -> int:
    """The whole factor :func:`_reduce` shrinks a width x height image by (below 2: none)."""
    if reduce_to is None:
        return 1
    return min(width // (2 * reduce_to[1]), height // (2 * reduce_to[0]))


def _reduce(picture, reduce_to: tuple[int, int] | None):
    """Box-average ``picture`` by the largest whole factor that keeps 2x ``reduce_to``."""
    factor = _reduce_factor(*picture.size, reduce_to)
    if factor < 2:
        return picture
    if picture.mode in _ALPHA:  # average colour already weighted by alpha, then divide
        picture = picture.convert(picture.mode[:-1] + "a")
    if picture.mode in _SIXTEEN_BIT:
        picture = picture.convert("I")
    return picture.reduce(factor)


def _pixels(picture, path: str, file_format: str | None,
            reduce_to: tuple[int, int] | None = None) -> np.ndarray:
    """A decoded Pillow image, following read_image's rules: uint8 for 8-bit grey or RGB,
    float64 in [0, 255] for the formats converted on the way."""
    mode = picture.mode
    if mode in ("L", "RGB", "P") and "transparency" in picture.info:
        mode = "LA" if mode == "L" else "RGBA"  # a transparent colour key or palette entry
        picture = picture.convert(mode)
    elif mode == "P":
        picture, mode = picture.convert("RGB"), "RGB"
    if mode in _CONVERTIBLE:
        picture, mode = picture.convert(_CONVERTIBLE[mode]), _CONVERTIBLE[mode]
    # PNG has no 32-bit grey, so an "I" image from a PNG holds 16-bit samples.
    sixteen = mode in _SIXTEEN_BIT or (mode == "I" and file_format == "PNG")
    if mode in ("L", "RGB", *_ALPHA, *_PREMULTIPLIED) or sixteen:
        picture = _reduce(picture, reduce_to)
        mode = picture.mode
    if mode in ("L", "RGB"):
        return np.asarray(picture)      # uint8
    if sixteen:
        return np.asarray(picture).astype(np.float64) * (255.0 / 65535.0)
    if mode in _ALPHA or mode in _PREMULTIPLIED:
        target = _ALPHA.get(mode) or _PREMULTIPLIED[mode]
        values = np.asarray(picture, dtype=np.float64)
        colour, alpha = values[..., :-1], values[..., -1:]
        if mode in _ALPHA:
            colour = colour * (alpha / 255.0)
        return colour[..., 0] if target == "L" else colour
    raise ValueError(f"cannot read image {path!r}: pixel format {mode!r} is not supported "
                     f"(8-bit grey or RGB, 16-bit grey, palette and alpha images are); "
                     f"convert it to 8-bit RGB first")


def range_rule(kernel: str | ArrayLike) -> str:
    """How a filter's output is mapped to 8 bits: "normalize" for edge kernels, else "clip".

    A kernel whose weights sum to about 0 (``|sum| <= 1e-6 * sum(|w|)``: Sobel, Prewitt,
    Laplacian, outline) gives signed output centred on 0, so it is stretched to the full
    range. Any other kernel (blurs, sharpen, emboss: weights summing to 1) keeps the input's
    scale, so its output is clipped to [0, 255].

    Examples
    --------
    >>> from convlens import image
    >>> image.range_rule("sobel-x"), image.range_rule("gaussian")
    ('normalize', 'clip')
    """
    weights = as_kernel(kernel)
    return "normalize" if abs(weights.sum()) <= 1e-6 * np.abs(weights).sum() else "clip"


def to_uint8(pixels: ArrayLike, scaling: str = "clip") -> np.ndarray:
    """Map float pixels in 8-bit units to uint8, rounding to the nearest integer.

    Parameters
    ----------
    pixels : array_like
        Real numbers, any shape.
    scaling : {"clip", "normalize"}, default "clip"
        "clip": values below 0 become 0 and above 255 become 255. "normalize": the minimum
        maps to 0 and the maximum to 255, linearly, over all channels together (a constant
        array becomes all 0).

    Returns
    -------
    ndarray
        uint8, the shape of ``pixels``.

    Raises
    ------
    ValueError
        NaN or inf in ``pixels`` (they have no 8-bit value), or an unknown ``scaling``.

    Examples
    --------
    >>> from convlens import image
    >>> image.to_uint8([-10.0, 100.4, 300.0]).tolist()
    [0, 100, 255]
    >>> image.to_uint8([-1.0, 0.0, 1.0], scaling="normalize").tolist()
    [0, 128, 255]
    """
    _validate.one_of(scaling, SCALINGS, "scaling")
    values = np.asarray(pixels)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"pixels must hold real numbers; got an array of dtype {values.dtype}")
    values = values.astype(np.float64)
    if not np.isfinite(values).all():
        raise ValueError("pixels hold NaN or inf, which have no 8-bit value")
    if scaling == "normalize" and values.size:
        low, high = values.min(), values.max()
        values = (values - low) * (255.0 / (high - low)) if high > low else values * 0.0
    return np.rint(np.clip(values, 0.0, 255.0)).astype(np.uint8)


def write_image(path: str | os.PathLike, pixels: ArrayLike, scaling: str = "clip") -> None:
    """Write (H, W) or (H, W, 1) grey or (H, W, 3) RGB pixels as an 8-bit image file.

    Parameters
    ----------
    path : str or path-like
        The format follows the extension; PNG is lossless.
    pixels : array_like
        Values in 8-bit units, mapped by :func:`to_uint8` with ``scaling``.
    scaling : {"clip", "normalize"}, default "clip"
        See :func:`to_uint8`, and :func:`range_rule` for which one suits a kernel.

    Raises
    ------
    ValueError
        Pixels of another shape, NaN or inf, or an extension Pillow cannot write.
    """
    values = to_uint8(pixels, scaling)
    if values.ndim == 3 and values.shape[2] == 1:
        values = values[:, :, 0]
    if not (values.ndim == 2 or (values.ndim == 3 and values.shape[2] == 3)) or 0 in values.shape:
        raise ValueError(f"write_image expects pixels of shape (H, W), (H, W, 1) or (H, W, 3); "
                         f"got {values.shape}")
    Image = _pillow()
    try:
        Image.fromarray(values).save(os.fspath(path))
    except (KeyError, ValueError) as error:  # Pillow: unknown extension
        raise ValueError(f"cannot write image {os.fspath(path)!r}: {error}") from None
