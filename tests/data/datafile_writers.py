"""Write tiny dataset files in the real formats (IDX, CIFAR-10 python batches, image folders)."""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np

IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B,
             np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


def idx_bytes(array: np.ndarray, dims: tuple[int, ...] | None = None) -> bytes:
    """An IDX file: magic (0, 0, type code, ndim), big-endian uint32 dims, big-endian data.

    ``dims`` overrides the sizes written in the header (to make a lying header).
    """
    array = np.asarray(array)
    big = array.astype(array.dtype.newbyteorder(">")) if array.dtype.itemsize > 1 else array
    dims = array.shape if dims is None else dims
    header = struct.pack(">BBBB", 0, 0, IDX_CODES[big.dtype], len(dims))
    return header + struct.pack(f">{len(dims)}I", *dims) + big.tobytes()


def write_idx(path: Path, array: np.ndarray, gzipped: bool = True, **kw) -> Path:
    data = idx_bytes(array, **kw)
    path.write_bytes(gzip.compress(data) if gzipped else data)
    return path


def write_mnist_folder(folder: Path, rng: np.random.Generator, n_train: int = 12,
                       n_test: int = 5, gzipped: bool = True) -> dict[str, np.ndarray]:
    """The four standard MNIST files with random pixels; returns the arrays written."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, n_train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    names = {"train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
             "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}
    for key, base in names.items():
        write_idx(folder / (base + ".gz" if gzipped else base), arrays[key], gzipped=gzipped)
    return arrays


class Py2Pickler(pickle._Pickler):
    """Pickle as Python 2's cPickle did (protocol 2), which is how the CIFAR-10 batches were made.

    Python 2 ``str`` was a byte string written with the BINSTRING opcodes, so both ``bytes`` and
    ``str`` are written that way here, and NumPy then lived in ``numpy.core``, not
    ``numpy._core``. Loading needs ``encoding="bytes"``, as for the real files.
    """

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file):
        super().__init__(file, protocol=2)

    def save_py2_str(self, obj):
        data = obj.encode("latin-1") if isinstance(obj, str) else obj
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str
    dispatch[str] = save_py2_str

    def save_global(self, obj, name=None):
        name = name or obj.__qualname__
        module = obj.__module__.replace("numpy._core", "numpy.core")
        self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode("ascii"))
        self.memoize(obj)


def py2_pickle(obj) -> bytes:
    buffer = io.BytesIO()
    Py2Pickler(buffer).dump(obj)
    return buffer.getvalue()


def cifar_batch(data: np.ndarray, labels: list[int], label: str) -> bytes:
    """A CIFAR-10 batch: data uint8 (N, 3072), labels, batch_label and filenames."""
    return py2_pickle({
        "batch_label": label,
        "labels": list(labels),
        "data": data,
        "filenames": [f"img_{i:05d}.png" for i in range(len(labels))],
    })


CIFAR_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck"]


def cifar_files(rng: np.random.Generator, per_batch: int = 2,
                n_test: int = 3) -> tuple[dict[str, bytes], dict[str, np.ndarray]]:
    """The files of cifar-10-batches-py/ (5 train batches, test batch, meta) and the arrays."""
    files, train_x, train_y = {}, [], []
    for i in range(1, 6):
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, per_batch).tolist()
        files[f"data_batch_{i}"] = cifar_batch(data, labels, f"training batch {i} of 5")
        train_x.append(data)
        train_y += labels
    test_x = rng.integers(0, 256, (n_test, 3072), dtype=np.uint8)
    test_y = rng.integers(0, 10, n_test).tolist()
    files["test_batch"] = cifar_batch(test_x, test_y, "testing batch 1 of 1")
    files["batches.meta"] = py2_pickle({"label_names": CIFAR_NAMES, "num_cases_per_batch": 10000,
                                        "num_vis": 3072})
    arrays = {"train_x": np.concatenate(train_x), "train_y": np.array(train_y),
              "test_x": test_x, "test_y": np.array(test_y)}
    return files, arrays


def write_cifar_folder(root: Path, files: dict[str, bytes]) -> Path:
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    for name, blob in files.items():
        (folder / name).write_bytes(blob)
    return folder


def write_cifar_tarball(root: Path, files: dict[str, bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "cifar-10-python.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, blob in files.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return path


class RunsCode:
    """An object whose unpickling calls ``func(*args)``: the classic malicious pickle."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args
