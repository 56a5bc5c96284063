"""IDX files (the format of MNIST and Fashion-MNIST) and the ``mnist``/``fashion-mnist`` loaders.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
then one big-endian uint32 per dimension, then the values in row-major order, big-endian
(LeCun et al., https://yann.lecun.com/exdb/mnist/). The files are often gzipped.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ._files import data_folder, find_file
from .dataset import ArrayDataset

IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CHUNK = 1 << 20

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
CLASS_NAMES = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Ankle boot"),
}


def _open(path: Path) -> BinaryIO:
    """Open plain or gzipped files alike: the gzip magic bytes decide, not the file name."""
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def _read_exact(f: BinaryIO, n: int, path: Path, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise ValueError(f"{path}: truncated IDX file: expected {n} bytes of {what}, "
                         f"found {len(data)}")
    return data


def _read_payload(f: BinaryIO, nbytes: int, path: Path) -> bytearray:
    """Read exactly ``nbytes``, in chunks, so a lying header cannot force a huge allocation."""
    buffer = bytearray()
    while len(buffer) < nbytes:
        chunk = f.read(min(_CHUNK, nbytes - len(buffer)))
        if not chunk:
            raise ValueError(f"{path}: the IDX header declares {nbytes} bytes of data but the "
                             f"file holds only {len(buffer)}")
        buffer += chunk
    if f.read(1):
        raise ValueError(f"{path}: the file holds more data than its IDX header declares "
                         f"({nbytes} bytes)")
    return buffer


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzipped or not, into an ndarray in native byte order.

    Parameters
    ----------
    path : str or os.PathLike
        The file, such as ``train-images-idx3-ubyte.gz``.

    Returns
    -------
    ndarray
        Shape as the header declares, e.g. (60000, 28, 28) uint8 for MNIST's training images.

    Raises
    ------
    ValueError
        If the magic number or type code is invalid, or the data does not match the size the
        header declares (checked before the data is allocated).

    Examples
    --------
    >>> import os, struct, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny-idx1-ubyte")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(struct.pack(">BBBBI", 0, 0, 0x08, 1, 3) + bytes([7, 8, 9]))
    >>> read_idx(path).tolist()
    [7, 8, 9]
    """
    path = Path(path)
    with _open(path) as f:
        zero0, zero1, code, ndim = _read_exact(f, 4, path, "magic number")
        if zero0 != 0 or zero1 != 0:
            raise ValueError(f"{path}: not an IDX file: the magic number must start with two "
                             f"zero bytes; got {zero0:#04x} {zero1:#04x}")
        if code not in IDX_DTYPES:
            known = ", ".join(f"{c:#04x}" for c in IDX_DTYPES)
            raise ValueError(f"{path}: unknown IDX type code {code:#04x}; expected one of {known}")
        if ndim == 0:
            raise ValueError(f"{path}: the IDX header declares 0 dimensions")
        dims = struct.unpack(f">{ndim}I", _read_exact(f, 4 * ndim, path, "dimension sizes"))
        dtype = np.dtype(IDX_DTYPES[code])
        payload = _read_payload(f, math.prod(dims) * dtype.itemsize, path)
    return np.frombuffer(payload, dtype).reshape(dims).astype(dtype.newbyteorder("="))


def _read_split(folder: Path, split: str, dataset: str, expected: str) -> tuple:
    arrays = []
    for base in MNIST_FILES[split]:
        path = find_file(folder, (base + ".gz", base), dataset, expected)
        arrays.append((path, read_idx(path)))
    (image_path, images), (label_path, labels) = arrays
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"{image_path}: expected uint8 images of shape (N, H, W); got "
                         f"{images.dtype} of shape {images.shape}")
    if labels.dtype != np.uint8 or labels.shape != images.shape[:1]:
        raise ValueError(f"{label_path}: expected {len(images)} uint8 labels to match "
                         f"{image_path.name}; got {labels.dtype} of shape {labels.shape}")
    if len(labels) and labels.max() > 9:
        raise ValueError(f"{label_path}: labels must be 0..9; got {labels.max()}")
    return images, labels


def load_mnist_idx(data_dir: str | os.PathLike | None,
                   name: str = "mnist") -> tuple[ArrayDataset, ArrayDataset]:
    """Load MNIST or Fashion-MNIST from the four standard IDX files in ``data_dir``.

    Parameters
    ----------
    data_dir : str or os.PathLike
        Folder holding ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
        ``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz`` (or the same names
        without ``.gz``).
    name : {"mnist", "fashion-mnist"}
        Which class names to attach (the file format is the same).

    Returns
    -------
    train, test : ArrayDataset
        Images as float32 (N, 1, 28, 28) in [0, 1], labels int64.

    Raises
    ------
    FileNotFoundError
        If a file is missing; the message gives the full path expected.
    ValueError
        If a file is not a valid IDX file of images or labels.
    """
    expected = ", ".join(f"{b}.gz" for split in MNIST_FILES.values() for b in split)
    folder = data_folder(data_dir, name, expected)
    splits = []
    for split in ("train", "test"):
        images, labels = _read_split(folder, split, name, expected)
        x = (images.astype(np.float32) / np.float32(255.0))[:, None]
        splits.append(ArrayDataset(x, labels, CLASS_NAMES[name], name))
    return splits[0], splits[1]
