"""The layer registry: the only way ``convlens.load`` turns a type name into a class.

Built-in layers are registered under their short names ("Conv2d"); user classes decorated
with :func:`register` under their qualified name ("mypackage.blocks.Block"). Loading looks
names up here and never imports or executes anything named in a file.
"""

from __future__ import annotations

import importlib
from typing import Any

_REGISTRY: dict[str, type] = {}
_NAMES: dict[type, str] = {}


def _add(name: str, cls: type) -> None:
    # A class defined again under the same qualified name (a re-run notebook cell) replaces
    # the old one; user names always contain a dot, so they never shadow a built-in.
    old = _REGISTRY.get(name)
    if old is not None:
        _NAMES.pop(old, None)
    _REGISTRY[name] = cls
    _NAMES[cls] = name


def builtin(cls: type) -> type:
    """Register a convlens layer under its short class name (internal)."""
    _add(cls.__name__, cls)
    return cls


def register(cls: type) -> type:
    """Class decorator that makes a user-defined Module saveable with ``convlens.save``.

    The class must implement ``get_config()`` returning its constructor keyword arguments as
    JSON-able values (nested Modules are allowed too); ``convlens.load`` rebuilds it with
    ``cls(**config)`` (or ``cls.from_config(config)``) and then loads the weights. Import the
    module that defines the class before loading: the registry never imports anything.

    Examples
    --------
    >>> import numpy as np
    >>> from convlens import nn
    >>> @nn.register
    ... class Scale(nn.Module):
    ...     def __init__(self, factor=2.0):
    ...         super().__init__()
    ...         self.factor = factor
    ...     def get_config(self):
    ...         return {"factor": self.factor}
    ...     def forward(self, x):
    ...         return x * self.factor
    >>> nn.registry.registered_name(Scale).endswith("Scale")
    True
    """
    from .module import Module

    if not isinstance(cls, type) or not issubclass(cls, Module):
        raise TypeError(f"@nn.register decorates subclasses of nn.Module; got {cls!r}")
    _add(f"{cls.__module__}.{cls.__qualname__}", cls)
    return cls


def registered_name(cls: type) -> str | None:
    """The name ``cls`` was registered under, or None."""
    return _NAMES.get(cls)


# convlens packages that register layers of their own when imported. A name under one of these
# prefixes makes ``lookup`` import that fixed, trusted package (never a name from the file).
_CONVLENS_PACKAGES = {"convlens.interop.": "convlens.interop"}


def lookup(name: Any) -> type | None:
    """The class registered under ``name``, or None (``name`` may be any JSON value)."""
    if not isinstance(name, str):
        return None
    if name not in _REGISTRY:
        for prefix, package in _CONVLENS_PACKAGES.items():
            if name.startswith(prefix):
                importlib.import_module(package)
    return _REGISTRY.get(name)
