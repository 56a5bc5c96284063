"""``save`` and ``load``: a model as one file, architecture JSON plus weights, never pickle.

File layout (a zip, and therefore also a valid ``.npz``)::

    architecture.json   {"format": "convlens.model", "version": 1, "training": false,
                         "architecture": {"type": "Sequential", "config": {...}}}
    0.weight.npy        one uncompressed .npy per state_dict entry, named by its key
    0.bias.npy
    ...
"""

from __future__ import annotations

import os
from typing import Any

from .._version import __version__
from ..nn.module import Module
from . import runs
from .architecture import Decoder, Encoder
from .archive import Archive, write_archive

FORMAT = "convlens.model"
VERSION = 1
ARCHITECTURE = "architecture.json"


def save(model: Module, path: str | os.PathLike) -> None:
    """Write ``model`` (architecture and weights) to ``path``, atomically and without pickle.

    Parameters
    ----------
    model : nn.Module
        Built from convlens layers and containers, or from classes decorated with
        ``@nn.register`` that define ``get_config()``.
    path : str or PathLike
        The file to write (conventionally ``*.convlens``); replaced atomically, so a crash
        never leaves half a file behind.

    Raises
    ------
    TypeError
        If ``model`` is not a Module, or contains a class that is not registered (the message
        names it) or whose ``get_config()`` returns something that is not JSON-able.

    Examples
    --------
    >>> import os, tempfile
    >>> import convlens as cl
    >>> from convlens import nn
    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(36, 2))
    >>> path = os.path.join(tempfile.mkdtemp(), "model.convlens")
    >>> cl.save(model, path)
    >>> cl.load(path)[3]
    Linear(in_features=36, out_features=2, bias=True)
    """
    if not isinstance(model, Module):
        raise TypeError(f"save expects an nn.Module; got {type(model).__name__}")
    document = {"format": FORMAT, "version": VERSION, "convlens_version": __version__,
                "training": model.training,
                "architecture": Encoder().node(model, "model")}
    arrays = {key: value.numpy() for key, value in model.state_dict().items()}
    write_archive(path, ARCHITECTURE, document, arrays)


def load(path: str | os.PathLike) -> Module:
    """Rebuild a model saved with :func:`save`: same layers, hyperparameters and weights.

    Layer types are looked up in the registry (:mod:`convlens.nn.registry`); nothing named in
    the file is imported or executed, and no pickle is ever read.

    Parameters
    ----------
    path : str or PathLike
        A model file, or a run folder written by ``convlens train`` (its ``model.convlens``).

    Returns
    -------
    nn.Module
        In the training mode it was saved in.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist, or is a folder without a model file.
    convlens.io.ModelFileError
        (a ValueError) If the file is truncated, corrupt, not a convlens model, declares
        absurd sizes, names an unknown layer type, or its weights do not fit the architecture.
    """
    if os.path.isdir(path):
        path = runs.model_file(path)
    with Archive(path, ARCHITECTURE, "model file") as archive:
        document = archive.read_json()
        architecture = _check_document(document, archive)
        model = Decoder(archive.error, archive.array_nbytes()).node(architecture, "model")
        targets = model.state_dict(keep_vars=True)
        _check_keys(set(targets), set(archive.arrays), archive)
        arrays = {}
        for key, target in targets.items():
            shape, dtype = archive.header(key)
            if shape != target.shape or dtype.kind != target.dtype.kind:
                raise archive.error(f"array {key!r} has shape {shape} and dtype {dtype}; the "
                                    f"architecture needs {target.shape} {target.dtype}")
            arrays[key] = archive.read_array(key)
    model.load_state_dict(arrays)
    return model.train(document["training"])


def _check_document(document: Any, archive: Archive) -> dict[str, Any]:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        found = document.get("format") if isinstance(document, dict) else None
        hint = " (use convlens.io.load_checkpoint for checkpoints)" if found else ""
        raise archive.error(f"{ARCHITECTURE} is not a convlens model description "
                            f"(format {found!r}){hint}")
    if document.get("version") != VERSION:
        raise archive.error(f"unsupported model file version {document.get('version')!r}; "
                            f"this convlens reads version {VERSION}")
    if not isinstance(document.get("training"), bool) or "architecture" not in document:
        raise archive.error(f"{ARCHITECTURE} needs a bool 'training' and an 'architecture'")
    return document["architecture"]


def _check_keys(expected: set[str], stored: set[str], archive: Archive) -> None:
    missing, unexpected = sorted(expected - stored), sorted(stored - expected)
    if missing or unexpected:
        raise archive.error(f"its weights do not match the architecture: missing "
                            f"{missing[:10]}, unexpected {unexpected[:10]}")
