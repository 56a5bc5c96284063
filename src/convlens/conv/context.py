"""``ConvContext``: what one convolution call carries from its forward to its backward.

Engines take it as the keyword-only ``ctx`` argument; all of them work without one. The FFT
engine uses ``weight`` to key the filter-spectrum cache (a hit is validated against the
weight's current values, so no write can leave a stale spectrum), and every engine may
keep arrays in ``saved`` during ``forward`` that ``grad_input``/``grad_weight`` of the same
call reuse (the input's spectrum, Winograd-transformed tiles), as PyTorch's autograd Functions
save tensors for backward.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ConvContext:
    """Per-call state shared by an engine's forward and backward.

    Attributes
    ----------
    weight : object or None
        The object that owns the weight array (a ``Tensor`` or ``Parameter``), used as the
        identity half of the spectrum-cache key; ``None`` disables caching.
    version : int
        The owner's in-place write counter (``Tensor.version``) at forward time; kept for
        information only: the cache validates entries by the weight's values, which also
        catches writes the counter never sees (through ``.numpy()`` views).
    save : bool
        Whether forward should keep intermediate arrays for backward in ``saved``.
    saved : dict
        Arrays kept by forward for backward.
    """

    weight: Any = None
    version: int = 0
    save: bool = False
    saved: dict[str, Any] = field(default_factory=dict)

    def keep(self, name: str, value: Any) -> Any:
        """Store ``value`` for backward when ``save`` is set; return it either way."""
        if self.save:
            self.saved[name] = value
        return value
