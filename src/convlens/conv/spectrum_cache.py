"""A byte-bounded cache of filter spectra, validated against the weight's content.

The FFT engine transforms a weight once and reuses the spectrum for every later convolution
with the same weight, including the backward pass of the same step, until the weight changes.
An entry is keyed on ``(id(owner), tag)``, where ``owner`` is the weight ``Tensor`` and ``tag``
holds everything else the spectrum depends on (FFT size, dtype, kernel placement), and it keeps
a private copy of the weight values it was computed from.

A lookup hits only when the owner is the same object *and* the weight's current values are
bit-for-bit the stored copy. That comparison costs one pass over the weight, far less than the
convolution, and it makes stale spectra impossible whatever path wrote the weight: in-place
tensor methods, ``optimizer.step()``, ``load_state_dict``, ``.data``, and also writes that no
version counter sees (a ``w.numpy()`` view, ``np.copyto``, slice assignment). A stale entry is
replaced by its successor. An entry holds a weak reference to its owner and is dropped when the
owner is garbage-collected, so a recycled ``id`` can never return another tensor's spectrum.
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


@dataclass
class _Entry:
    owner: weakref.ref
    weight: np.ndarray      # the values the spectrum was computed from (a private copy)
    spectrum: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.spectrum.nbytes + self.weight.nbytes


def same_values(stored: np.ndarray, current: np.ndarray) -> bool:
    """Whether two arrays hold bit-identical values (NaN payloads and -0.0 included)."""
    if stored.shape != current.shape or stored.dtype != current.dtype:
        return False
    as_bits = np.dtype(f"u{stored.dtype.itemsize}")
    current = np.ascontiguousarray(current)
    return bool(np.array_equal(stored.view(as_bits), current.view(as_bits)))


class SpectrumCache:
    """Least-recently-used store of spectra, at most ``limit_bytes`` in total.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> cache = SpectrumCache()
    >>> w = cl.tensor(np.ones(3))
    >>> first = cache.get(w, w.numpy(), "tag", lambda: w.numpy() * 2)
    >>> w.numpy()[0] = 5.0                     # a write no version counter sees
    >>> cache.get(w, w.numpy(), "tag", lambda: w.numpy() * 2).tolist()
    [10.0, 2.0, 2.0]
    """

    def __init__(self, limit_bytes: int = DEFAULT_LIMIT_BYTES) -> None:
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._stats = CacheStats(limit_bytes=limit_bytes)

    def get(self, owner: Any, weight: np.ndarray, tag: Hashable,
            compute: Callable[[], np.ndarray]) -> np.ndarray:
        """The spectrum of ``weight`` (owned by ``owner``) for ``tag``; computed on a miss.

        A hit needs the same owner object and bit-identical weight values.
        """
        key = (id(owner), tag)
        if self._valid(key, owner, weight):
            self._entries.move_to_end(key)
            self._stats.hits += 1
            return self._entries[key].spectrum
        self._stats.misses += 1
        spectrum = compute()
        self._put(owner, key, weight, spectrum)
        return spectrum

    def contains(self, owner: Any, weight: np.ndarray, tag: Hashable) -> bool:
        """Whether a lookup would hit (counts nothing)."""
        return self._valid((id(owner), tag), owner, weight)

    def _valid(self, key: tuple, owner: Any, weight: np.ndarray) -> bool:
        entry = self._entries.get(key)
        return (entry is not None and entry.owner() is owner
                and same_values(entry.weight, weight))

    def _put(self, owner: Any, key: tuple, weight: np.ndarray, spectrum: np.ndarray) -> None:
        if key in self._entries:                 # a stale spectrum of the same weight
            self._drop(key)
        if spectrum.nbytes + weight.nbytes > self._stats.limit_bytes:
            return
        try:
            ref = weakref.ref(owner, lambda _, k=key[0]: self._forget(k))
        except TypeError:   # not weak-referenceable: nothing to key on safely
            return
        self._entries[key] = _Entry(ref, np.array(weight, copy=True, order="C"), spectrum)
        self._stats.bytes += self._entries[key].nbytes
        while self._stats.bytes > self._stats.limit_bytes:
            self._drop(next(iter(self._entries)))
            self._stats.evictions += 1

    def _drop(self, key: tuple) -> None:
        self._stats.bytes -= self._entries.pop(key).nbytes

    def _forget(self, owner_id: int) -> None:
        for key in [k for k, e in self._entries.items() if k[0] == owner_id and e.owner() is None]:
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
        """A snapshot of the hit/miss counters and the bytes held (spectra and weight copies)."""
        return CacheStats(self._stats.hits, self._stats.misses, self._stats.evictions,
                          len(self._entries), self._stats.bytes, self._stats.limit_bytes)


SPECTRA = SpectrumCache()
