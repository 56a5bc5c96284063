"""``load_sample``: one model input from an image or ``.npy`` file, as ``convlens predict``
reads it (in-process or on a Dask worker).

MNIST-style digits are light on a dark background. With ``invert="auto"`` a one-channel image
whose border is mostly light (a dark digit on white paper) is inverted to match.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import _validate
from .image_folder import read_checked

INVERT_CHOICES = ("auto", "yes", "no")


def light_background(pixels: np.ndarray) -> bool:
    """True if the one-pixel border of a (1, H, W) image in [0, 1] is mostly light.

    "Mostly light" means the border's median (``np.median``: the mean of the two middle values
    for an even count) is above 0.5; a NaN on the border gives False. ``convlens predict`` asks
    this of every one-channel image, so it is answered cheaply with np.median's numbers: when
    fewer than about half the border values are above 0.5 the median cannot be (the usual dark
    border); otherwise the middle values come from one ``np.partition``.

    >>> light_background(np.ones((1, 4, 4), np.float32))
    True
    """
    image = pixels[0]
    border = np.concatenate([image[0], image[-1], image[1:-1, 0], image[1:-1, -1]])
    if 2 * np.count_nonzero(border > 0.5) < border.size - 1:
        return False    # both middle values (or the one) are <= 0.5, or NaN: not light
    half = border.size // 2
    if border.size == 0 or np.isnan(border).any():
        return False
    if border.size % 2:
        middle = np.partition(border, half)[half]
    else:  # np.median's mean of the two middle values, in the array's dtype
        low, high = np.partition(border, (half - 1, half))[half - 1:half + 1]
        middle = (low + high) / 2
    return bool(middle > 0.5)


@functools.lru_cache(maxsize=16)
def _image_size(typed_shape: tuple[tuple[type, object], ...]) -> tuple[int, int]:
    """(H, W) of a (C, H, W) input shape given as (type, value) pairs, checked once per shape:
    ``predict`` loads every file with the same one. The types are part of the key, so that
    ``28.0`` or ``True`` (equal to ``28`` and ``1`` as keys) are still refused."""
    return _validate.int_tuple(tuple(value for _, value in typed_shape[1:]), 2, "image_size")


def load_sample(path: str, shape: tuple[int, ...], invert: str = "no") -> tuple[np.ndarray, bool]:
    """One sample of ``shape`` from an image or .npy file, and whether it was inverted.

    Parameters
    ----------
    path : str
        A ``.npy`` file holding one sample of ``shape`` (or ``shape[1:]`` for one channel), or
        an image file that Pillow reads (converted to ``shape``'s channels and resized).
    shape : tuple of int
        The model's input shape per sample, (C, H, W) or (C, L).
    invert : {"auto", "yes", "no"}, default "no"
        Invert grey levels of images: always, never, or when the border is mostly light.

    Returns
    -------
    sample : ndarray of float32, shape ``shape``
        Images are scaled to [0, 1].
    inverted : bool

    Raises
    ------
    ValueError
        A ``.npy`` array of another shape, an image for a model without an image input, an
        unreadable image or an unknown ``invert``.
    """
    if invert not in INVERT_CHOICES:
        raise ValueError(f"invert must be one of {INVERT_CHOICES}; got {invert!r}")
    if path.lower().endswith(".npy"):
        sample = np.load(path, allow_pickle=False).astype(np.float32)
        if sample.shape == shape[1:] and shape[0] == 1:
            sample = sample[None]                      # a (H, W) or (L,) single-channel sample
        if sample.shape != shape:
            raise ValueError(f"{path!r} holds an array of shape {sample.shape}; the model "
                             f"expects {shape}")
        return sample, False
    if len(shape) != 3 or shape[0] not in (1, 3):
        raise ValueError(f"image files need a model with a (1 or 3, H, W) input; got {shape}")
    try:
        size = _image_size(tuple((type(value), value) for value in shape))
    except TypeError:               # an unhashable entry: the check itself says what is wrong
        size = _validate.int_tuple(tuple(shape[1:]), 2, "image_size")
    pixels = read_checked(path, size, bool(shape[0] == 1))
    flip = invert == "yes" or (invert == "auto" and shape[0] == 1 and light_background(pixels))
    return (1.0 - pixels if flip else pixels), flip
