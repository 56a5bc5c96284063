"""How many parameter and buffer elements a layer will allocate for a saved config.

A file's architecture is rebuilt before its weights are read, so a loader can refuse a config
that declares more elements than the file's weights can fill, before anything is allocated.
Each layer added here gives ``estimated_elements(config)`` (a classmethod) for that check.
Arguments that are not positive ints count as 1: the constructor rejects them before it
allocates anything.
"""

from __future__ import annotations

import math
from typing import Any


def size(value: Any) -> int:
    """A positive int as itself, anything else as 1."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    return value if ok else 1


def product(values: Any) -> int:
    """The product of a list of sizes (one size if ``values`` is not a list)."""
    if isinstance(values, list | tuple):
        return math.prod(size(v) for v in values)
    return size(values)


def weights(config: dict[str, Any], *names: str) -> int:
    """Elements of the weight vectors a loss keeps in its config (``{"values": [...]}``)."""
    total = 0
    for name in names:
        spec = config.get(name)
        if isinstance(spec, dict) and isinstance(spec.get("values"), list):
            total += len(spec["values"])
    return total
