"""``convlens.accelerator``: torch's accelerator queries; convlens has no accelerator.

Examples
--------
>>> import convlens as cl
>>> cl.accelerator.is_available(), cl.accelerator.current_accelerator()
(False, None)
"""

from __future__ import annotations

from .device import device


def is_available() -> bool:
    """Always ``False``: convlens computes on the CPU."""
    return False


def device_count() -> int:
    """Always ``0``."""
    return 0


def current_accelerator(check_available: bool = False) -> device | None:
    """Always ``None``, as torch returns when no accelerator is present."""
    return None
