"""The one error type for unreadable, corrupt, mismatched or hostile convlens files."""

from __future__ import annotations


class ModelFileError(ValueError):
    """A model file or checkpoint that convlens refuses to load, with the reason.

    Raised instead of whatever the zip, JSON or ``.npy`` readers would raise, so callers can
    catch one type. It is a ``ValueError``.
    """
