"""``convlens.cuda``: torch's CUDA queries, answered for a CPU-only library.

Scripts ask ``torch.cuda.is_available()`` to pick a device; here the answer is always
``False`` and no GPU is ever used. Asking for a CUDA device raises the one CPU-only error.

Examples
--------
>>> import convlens as cl
>>> cl.cuda.is_available(), cl.cuda.device_count()
(False, 0)
"""

from __future__ import annotations

from typing import Any

from .device import cpu_only_error


def is_available() -> bool:
    """Always ``False``: convlens has no CUDA backend."""
    return False


def device_count() -> int:
    """Always ``0``."""
    return 0


def is_initialized() -> bool:
    """Always ``False``."""
    return False


def manual_seed(seed: int) -> None:
    """Accepted and ignored, as torch does when no GPU is present (there is no CUDA RNG)."""


def manual_seed_all(seed: int) -> None:
    """Accepted and ignored, as torch does when no GPU is present."""


def synchronize(device: Any = None) -> None:
    """Nothing to wait for: every convlens op has finished when it returns."""


def empty_cache() -> None:
    """Nothing to free: convlens holds no GPU memory."""


def current_device() -> int:
    """Raises: there is no current CUDA device."""
    raise cpu_only_error("cuda")


def get_device_name(device: Any = None) -> str:
    """Raises: there is no CUDA device to name."""
    raise cpu_only_error("cuda")
