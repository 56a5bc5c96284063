"""``save`` and ``load``: a model as one file, architecture JSON plus weights, never pickle.

Anything that is not a Module (a ``state_dict()``, a checkpoint dict) is saved as an object
file instead (see :mod:`convlens.io.objects`); ``load`` tells the two apart by their JSON
member.

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
from .objects import OBJECT, load_object, save_object

FORMAT = "convlens.model"
VERSION = 1
ARCHITECTURE = "architecture.json"


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write a model, a state_dict or a checkpoint dict to ``path``, atomically, never pickling.

    Parameters
    ----------
    obj : nn.Module, or a tree of dicts, lists, tuples, Tensors, ndarrays, numbers and strings
        A Module (built from convlens layers and containers, or from classes decorated with
        ``@nn.register`` that define ``get_config()``) is saved with its architecture, and
        :func:`load` rebuilds it. Anything else is saved the way ``torch.save`` users save
        ``model.state_dict()`` or ``{"epoch": 3, "model_state_dict": ...,
        "optimizer_state_dict": ...}``: nested dicts (keys: str, int, float, bool, None or
        tuples of those), lists and tuples of Tensors, ndarrays, NumPy scalars, ints, floats,
        bools, None and strings. The format is in ``docs/security.md``.
    path : str or PathLike
        The file to write (conventionally ``*.convlens`` or ``*.pt``); replaced atomically,
        so a crash never leaves half a file behind.

    Raises
    ------
    TypeError
        If a Module contains a class that is not registered (the message names it) or whose
        ``get_config()`` returns something that is not JSON-able, or if a tree holds a value
        of another type (the message gives its place, e.g. ``obj['optimizer']``), or if
        ``path`` is not a str or PathLike (file objects are not supported).
    ValueError
        If a tree has a cycle or exceeds the reader's limits (64 levels of nesting, a million
        values, strings over 2**20 characters).

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
    >>> cl.save({"epoch": 3, "model_state_dict": model.state_dict()}, path)
    >>> checkpoint = cl.load(path)
    >>> checkpoint["epoch"], model.load_state_dict(checkpoint["model_state_dict"])
    (3, IncompatibleKeys(missing_keys=[], unexpected_keys=[]))
    """
    _check_path(path)
    if not isinstance(obj, Module):
        save_object(obj, path)
        return
    model = obj
    document = {"format": FORMAT, "version": VERSION, "convlens_version": __version__,
                "training": model.training,
                "architecture": Encoder().node(model, "model")}
    arrays = {key: value.numpy() for key, value in model.state_dict().items()}
    write_archive(path, ARCHITECTURE, document, arrays)


def load(path: str | os.PathLike, map_location: Any = None, *,
         weights_only: bool | None = True) -> Any:
    """Read what :func:`save` wrote: a model, or the state_dict or checkpoint dict it was given.

    Layer types are looked up in the registry (:mod:`convlens.nn.registry`); nothing named in
    the file is imported or executed, and no pickle is ever read, whatever ``weights_only``
    says.

    Parameters
    ----------
    path : str or PathLike
        A file written by :func:`save`, or a run folder written by ``convlens train`` (its
        ``model.convlens``).
    map_location : None, "cpu" or a CPU device, optional
        Accepted for ``torch.load`` compatibility; convlens runs on the CPU, so it changes
        nothing. A GPU device, a dict or a function is refused.
    weights_only : bool or None, default True
        Accepted for ``torch.load`` compatibility. convlens files never hold code, so both
        values load the same way, safely.

    Returns
    -------
    nn.Module, or the saved tree
        A model comes back in the training mode it was saved in. A tree comes back with the
        same dicts (same key types and order), lists and tuples; Tensors as Tensors
        (``nn.Parameter`` as Parameter, ``requires_grad`` kept), ndarrays as ndarrays.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist, or is a folder without a model file.
    ValueError
        If ``map_location`` names anything but the CPU.
    TypeError
        If ``weights_only`` is not a bool or None, or ``path`` is not a path.
    convlens.io.ModelFileError
        (a ValueError) If the file is truncated, corrupt, not a convlens file (a PyTorch
        ``.pt`` file is refused with how to convert it), declares absurd sizes or breaks a
        budget, names an unknown layer type, or its weights do not fit the architecture.
    """
    _check_path(path)
    _check_load_args(map_location, weights_only)
    if os.path.isdir(path):
        path = runs.model_file(path)
    with Archive(path, (ARCHITECTURE, OBJECT), "model file") as archive:
        document = archive.read_json()
        if archive.json_name == OBJECT:
            return load_object(archive, document)
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


def _check_path(path: Any) -> None:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a file path (str or os.PathLike); file objects such as "
                        f"io.BytesIO are not supported; got {type(path).__name__}")


def _check_load_args(map_location: Any, weights_only: Any) -> None:
    if weights_only is not None and not isinstance(weights_only, bool):
        raise TypeError(f"weights_only must be a bool or None; got "
                        f"{type(weights_only).__name__}")
    if map_location is None:
        return
    kind = map_location if isinstance(map_location, str) else getattr(map_location, "type",
                                                                       None)
    if isinstance(kind, str) and kind.split(":", 1)[0] == "cpu":
        return
    raise ValueError(f"map_location must be None, 'cpu' or a CPU device (convlens runs on the "
                     f"CPU only, so there is nothing to map); got {map_location!r:.80}")
