"""``image-folder``: one subfolder per class of PNG/JPEG files, read through Pillow (an extra)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import _validate
from ..image.io import read_pixels
from . import _checks
from ._files import data_folder
from .dataset import ArrayDataset
from .split import check_split_args, stratified_split

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
EXPECTED = "one subfolder per class of .png/.jpg/.jpeg files (or train/ and test/ folders " \
           "laid out that way)"


def _pillow_image() -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("the image-folder dataset and load_image need Pillow: "
                          "pip install pillow") from None
    return Image


def load_image(path: str | os.PathLike, image_size: Sequence[int] | None = None,
               grayscale: bool = False) -> np.ndarray:
    """Read one image file into a float32 (C, H, W) array in [0, 1].

    Decoding follows :func:`convlens.image.read_image`: 16-bit grey is scaled, not clipped;
    palette images go through their palette; alpha is composited on black.

    Parameters
    ----------
    path : str or os.PathLike
        The image file (PNG, JPEG, or any single-frame format Pillow reads).
    image_size : (int, int), optional
        Resize to this (H, W) with bilinear interpolation. By default the size is kept. A
        much larger image is first shrunk while it is decoded (JPEG ``draft``, then whole-pixel
        box averages down to no less than twice ``image_size``; see
        :func:`convlens.image.read_image`), so no full-size float array is ever made.
    grayscale : bool, default False
        One channel (ITU-R 601 luma of colour files, as Pillow's ``"L"``) instead of three
        (grey files repeated).

    Returns
    -------
    ndarray of float32, shape (1 or 3, H, W)

    Raises
    ------
    ImportError
        If Pillow is not installed.
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not a readable image, or has more than
        :data:`convlens.image.io.MAX_PIXELS` pixels to decode (checked from its header).
    """
    size = None if image_size is None else _validate.int_tuple(image_size, 2, "image_size")
    return read_checked(path, size, _checks.boolean(grayscale, "grayscale"))


def read_checked(path: str | os.PathLike, size: tuple[int, int] | None,
                 gray: bool) -> np.ndarray:
    """:func:`load_image` with its arguments already checked: ``size`` a tuple of two positive
    ints or None, ``gray`` a bool (``convlens predict`` checks them once, not per file)."""
    pixels = read_pixels(path, reduce_to=size)  # (H, W) or (H, W, 3), uint8 or float64, reduced
    pixels = pixels.astype(np.float32) / np.float32(255.0)
    if pixels.ndim == 3 and gray:
        pixels = pixels @ np.array([0.299, 0.587, 0.114], np.float32)
    elif pixels.ndim == 2 and not gray:
        pixels = np.repeat(pixels[..., None], 3, axis=-1)
    channels = pixels[None] if gray else pixels.transpose(2, 0, 1)
    if size is not None and channels.shape[1:] != size:
        channels = np.stack([_resize(plane, size) for plane in channels])
    return np.ascontiguousarray(channels, dtype=np.float32)


def _resize(plane: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of one float plane to (H, W), through Pillow's 32-bit float mode."""
    Image = _pillow_image()
    picture = Image.fromarray(plane.astype(np.float32), mode="F")
    return np.asarray(picture.resize((size[1], size[0]), Image.Resampling.BILINEAR))


def _scan(root: Path) -> dict[str, list[Path]]:
    """Map each class folder under ``root`` (sorted, hidden ones skipped) to its image files."""
    classes = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(p for p in folder.iterdir()
                       if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))
        if not files:
            raise ValueError(f"image-folder: class folder {str(folder)!r} holds no "
                             f"{'/'.join(IMAGE_SUFFIXES)} files")
        classes[folder.name] = files
    if not classes:
        raise FileNotFoundError(f"image-folder: {str(root.resolve())!r} has no class "
                                f"subfolders; expected {EXPECTED}")
    return classes


def _read(files: dict[str, list[Path]], classes: tuple[str, ...],
          image_size: tuple[int, int] | None, grayscale: bool) -> tuple[np.ndarray, np.ndarray]:
    images, labels, first = [], [], None
    for label, name in enumerate(classes):
        for path in files.get(name, []):
            image = load_image(path, image_size, grayscale)
            if first is None:
                first = (path, image.shape)
            elif image.shape != first[1]:
                raise ValueError(f"image-folder: {path} is {image.shape[1]}x{image.shape[2]} but "
                                 f"{first[0]} is {first[1][1]}x{first[1][2]} (H x W); pass "
                                 "image_size=(H, W) to resize them all")
            images.append(image)
            labels.append(label)
    return np.stack(images), np.asarray(labels, dtype=np.int64)


def load_image_folder(data_dir: str | os.PathLike | None,
                      image_size: Sequence[int] | None = None, grayscale: bool = False,
                      test_fraction: float = 0.2,
                      seed: int = 0) -> tuple[ArrayDataset, ArrayDataset]:
    """Load labelled images from ``data_dir/<class>/*.png|jpg|jpeg``.

    Parameters
    ----------
    data_dir : str or os.PathLike
        Folder with one subfolder per class (class names are the sorted folder names). If it
        holds ``train/`` and ``test/`` folders, each laid out that way, they are the splits.
    image_size : (int, int), optional
        Resize every image to (H, W). Without it, all images must already share one size.
    grayscale : bool, default False
        One channel instead of three.
    test_fraction : float, default 0.2
        Share of each class held out for the test split (ignored with ``train/``/``test/``).
    seed : int, default 0
        Seed of the stratified split.

    Returns
    -------
    train, test : ArrayDataset
        Images float32 (N, 1 or 3, H, W) in [0, 1], labels int64.

    Raises
    ------
    FileNotFoundError
        If ``data_dir`` has no class subfolders.
    ValueError
        If a class folder is empty, an image cannot be read, sizes differ without
        ``image_size``, or ``test/`` has a class that ``train/`` lacks.
    """
    size = None if image_size is None else _validate.int_tuple(image_size, 2, "image_size")
    gray = _checks.boolean(grayscale, "grayscale")
    test_fraction, seed = check_split_args(test_fraction, seed)
    folder = data_folder(data_dir, "image-folder", EXPECTED)
    if (folder / "train").is_dir() and (folder / "test").is_dir():
        train_files, test_files = _scan(folder / "train"), _scan(folder / "test")
        classes = tuple(train_files)
        extra = sorted(set(test_files) - set(train_files))
        if extra:
            raise ValueError(f"image-folder: test/ has classes that train/ lacks: {extra}")
        parts = [_read(f, classes, size, gray) for f in (train_files, test_files)]
        return tuple(ArrayDataset(x, y, classes, "image-folder") for x, y in parts)
    files = _scan(folder)
    classes = tuple(files)
    x, y = _read(files, classes, size, gray)
    train_index, test_index = stratified_split(y, test_fraction, seed)
    return (ArrayDataset(x[train_index], y[train_index], classes, "image-folder"),
            ArrayDataset(x[test_index], y[test_index], classes, "image-folder"))
