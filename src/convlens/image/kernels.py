"""The named image-kernel library, and kernels of your own from a file or a literal string.

Every kernel is a 2-D float64 ndarray meant for *true* convolution (:func:`convlens.image.filter`
flips it), with rows along the image's y axis (downwards) and columns along x (rightwards).
The derivative kernels are written the way they are usually printed for convolution, so that
``sobel_x`` responds positively where brightness increases to the right.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from .. import _validate

KERNELS: tuple[str, ...] = (
    "box", "gaussian", "sharpen", "sobel-x", "sobel-y", "prewitt-x", "prewitt-y",
    "laplacian", "emboss", "outline",
)


def box(size: int = 3) -> np.ndarray:
    """Box blur: a ``size`` x ``size`` square of equal weights ``1 / size**2``.

    Parameters
    ----------
    size : int, default 3
        Side of the square, >= 1 (even sizes are allowed).

    Returns
    -------
    ndarray
        (size, size), float64, summing to 1.

    Examples
    --------
    >>> from convlens import image
    >>> image.box(2).tolist()
    [[0.25, 0.25], [0.25, 0.25]]
    """
    size = _validate.positive_int(size, "size")
    return np.full((size, size), 1.0 / size**2)


def gaussian(sigma: float = 1.0, size: int | None = None) -> np.ndarray:
    """Gaussian blur: ``g[i, j] = exp(-(y_i**2 + x_j**2) / (2 sigma**2))``, normalised to sum 1.

    ``y_i = i - (size - 1) / 2`` and ``x_j = j - (size - 1) / 2`` are the offsets from the
    centre pixel, so the kernel is the sampled (not integrated) Gaussian.

    Parameters
    ----------
    sigma : float, default 1.0
        Standard deviation in pixels, > 0.
    size : int, optional
        Odd side length; default ``2 * ceil(3 * sigma) + 1``, which keeps the weights out to
        three standard deviations.

    Returns
    -------
    ndarray
        (size, size), float64, summing to 1.

    Raises
    ------
    ValueError
        ``sigma <= 0``, or an even or non-positive ``size``.

    Examples
    --------
    >>> from convlens import image
    >>> image.gaussian(1.0).shape
    (7, 7)
    >>> round(float(image.gaussian(0.5, size=3)[1, 1]), 4)
    0.6193
    """
    sigma = _validate.real_number(sigma, "sigma", low=0.0)
    if sigma == 0.0:
        raise ValueError("sigma must be > 0; got 0.0")
    if size is None:
        size = 2 * math.ceil(3.0 * sigma) + 1
    size = _validate.positive_int(size, "size")
    if size % 2 == 0:
        raise ValueError(f"size must be odd, so that the Gaussian is centred on a pixel; "
                         f"got {size}")
    offsets = np.arange(size) - (size - 1) / 2.0
    profile = np.exp(-(offsets**2) / (2.0 * sigma**2))
    weights = np.outer(profile, profile)  # exp(-(y^2 + x^2) / 2 s^2) factorises
    return weights / weights.sum()


def sharpen() -> np.ndarray:
    """Sharpen: ``[[0, -1, 0], [-1, 5, -1], [0, -1, 0]]``, the identity minus the 4-neighbour
    Laplacian; it sums to 1, so flat regions keep their value."""
    return np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]])


def sobel_x() -> np.ndarray:
    """Sobel x: ``[[1, 0, -1], [2, 0, -2], [1, 0, -1]]``, a horizontal central difference
    smoothed ``[1, 2, 1]`` vertically; positive where brightness increases to the right."""
    return np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])


def sobel_y() -> np.ndarray:
    """Sobel y: ``[[1, 2, 1], [0, 0, 0], [-1, -2, -1]]``, the transpose of :func:`sobel_x`;
    positive where brightness increases downwards (with the row index)."""
    return sobel_x().T.copy()


def prewitt_x() -> np.ndarray:
    """Prewitt x: ``[[1, 0, -1], [1, 0, -1], [1, 0, -1]]``, a horizontal central difference
    averaged over three rows; positive where brightness increases to the right."""
    return np.array([[1.0, 0.0, -1.0]] * 3)


def prewitt_y() -> np.ndarray:
    """Prewitt y: ``[[1, 1, 1], [0, 0, 0], [-1, -1, -1]]``, the transpose of
    :func:`prewitt_x`; positive where brightness increases downwards."""
    return prewitt_x().T.copy()


def laplacian() -> np.ndarray:
    """Laplacian: ``[[0, 1, 0], [1, -4, 1], [0, 1, 0]]``, the 4-neighbour discrete
    ``d2/dx2 + d2/dy2``; it sums to 0."""
    return np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def emboss() -> np.ndarray:
    """Emboss: ``[[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]``, a diagonal derivative plus the
    identity, so edges look raised; it sums to 1."""
    return np.array([[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])


def outline() -> np.ndarray:
    """Outline (ridge): ``[[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]``, the 8-neighbour
    Laplacian with its sign flipped; it sums to 0, so only edges and ridges remain."""
    return np.array([[-1.0, -1.0, -1.0], [-1.0, 8.0, -1.0], [-1.0, -1.0, -1.0]])


_LIBRARY: dict[str, Callable[..., np.ndarray]] = {
    "box": box, "gaussian": gaussian, "sharpen": sharpen, "sobel-x": sobel_x,
    "sobel-y": sobel_y, "prewitt-x": prewitt_x, "prewitt-y": prewitt_y,
    "laplacian": laplacian, "emboss": emboss, "outline": outline,
}
_PARAMETERS = {"box": ("size",), "gaussian": ("sigma", "size")}


def kernel(name: str, **params: object) -> np.ndarray:
    """A kernel from the library by name, e.g. ``kernel("gaussian", sigma=2.0)``.

    Parameters
    ----------
    name : str
        One of :data:`KERNELS`: "box", "gaussian", "sharpen", "sobel-x", "sobel-y",
        "prewitt-x", "prewitt-y", "laplacian", "emboss", "outline". "ridge" is accepted for
        "outline", and underscores for hyphens.
    **params
        ``size`` for "box"; ``sigma`` and ``size`` for "gaussian"; none for the others.

    Returns
    -------
    ndarray
        2-D float64; see each kernel's own function for its definition.

    Raises
    ------
    ValueError
        An unknown name, or a parameter the kernel does not take.

    Examples
    --------
    >>> from convlens import image
    >>> image.kernel("sobel-x").tolist()
    [[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]
    """
    key = _canonical_name(name)
    if key is None:
        raise ValueError(f"name must be one of {', '.join(map(repr, KERNELS))}; got {name!r}")
    allowed = _PARAMETERS.get(key, ())
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        takes = f"takes only {', '.join(allowed)}" if allowed else "takes no parameters"
        raise ValueError(f"kernel {key!r} {takes}; got {', '.join(unknown)}")
    return _LIBRARY[key](**params)


def _canonical_name(name: object) -> str | None:
    """The library key for ``name`` ("Sobel_X" -> "sobel-x"), or None if it is not one."""
    if not isinstance(name, str):
        return None
    key = name.strip().lower().replace("_", "-")
    key = "outline" if key == "ridge" else key
    return key if key in _LIBRARY else None


def parse_kernel(text: str, source: str = "kernel literal") -> np.ndarray:
    """Read a kernel written as rows of numbers, e.g. ``"1 0 -1; 2 0 -2; 1 0 -1"``.

    Rows are separated by newlines or ``;``, numbers within a row by spaces, tabs and/or
    commas. A number may be written as a fraction (``1/16``). ``#`` starts a comment that runs
    to the end of the line. Odd and even sizes are both allowed.

    Parameters
    ----------
    text : str
        The kernel.
    source : str, default "kernel literal"
        What to call the text in error messages (a file name, say).

    Returns
    -------
    ndarray
        (rows, columns), float64.

    Raises
    ------
    ValueError
        No numbers at all, rows of different lengths, or an entry that is not a finite number.

    Examples
    --------
    >>> from convlens import image
    >>> image.parse_kernel("1 0 -1; 2 0 -2; 1 0 -1").shape
    (3, 3)
    >>> image.parse_kernel("1/4, 1/4\\n1/4, 1/4").tolist()
    [[0.25, 0.25], [0.25, 0.25]]
    """
    if not isinstance(text, str):
        raise TypeError(f"{source} must be a str; got {type(text).__name__}")
    lines = (line.split("#", 1)[0] for line in text.splitlines())
    rows = [row for line in lines for row in line.split(";") if row.strip()]
    if not rows:
        raise ValueError(f"{source} holds no numbers; write rows like '1 0 -1; 2 0 -2; 1 0 -1'")
    values = [[_number(token, source, r) for token in re.split(r"[,\s]+", row.strip()) if token]
              for r, row in enumerate(rows, start=1)]
    for r, row in enumerate(values, start=1):
        if len(row) != len(values[0]):
            raise ValueError(f"{source} is not rectangular: row {r} has {len(row)} numbers but "
                             f"row 1 has {len(values[0])}")
    return np.array(values, dtype=np.float64)


def _number(token: str, source: str, row: int) -> float:
    """One entry of a kernel: a float or a fraction ``a/b``, which must be finite."""
    try:
        if "/" in token:
            numerator, denominator = token.split("/")
            value = float(numerator) / float(denominator)
        else:
            value = float(token)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"{source}, row {row}: {token!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{source}, row {row}: {token!r} is not a finite number")
    return value


def load_kernel(path: str | os.PathLike) -> np.ndarray:
    """Read a kernel from a text file in the format of :func:`parse_kernel`.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        The file is not UTF-8 text, or :func:`parse_kernel` rejects its contents (the message
        names the file).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no kernel file at {path!r}")
    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except UnicodeDecodeError:
        raise ValueError(f"kernel file {path!r} is not UTF-8 text") from None
    return parse_kernel(text, source=f"kernel file {path!r}")


def as_kernel(value: str | ArrayLike, name: str = "kernel") -> np.ndarray:
    """A validated 2-D float64 kernel from a library name, a literal string or an array.

    Strings are looked up in :data:`KERNELS` first (with default parameters), then parsed by
    :func:`parse_kernel`. Arrays must be 2-D, non-empty, real and finite.

    Raises
    ------
    TypeError
        An array of a non-real dtype, or something that is neither a string nor an array.
    ValueError
        An unknown name that is not a literal either, or an array that is not 2-D, is empty
        or holds NaN or inf.
    """
    if isinstance(value, str):
        key = _canonical_name(value)
        if key is not None:
            return kernel(key)
        if not re.search(r"\d", value):
            raise ValueError(f"{name} must be one of {', '.join(map(repr, KERNELS))} or a "
                             f"literal like '1 0 -1; 2 0 -2; 1 0 -1'; got {value!r}")
        return parse_kernel(value)
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:  # ragged nested lists
        raise TypeError(f"{name} must be a 2-D array of numbers; got {type(value).__name__} "
                        f"that NumPy cannot turn into one") from err
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers; got an array of dtype {array.dtype}")
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 2-D (kH, kW) array; got shape "
                         f"{array.shape}")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise ValueError(f"{name} must hold finite numbers; got {array[bad]} at index {bad}")
    return array
