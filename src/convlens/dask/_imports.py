"""Import dask lazily, with one clear message when the optional extra is missing."""

from __future__ import annotations

import importlib
from types import ModuleType


def require(name: str) -> ModuleType:
    """``import name`` (``dask``, ``dask.array``, ``distributed``, ...) or a clear ImportError."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ImportError(f"convlens.dask needs {name.split('.')[0]}: "
                          "pip install 'convlens[dask]'") from None
