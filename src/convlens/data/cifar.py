"""``cifar10`` from the python-version tarball or its extracted folder, without trusting pickle.

The CIFAR-10 batches are Python 2 pickles of a dict ``{b"data": uint8 (10000, 3072),
b"labels": [...], b"batch_label": ..., b"filenames": [...]}``. ``pickle.load`` would run any
code a tampered file names, so :class:`RestrictedUnpickler` resolves only the three globals a
pickled uint8 ndarray needs and refuses every other one before it is called.
"""

from __future__ import annotations

import io
import os
import pickle
import tarfile
from pathlib import Path
from typing import Any

import numpy as np

from ._files import data_folder
from .dataset import ArrayDataset

FOLDER = "cifar-10-batches-py"
TARBALL = "cifar-10-python.tar.gz"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCHES = ("test_batch",)
META = "batches.meta"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
           "truck")
EXPECTED = (f"{TARBALL} or its extracted folder {FOLDER}/ (data_batch_1 ... data_batch_5, "
            "test_batch, batches.meta)")
_MAX_MEMBER_BYTES = 256 << 20  # a real batch is about 31 MB


class UnsafePickleError(pickle.UnpicklingError, ValueError):
    """A pickle asked for a global that a CIFAR-10 batch never needs."""


def _safe_dtype(*args: Any) -> np.dtype:
    dtype = np.dtype(*args)
    if dtype.hasobject:
        raise UnsafePickleError(f"refusing a pickled ndarray of Python objects (dtype {dtype})")
    return dtype


# The whole allowlist: how a NumPy array pickles. Python 2 era NumPy (which wrote the real
# batches) names the function numpy.core.multiarray._reconstruct; NumPy 2 names it
# numpy._core.multiarray._reconstruct. Both resolve to the same function, taken from
# ndarray.__reduce__ so that the deprecated numpy.core module is never imported.
_RECONSTRUCT = np.ndarray((0,), np.uint8).__reduce__()[0]
ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _safe_dtype,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals in :data:`ALLOWED_GLOBALS`.

    Every way a pickle can reach a callable (``GLOBAL``, ``STACK_GLOBAL``, ``INST``, ``OBJ``,
    the extension registry) goes through :meth:`find_class`, so refusing there means nothing
    outside the allowlist is ever called. Object-dtype arrays are refused too.

    Examples
    --------
    >>> import io, pickle
    >>> evil = pickle.dumps(eval)
    >>> RestrictedUnpickler(io.BytesIO(evil)).load()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    convlens.data.cifar.UnsafePickleError: refusing to load global 'builtins.eval' from pickle...
    """

    def __init__(self, file: io.BufferedIOBase, source: str = "pickle") -> None:
        # encoding="bytes" keeps Python 2 str (keys, the raw array data) as bytes, as the
        # CIFAR-10 page prescribes.
        super().__init__(file, encoding="bytes")
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        allowed = ALLOWED_GLOBALS.get((module, name))
        if allowed is None:
            raise UnsafePickleError(
                f"refusing to load global '{module}.{name}' from {self.source}: a CIFAR-10 batch "
                "only references numpy.core.multiarray._reconstruct, numpy.ndarray and "
                "numpy.dtype, so this is not a standard CIFAR-10 file")
        return allowed

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(f"refusing a persistent id in {self.source}")


def _read_batch(blob: bytes, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Unpickle one batch and check it: uint8 data (N, 3072) and N labels in 0..9."""
    batch = RestrictedUnpickler(io.BytesIO(blob), source).load()
    if not isinstance(batch, dict):
        raise ValueError(f"{source}: expected a pickled dict; got {type(batch).__name__}")
    data, labels = batch.get(b"data"), batch.get(b"labels")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
            or data.shape[1] != 3 * 32 * 32:
        got = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise ValueError(f"{source}: expected b'data' to be a uint8 array of shape (N, 3072); "
                         f"got {got}")
    labels = np.asarray(labels if labels is not None else [], dtype=np.int64)
    if labels.shape != (len(data),) or (len(labels) and not 0 <= labels.min() <= labels.max() < 10):
        raise ValueError(f"{source}: expected b'labels' to be {len(data)} ints in 0..9; "
                         f"got shape {labels.shape}")
    # Each row is 1024 red, then 1024 green, then 1024 blue values, each plane row-major.
    return data.reshape(-1, 3, 32, 32), labels


def _class_names(blob: bytes | None, source: str) -> tuple[str, ...]:
    if blob is None:
        return CLASSES
    meta = RestrictedUnpickler(io.BytesIO(blob), source).load()
    names = meta.get(b"label_names") if isinstance(meta, dict) else None
    if not isinstance(names, list) or len(names) != 10:
        raise ValueError(f"{source}: expected b'label_names' to be a list of 10 class names")
    return tuple(n.decode("utf-8") if isinstance(n, bytes) else str(n) for n in names)


def _folder_reader(folder: Path):
    def read(name: str, required: bool = True) -> bytes | None:
        path = folder / name
        if not path.is_file():
            if not required:
                return None
            raise FileNotFoundError(f"cifar10: expected {str(path.resolve())!r}; the folder must "
                                    f"hold {EXPECTED} (nothing is downloaded)")
        return path.read_bytes()
    return read, str(folder)


def _tar_reader(tar: tarfile.TarFile, tar_path: Path):
    # Members are read straight from the archive, never extracted, so member paths that
    # point outside the folder cannot write anywhere.
    def read(name: str, required: bool = True) -> bytes | None:
        try:
            member = tar.getmember(f"{FOLDER}/{name}")
        except KeyError:
            if not required:
                return None
            raise FileNotFoundError(f"cifar10: expected member '{FOLDER}/{name}' in "
                                    f"{str(tar_path.resolve())!r}") from None
        if not member.isfile() or member.size > _MAX_MEMBER_BYTES:
            raise ValueError(f"{tar_path}: member {member.name!r} is not a regular file of at "
                             f"most {_MAX_MEMBER_BYTES} bytes")
        return tar.extractfile(member).read()
    return read, str(tar_path)


def _load(read, where: str) -> tuple[ArrayDataset, ArrayDataset]:
    classes = _class_names(read(META, required=False), f"{where}/{META}")
    splits = []
    for names in (TRAIN_BATCHES, TEST_BATCHES):
        parts = [_read_batch(read(n), f"{where}/{n}") for n in names]
        pixels = np.concatenate([p[0] for p in parts])
        x = pixels.astype(np.float32) / np.float32(255.0)
        splits.append(ArrayDataset(x, np.concatenate([p[1] for p in parts]), classes, "cifar10"))
    return splits[0], splits[1]


def load_cifar10(data_dir: str | os.PathLike | None) -> tuple[ArrayDataset, ArrayDataset]:
    """Load CIFAR-10 from ``data_dir`` (the python-version files), refusing unsafe pickles.

    Parameters
    ----------
    data_dir : str or os.PathLike
        A folder holding ``cifar-10-batches-py/`` (the extracted archive), or
        ``cifar-10-python.tar.gz``, or the batch files themselves. The extracted folder wins
        when both are present.

    Returns
    -------
    train, test : ArrayDataset
        Images float32 of shape (50000, 3, 32, 32) and (10000, 3, 32, 32) in [0, 1], labels
        int64; class names from ``batches.meta`` (or the standard ten when it is absent).

    Raises
    ------
    FileNotFoundError
        If neither the folder nor the tarball (nor a batch inside them) is found.
    UnsafePickleError
        If a batch references anything other than NumPy's array reconstruction.
    ValueError
        If a batch does not hold uint8 data (N, 3072) with N labels in 0..9.
    """
    folder = data_folder(data_dir, "cifar10", EXPECTED)
    for candidate in (folder / FOLDER, folder):
        if candidate.is_dir() and (candidate.name == FOLDER
                                   or (candidate / TRAIN_BATCHES[0]).is_file()):
            return _load(*_folder_reader(candidate))
    tar_path = folder / TARBALL
    if not tar_path.is_file():
        raise FileNotFoundError(f"cifar10: expected {str(tar_path.resolve())!r} or the folder "
                                f"{str((folder / FOLDER).resolve())!r} (data_batch_1 ... "
                                "data_batch_5, test_batch); nothing is downloaded")
    with tarfile.open(tar_path, "r:gz") as tar:
        return _load(*_tar_reader(tar, tar_path))
