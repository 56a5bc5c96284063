"""The exceptions of :mod:`convlens.interop`; all are ``ValueError`` subclasses.

A file that cannot be read safely raises :class:`ModelFileError` (malformed, truncated, over a
size limit, or in a format that would need pickle); a model that uses something convlens or
the target format has no rule for raises :class:`UnsupportedError`, naming it.
"""

from __future__ import annotations


class InteropError(ValueError):
    """Base class of the errors raised by :mod:`convlens.interop`."""


class ModelFileError(InteropError):
    """A model or weights file is malformed, exceeds a limit, or is of an unsafe kind."""


class UnsupportedError(InteropError):
    """An operator, layer or module type has no conversion rule."""
