"""File helpers shared by the loaders: finding the expected files and writing caches safely."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .._atomic import atomic_write


def data_folder(data_dir: str | os.PathLike | None, dataset: str, expected: str) -> Path:
    """Return ``data_dir`` as a Path, or explain which folder and files a dataset needs."""
    if data_dir is None:
        raise ValueError(f"load_dataset({dataset!r}) reads local files and downloads nothing: "
                         f"pass data_dir=, a folder holding {expected}")
    if not isinstance(data_dir, str | os.PathLike):
        raise TypeError(f"data_dir must be a str or os.PathLike; got {type(data_dir).__name__}")
    folder = Path(data_dir).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"{dataset}: data_dir {str(folder.resolve())!r} is not a folder; "
                                f"expected a folder holding {expected}")
    return folder


def find_file(folder: Path, names: Sequence[str], dataset: str, expected: str) -> Path:
    """Return the first of ``folder/name`` that exists, or raise naming every path tried."""
    for name in names:
        path = folder / name
        if path.is_file():
            return path
    tried = " or ".join(repr(str((folder / n).resolve())) for n in names)
    raise FileNotFoundError(f"{dataset}: expected {tried}; the folder must hold {expected} "
                            "(nothing is downloaded)")


def atomic_savez(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write a compressed ``.npz`` so that readers never see a half-written file.

    The arrays go to a temporary file in the same folder, which then replaces ``path`` in one
    ``os.replace`` (atomic on POSIX and Windows when both sit on one file system).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:
        np.savez_compressed(f, **arrays)
