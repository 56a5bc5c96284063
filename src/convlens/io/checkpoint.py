"""``save_checkpoint`` / ``load_checkpoint``: named arrays plus JSON metadata, never pickle.

The same container as model files (see :mod:`convlens.io.archive`), with ``checkpoint.json``
holding ``{"format": "convlens.checkpoint", "version": 1, "meta": <your metadata>}``. A
model's ``state_dict()`` round-trips through it directly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..nn.state import as_state_array
from .archive import Archive, check_key, write_archive

FORMAT = "convlens.checkpoint"
VERSION = 1
CHECKPOINT = "checkpoint.json"


def save_checkpoint(path: str | os.PathLike, arrays: Mapping[str, Any],
                    meta: dict[str, Any] | None = None) -> None:
    """Write named arrays and JSON metadata to ``path``, atomically.

    Parameters
    ----------
    path : str or PathLike
    arrays : mapping of str to array_like
        ndarrays, convlens Tensors (e.g. ``model.state_dict()``) or anything ``np.asarray``
        accepts; bool, int or float. Names are non-empty strings without NUL, backslash or a
        leading '/' (e.g. "model/0.weight").
    meta : dict, optional
        JSON-able metadata (numbers, strings, bools, None, lists, dicts with str keys).

    Raises
    ------
    TypeError
        If an array is not numeric or ``meta`` is not JSON-able.
    ValueError
        If a name is malformed or ``meta`` holds a non-finite float.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from convlens import io, nn
    >>> model = nn.Linear(3, 2)
    >>> path = os.path.join(tempfile.mkdtemp(), "step100.ckpt")
    >>> io.save_checkpoint(path, model.state_dict(), {"step": 100})
    >>> arrays, meta = io.load_checkpoint(path)
    >>> sorted(arrays), meta
    (['bias', 'weight'], {'step': 100})
    >>> model.load_state_dict(arrays)
    IncompatibleKeys(missing_keys=[], unexpected_keys=[])
    """
    if not isinstance(arrays, Mapping):
        raise TypeError(f"arrays must be a mapping of names to arrays; got "
                        f"{type(arrays).__name__}")
    if meta is not None and not isinstance(meta, dict):
        raise TypeError(f"meta must be a dict or None; got {type(meta).__name__}")
    try:
        json.dumps(meta, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise type(error)(f"meta must be JSON-able (numbers, strings, bools, None, lists and "
                          f"dicts with str keys, finite floats): {error}") from None
    converted = {check_key(key): as_state_array(value, key) for key, value in arrays.items()}
    write_archive(path, CHECKPOINT, {"format": FORMAT, "version": VERSION, "meta": meta},
                  converted)


def load_checkpoint(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], Any]:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Returns
    -------
    arrays : dict of str to ndarray
    meta : the metadata, as JSON gives it back (tuples become lists)

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    convlens.io.ModelFileError
        (a ValueError) If the file is truncated, corrupt, hostile or not a checkpoint.
    """
    with Archive(path, CHECKPOINT, "checkpoint") as archive:
        document = archive.read_json()
        if not isinstance(document, dict) or document.get("format") != FORMAT \
                or set(document) != {"format", "version", "meta"}:
            raise archive.error(f"{CHECKPOINT} is not a convlens checkpoint description")
        if document["version"] != VERSION:
            raise archive.error(f"unsupported checkpoint version {document['version']!r}; "
                                f"this convlens reads version {VERSION}")
        arrays = {}
        for key in archive.arrays:
            archive.header(key)
            arrays[key] = archive.read_array(key)
    return arrays, document["meta"]
