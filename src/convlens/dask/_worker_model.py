"""A model as ``cl.save`` bytes, loaded once per worker process.

The bytes are the model file itself, so a worker runs exactly the checks ``cl.load`` runs on a
file from disk (no pickle, budgets on every member). The loaded model is kept per process under
the SHA-256 of its bytes: a worker that runs a thousand blocks loads it once.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading

from ..io import load, save
from ..nn.module import Module

_MODELS: dict[str, Module] = {}
_LOCK = threading.Lock()
# How many times this process has loaded a model from bytes (tests read it).
loads = 0


def model_bytes(model: Module) -> bytes:
    """The bytes ``cl.save(model, path)`` writes."""
    with tempfile.TemporaryDirectory(prefix="convlens-dask-") as folder:
        path = os.path.join(folder, "model.convlens")
        save(model, path)
        with open(path, "rb") as handle:
            return handle.read()


def model_from_bytes(data: bytes) -> Module:
    """The model in ``data`` (in eval mode), loaded once per process and then reused."""
    global loads
    key = hashlib.sha256(data).hexdigest()
    with _LOCK:
        model = _MODELS.get(key)
        if model is None:
            with tempfile.TemporaryDirectory(prefix="convlens-dask-") as folder:
                path = os.path.join(folder, "model.convlens")
                with open(path, "wb") as handle:
                    handle.write(data)
                model = load(path)
            model.eval()
            _MODELS[key] = model
            loads += 1
    return model
