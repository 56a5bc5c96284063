"""``predict``: class probabilities for a dask array of images, or for many image files."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _validate
from ..data.sample_file import INVERT_CHOICES, load_sample
from ..nn.module import Module
from ._imports import require
from ._worker_model import model_bytes, model_from_bytes

# What a file that cannot be read or classified raises; anything else is a bug and propagates.
_FILE_ERRORS = (OSError, ValueError, TypeError, MemoryError)


def predict(model: Module, images: Any, *, input_shape: Sequence[int] | None = None,
            batch_size: int = 256, invert: str = "no",
            classes: Sequence[str] | None = None) -> Any:
    """Classify images block by block on a Dask cluster.

    Parameters
    ----------
    model : nn.Module
        A convlens classifier. It is sent to the workers as its ``cl.save`` bytes and loaded
        once per worker process.
    images : dask.array.Array or sequence of str
        A float array (N, C, H, W) or (N, C, L) of model inputs, or the paths of image files
        (PNG, JPEG, ...) and ``.npy`` files, read on the workers as ``convlens predict`` reads
        them.
    input_shape : sequence of int, optional
        The model's input shape per sample, (C, H, W) or (C, L). Taken from ``images`` for an
        array; required for files.
    batch_size : int, default 256
        Files per task (arrays keep their own chunks along N, re-chunked to at most this).
    invert : {"no", "yes", "auto"}, default "no"
        For image files: invert grey levels never, always, or when the border is mostly light
        (dark digits on paper, for models trained on MNIST's light-on-dark digits).
    classes : sequence of str, optional
        Names for the class indices in the files' table.

    Returns
    -------
    dask.array.Array or dask.dataframe.DataFrame
        For an array: float32 probabilities, shape (N, num_classes); ``.argmax(axis=1)`` gives
        the classes. For files: a DataFrame with one row per file and the columns ``path``,
        ``class``, ``probability``, ``inverted`` and ``error`` (empty unless that file failed;
        a failed file does not stop the others).

    Raises
    ------
    TypeError
        ``images`` that is neither a dask array nor a sequence of paths.
    ValueError
        A bad ``batch_size`` or ``input_shape``, or an array of the wrong rank.
    """
    batch_size = _validate.positive_int(batch_size, "batch_size")
    _validate.one_of(invert, INVERT_CHOICES, "invert")
    da = require("dask.array")
    data = model_bytes(model)
    if isinstance(images, da.Array):
        return _predict_array(da, data, images, batch_size)
    if isinstance(images, (str, bytes)) or not isinstance(images, Sequence):
        raise TypeError(f"images must be a dask array (N, C, H, W) or a list of file paths; "
                        f"got {type(images).__name__}")
    if input_shape is None:
        raise ValueError("input_shape (C, H, W) or (C, L) is required for image files")
    shape = tuple(int(n) for n in input_shape)
    return _predict_files(data, [os.fspath(p) for p in images], shape, batch_size, invert,
                          None if classes is None else [str(c) for c in classes])


def _num_classes(data: bytes, sample_shape: tuple[int, ...], dtype: np.dtype) -> int:
    import convlens as cl

    with cl.no_grad():
        return int(model_from_bytes(data)(cl.tensor(np.zeros((1, *sample_shape), dtype))).shape[1])


def _predict_array(da, data: bytes, images, batch_size: int):
    if images.ndim not in (3, 4):
        raise ValueError(f"images must be a dask array of shape (N, C, H, W) or (N, C, L); "
                         f"got {images.ndim}-D shape {images.shape}")
    images = images.rechunk({0: min(batch_size, max(images.chunks[0]) or 1),
                             **{axis: -1 for axis in range(1, images.ndim)}})
    dtype = np.dtype(images.dtype) if images.dtype in (np.float32, np.float64) else np.float32
    classes = _num_classes(data, tuple(images.shape[1:]), dtype)
    dask = require("dask")
    model_ref = dask.delayed(data, pure=True)
    parts = [da.from_delayed(dask.delayed(_probabilities, pure=True)(model_ref, block),
                             shape=(rows, classes), dtype=np.float32)
             for block, rows in zip(images.to_delayed().ravel(), images.chunks[0])]
    return da.concatenate(parts) if parts else da.zeros((0, classes), dtype=np.float32)


def _probabilities(data: bytes, block: np.ndarray) -> np.ndarray:
    """Softmax of the model's outputs for one block of inputs (runs on a worker)."""
    import convlens as cl
    from convlens import functional as F

    model = model_from_bytes(data)
    x = np.asarray(block)
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float32)
    with cl.no_grad():
        return F.softmax(model(cl.tensor(x)), dim=1).numpy().astype(np.float32, copy=False)


def _predict_files(data: bytes, paths: list[str], shape: tuple[int, ...], batch_size: int,
                   invert: str, classes: list[str] | None):
    dask = require("dask")
    dd = require("dask.dataframe")
    pd = require("pandas")
    meta = pd.DataFrame({"path": pd.Series(dtype=object), "class": pd.Series(dtype=object),
                         "probability": pd.Series(dtype=np.float64),
                         "inverted": pd.Series(dtype=bool), "error": pd.Series(dtype=object)})
    model_ref = dask.delayed(data, pure=True)
    parts = [dask.delayed(_classify_files, pure=True)(model_ref, paths[i:i + batch_size], shape,
                                                     invert, classes)
             for i in range(0, len(paths), batch_size)]
    if not parts:
        return dd.from_pandas(meta, npartitions=1)
    return dd.from_delayed(parts, meta=meta, verify_meta=False)


def _classify_files(data: bytes, paths: list[str], shape: tuple[int, ...], invert: str,
                    classes: list[str] | None):
    """One table row per file (runs on a worker); a file that fails gets its error instead."""
    import pandas as pd

    samples, rows = [], []
    for path in paths:
        try:
            sample, inverted = load_sample(path, shape, invert)
            samples.append(sample)
            rows.append({"path": path, "class": None, "probability": np.nan,
                         "inverted": inverted, "error": ""})
        except _FILE_ERRORS as error:
            rows.append({"path": path, "class": None, "probability": np.nan, "inverted": False,
                         "error": f"{type(error).__name__}: {error}"})
    good = [row for row in rows if not row["error"]]
    if samples:
        probabilities = _probabilities(data, np.stack(samples))
        for row, p in zip(good, probabilities):
            best = int(p.argmax())
            row["class"] = classes[best] if classes and best < len(classes) else str(best)
            row["probability"] = float(p[best])
    return pd.DataFrame(rows, columns=["path", "class", "probability", "inverted", "error"])
