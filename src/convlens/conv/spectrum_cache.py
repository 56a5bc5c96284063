"""A byte-bounded cache of filter spectra, keyed on the weight's identity and version.

The FFT engine transforms a weight once and reuses the spectrum for every later convolution
with the same weight, including the backward pass of the same step, until the weight changes.
A key is ``(id(owner), owner.version, tag)`` where ``owner`` is the weight ``Tensor`` and
``tag`` holds everything else the spectrum depends on (FFT size, dtype, kernel placement). Any
in-place write (``optimizer.step()``, ``w.sub_(...)``, ``w.data = ...``) bumps the version, so
the old spectrum stops matching and is dropped when its successor is stored. An entry holds a
weak reference to its owner and is dropped when the owner is garbage-collected, so a recycled
``id`` can never return another tensor's spectrum.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate

DEFAULT_LIMIT_BYTES = 256 << 20


@dataclass
class CacheStats:
    """Counters of :data:`SPECTRA` since the last :meth:`SpectrumCache.clear`."""

    hits: int = 0
    misses: int = 0
    evictions: int = 0
    entries: int = 0
    bytes: int = 0
    limit_bytes: int = DEFAULT_LIMIT_BYTES


class SpectrumCache:
    """Least-recently-used store of spectra, at most ``limit_bytes`` in total."""

    def __init__(self, limit_bytes: int = DEFAULT_LIMIT_BYTES) -> None:
        self._entries: OrderedDict[tuple, tuple[weakref.ref, np.ndarray]] = OrderedDict()
        self._stats = CacheStats(limit_bytes=limit_bytes)

    def get(self, owner: Any, version: int, tag: Hashable,
            compute: Callable[[], np.ndarray]) -> np.ndarray:
        """The cached spectrum for (owner, version, tag), computing and storing it on a miss."""
        key = (id(owner), version, tag)
        entry = self._entries.get(key)
        if entry is not None and entry[0]() is owner:
            self._entries.move_to_end(key)
            self._stats.hits += 1
            return entry[1]
        self._stats.misses += 1
        spectrum = compute()
        self._put(owner, key, spectrum)
        return spectrum

    def contains(self, owner: Any, version: int, tag: Hashable) -> bool:
        """Whether a lookup would hit (counts nothing)."""
        entry = self._entries.get((id(owner), version, tag))
        return entry is not None and entry[0]() is owner

    def _put(self, owner: Any, key: tuple, spectrum: np.ndarray) -> None:
        if spectrum.nbytes > self._stats.limit_bytes:
            return
        # Older versions of the same weight can never hit again.
        for stale in [k for k in self._entries if k[0] == key[0] and k[2] == key[2]]:
            self._drop(stale)
        try:
            ref = weakref.ref(owner, lambda _, k=key[0]: self._forget(k))
        except TypeError:   # not weak-referenceable: nothing to key on safely
            return
        self._entries[key] = (ref, spectrum)
        self._stats.bytes += spectrum.nbytes
        while self._stats.bytes > self._stats.limit_bytes:
            self._drop(next(iter(self._entries)))
            self._stats.evictions += 1

    def _drop(self, key: tuple) -> None:
        _, spectrum = self._entries.pop(key)
        self._stats.bytes -= spectrum.nbytes

    def _forget(self, owner_id: int) -> None:
        for key in [k for k in self._entries if k[0] == owner_id and self._entries[k][0]() is None]:
            self._drop(key)

    def clear(self) -> None:
        """Drop every entry and reset the counters (the limit stays)."""
        self._entries.clear()
        self._stats = CacheStats(limit_bytes=self._stats.limit_bytes)

    def set_limit(self, limit_bytes: int) -> None:
        """Bound the cache to ``limit_bytes`` (0 disables caching), evicting as needed."""
        self._stats.limit_bytes = _validate.positive_int(limit_bytes, "limit_bytes", minimum=0)
        while self._stats.bytes > self._stats.limit_bytes:
            self._drop(next(iter(self._entries)))
            self._stats.evictions += 1

    def stats(self) -> CacheStats:
        """A snapshot of the hit/miss counters and the bytes held."""
        return CacheStats(self._stats.hits, self._stats.misses, self._stats.evictions,
                          len(self._entries), self._stats.bytes, self._stats.limit_bytes)


SPECTRA = SpectrumCache()
