"""``convlens.backends.mps``: there is no Metal backend; both queries answer ``False``."""

from __future__ import annotations


def is_available() -> bool:
    """Always ``False``."""
    return False


def is_built() -> bool:
    """Always ``False``."""
    return False
