"""``DataLoader``: torch's loader over a dataset, a sampler and a collate function."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from numbers import Integral, Real
from typing import Any

from . import _workers
from ._generator import check_generator, numpy_rng
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, boolean, positive

__all__ = ["DataLoader"]


class DataLoader:
    """Iterate over a dataset in batches, as ``torch.utils.data.DataLoader``.

    Parameters
    ----------
    dataset : Dataset or IterableDataset
        Map-style (``__getitem__`` and ``__len__``) or iterable.
    batch_size : int or None, default 1
        Samples per batch; None turns batching off (each sample goes through ``collate_fn``,
        by default :func:`default_convert`, alone).
    shuffle : bool, optional
        Visit a map-style dataset in a new random order every epoch (a :class:`RandomSampler`).
    sampler : Sampler or iterable of indices, optional
        The order of the indices; excludes ``shuffle``.
    batch_sampler : Sampler or iterable of lists of indices, optional
        Gives whole batches; excludes ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
    num_workers : int, default 0
        Worker **threads** that load batches in parallel (0: load in the calling thread).
        Batches come out in the same order as with 0 workers; an exception in a worker is
        re-raised here.
    collate_fn : callable, optional
        Turns a list of samples into a batch; default :func:`default_collate`.
    pin_memory : bool, default False
        Accepted for compatibility; convlens runs on the CPU, so there is nothing to pin.
    drop_last : bool, default False
        Drop the last, smaller batch.
    timeout : float, default 0
        Seconds to wait for a worker's batch (0: forever); a longer wait raises RuntimeError.
    worker_init_fn : callable, optional
        Called as ``worker_init_fn(worker_id)`` in each worker thread before it loads.
    multiprocessing_context : None
        Accepted for compatibility; the workers are threads.
    generator : numpy.random.Generator or generator with ``initial_seed()``, optional
        Source of the shuffling and of the workers' base seed. Default: a seed drawn from
        convlens's global generator every epoch, so ``cl.manual_seed`` fixes the order.
    prefetch_factor : int, optional
        Batches each worker loads ahead (default 2 with workers; must be None without).
    persistent_workers : bool, default False
        Accepted (needs ``num_workers > 0``); threads are cheap, so they start every epoch.
    pin_memory_device : str, default ""
        Accepted for compatibility.
    in_order : bool, default True
        Must be True: batches always come out in order.

    Raises
    ------
    ValueError
        For the argument combinations that torch refuses, with torch's messages.

    Examples
    --------
    >>> import numpy as np
    >>> from convlens.utils.data import TensorDataset
    >>> ds = TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
    >>> [(x.shape, y.tolist()) for x, y in DataLoader(ds, batch_size=2)]
    [((2, 2), [0, 1]), ((2, 2), [2, 3]), ((1, 2), [4])]
    >>> len(DataLoader(ds)), len(DataLoader(ds, batch_size=2, drop_last=True))
    (5, 2)
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], Any] | None = None,
                 multiprocessing_context: Any = None, generator: Any = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        self.num_workers = _check_workers(num_workers, prefetch_factor, persistent_workers)
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers else prefetch_factor
        if not isinstance(timeout, Real) or timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if not in_order:
            raise ValueError("in_order=False is not supported: convlens's workers always "
                             "return batches in order")
        self.dataset, self.timeout = dataset, float(timeout)
        self.pin_memory, self.pin_memory_device = bool(pin_memory), pin_memory_device
        self.worker_init_fn, self.multiprocessing_context = worker_init_fn, multiprocessing_context
        self.persistent_workers = persistent_workers
        self.generator = check_generator(generator)
        self.drop_last = drop_last
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 "sampler and batch_sampler options")
            if batch_size is not None:
                positive(batch_size, "batch_size")
            boolean(drop_last, "drop_last")
        self.batch_size = None if batch_sampler is not None else batch_size
        self.sampler, self.batch_sampler = self._samplers(batch_size, shuffle, sampler,
                                                          batch_sampler, drop_last)
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def _samplers(self, batch_size, shuffle, sampler, batch_sampler, drop_last):
        """Torch's rules for which sampler arguments go together, then the defaults."""
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None and not self._iterable:
            sampler = (RandomSampler(self.dataset, generator=self.generator) if shuffle
                       else SequentialSampler(self.dataset))
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        return sampler, batch_sampler

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._iterable and self.batch_size is not None)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def _fetch(self, indices: Any) -> Any:
        if self.batch_sampler is None:
            return self.collate_fn(self.dataset[indices])
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(indices) if getitems else [self.dataset[i] for i in indices]
        return self.collate_fn(samples)

    def _stream(self) -> Iterator[Any]:
        """Batches of an IterableDataset, read in the calling thread (or one worker)."""
        it = iter(self.dataset)
        if self.batch_size is None:
            yield from (self.collate_fn(sample) for sample in it)
            return
        while batch := list(itertools.islice(it, self.batch_size)):
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield self.collate_fn(batch)

    def __iter__(self) -> Iterator[Any]:
        # One draw per epoch for the workers' base seed, with or without workers (as torch),
        # so the shuffling order does not depend on num_workers.
        base_seed = int(numpy_rng(self.generator).integers(0, 2**63 - 1))
        if self.num_workers == 0:
            if self._iterable:
                return self._stream()
            tasks = self.batch_sampler if self.batch_sampler is not None else self.sampler
            return (self._fetch(task) for task in tasks)
        infos = [_workers.WorkerInfo(w, self.num_workers, base_seed + w, self.dataset)
                 for w in range(self.num_workers)]
        if self._iterable:
            return _workers.iterable_batches(self._stream, infos, self.worker_init_fn,
                                             self.prefetch_factor, self.timeout)
        tasks = iter(self.batch_sampler if self.batch_sampler is not None else self.sampler)
        return _workers.map_batches(tasks, self._fetch, infos, self.worker_init_fn,
                                    self.prefetch_factor, self.timeout)


def _check_workers(num_workers: Any, prefetch_factor: Any, persistent_workers: Any) -> int:
    if not isinstance(num_workers, Integral) or isinstance(num_workers, bool) or num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                         f"disable multiprocessing (got num_workers={num_workers!r})")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                         "let num_workers > 0 to enable multiprocessing, otherwise set "
                         "prefetch_factor to None.")
    if prefetch_factor is not None and (not isinstance(prefetch_factor, Integral)
                                        or prefetch_factor <= 0):
        raise ValueError(f"prefetch_factor option should be a positive int; "
                         f"got {prefetch_factor!r}")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    return int(num_workers)
