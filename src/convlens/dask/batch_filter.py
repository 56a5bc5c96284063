"""``filter``: ``convlens.image.filter`` over a dask array of images, or over many image files."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..image import filtering, io
from ..image.kernels import as_kernel
from ._imports import require

_FILE_ERRORS = (OSError, ValueError, TypeError)
# One Filter per (kernel, mode, cval, method) per worker process: its spectrum cache then
# transforms the kernel once per image size, however many blocks the worker runs.
_FILTERS: dict[tuple, filtering.Filter] = {}
_LOCK = threading.Lock()


def worker_filter(kernel: np.ndarray, mode: str, cval: float, method: str) -> filtering.Filter:
    """The process-wide :class:`~convlens.image.Filter` for these settings."""
    key = (hashlib.sha256(kernel.tobytes()).hexdigest(), kernel.shape, mode, cval, method)
    with _LOCK:
        if key not in _FILTERS:
            _FILTERS[key] = filtering.Filter(kernel, mode=mode, cval=cval, method=method)
        return _FILTERS[key]


def filter(images: Any, kernel: str | ArrayLike, mode: str = "reflect",  # noqa: A001
           cval: float = 0.0, method: str = "auto", *, out_dir: str | os.PathLike | None = None,
           scaling: str = "auto", batch_size: int = 64) -> Any:
    """Convolve many images with one kernel, block by block on a Dask cluster.

    Each image gives exactly ``convlens.image.filter(image, kernel, mode, cval, method)``.

    Parameters
    ----------
    images : dask.array.Array or sequence of str
        A stack of images, (N, H, W) or (N, H, W, C), or the paths of image files.
    kernel, mode, cval, method
        As in :func:`convlens.image.filter`. The kernel is validated here, once.
    out_dir : str or PathLike
        For files: the folder that receives ``<stem>.png`` per input (required for files).
    scaling : {"auto", "clip", "normalize"}, default "auto"
        For files: how results map to 8-bit, as ``convlens filter --range``.
    batch_size : int, default 64
        Files per task.

    Returns
    -------
    dask.array.Array or dask.dataframe.DataFrame
        For an array: the filtered stack, same shape, float32 for float32 input and float64
        otherwise. For files: one row per file with ``path``, ``output``, ``method`` and
        ``error`` (empty unless that file failed; the others go on).
    """
    weights = as_kernel(kernel)
    filtering.Filter(weights, mode=mode, cval=cval, method=method)  # validate once, here
    da = require("dask.array")
    if isinstance(images, da.Array):
        return _filter_array(images, weights, mode, cval, method)
    if isinstance(images, (str, bytes)) or not isinstance(images, Sequence):
        raise TypeError(f"images must be a dask array (N, H, W[, C]) or a list of file paths; "
                        f"got {type(images).__name__}")
    if out_dir is None:
        raise ValueError("out_dir is required when filtering image files")
    rule = io.range_rule(weights) if scaling == "auto" else scaling
    if rule not in io.SCALINGS:
        raise ValueError(f"scaling must be 'auto' or one of {io.SCALINGS}; got {scaling!r}")
    return _filter_files([os.fspath(p) for p in images], weights, mode, cval, method,
                         os.fspath(out_dir), rule, batch_size)


def _filter_array(images, weights: np.ndarray, mode: str, cval: float, method: str):
    if images.ndim not in (3, 4):
        raise ValueError(f"images must be a dask array of shape (N, H, W) or (N, H, W, C); "
                         f"got {images.ndim}-D shape {images.shape}")
    images = images.rechunk({axis: -1 for axis in range(1, images.ndim)})
    dtype = np.float32 if images.dtype == np.float32 else np.float64
    return images.map_blocks(_filter_block, weights, mode, cval, method, dtype=dtype)


def _filter_block(block: np.ndarray, weights: np.ndarray, mode: str, cval: float,
                  method: str) -> np.ndarray:
    image_filter = worker_filter(weights, mode, cval, method)
    out = [image_filter(image) for image in block]
    dtype = np.float32 if block.dtype == np.float32 else np.float64
    return np.stack(out).astype(dtype, copy=False) if out else np.zeros(block.shape, dtype)


def _filter_files(paths: list[str], weights: np.ndarray, mode: str, cval: float, method: str,
                  out_dir: str, scaling: str, batch_size: int):
    dask = require("dask")
    dd = require("dask.dataframe")
    pd = require("pandas")
    os.makedirs(out_dir, exist_ok=True)
    targets = [os.path.join(out_dir, os.path.splitext(os.path.basename(p))[0] + ".png")
               for p in paths]
    if len(set(targets)) != len(targets):
        raise ValueError("two input files have the same name stem and would be written to one "
                         "output; filter them into different out_dir folders")
    meta = pd.DataFrame({name: pd.Series(dtype=object)
                         for name in ("path", "output", "method", "error")})
    parts = [dask.delayed(_filter_file_batch, pure=True)(
        list(zip(paths[i:i + batch_size], targets[i:i + batch_size])), weights, mode, cval,
        method, scaling) for i in range(0, len(paths), batch_size)]
    if not parts:
        return dd.from_pandas(meta, npartitions=1)
    return dd.from_delayed(parts, meta=meta, verify_meta=False)


def _filter_file_batch(pairs: list[tuple[str, str]], weights: np.ndarray, mode: str,
                       cval: float, method: str, scaling: str):
    import pandas as pd

    image_filter = worker_filter(weights, mode, cval, method)
    rows = []
    for path, target in pairs:
        try:
            io.write_image(target, image_filter(io.read_image(path)), scaling=scaling)
            rows.append({"path": path, "output": target, "method": image_filter.last_method,
                         "error": ""})
        except _FILE_ERRORS as error:
            rows.append({"path": path, "output": "", "method": "",
                         "error": f"{type(error).__name__}: {error}"})
    return pd.DataFrame(rows, columns=["path", "output", "method", "error"])
