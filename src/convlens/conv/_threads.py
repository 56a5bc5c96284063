"""How many threads the engines use, and a pool for NumPy work that releases the GIL.

BLAS runs its own threads (limit them with ``threadpoolctl``); ``scipy.fft`` gets
``workers=get_num_threads()``; memory-bound NumPy loops (tile gathers, depthwise taps) are
split into chunks that run on this module's thread pool. The number of threads never changes
a result: each chunk is computed the same way whichever thread runs it.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import importlib.util
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import _validate

_num_threads: int | None = None
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def get_num_threads() -> int:
    """Threads the conv engines use for FFTs and chunked NumPy work (default: all cores).

    Inside :func:`for_work` for a small operation this is 1.
    """
    limit = getattr(_local, "limit", None)
    return budget() if limit is None else min(budget(), limit)


def set_num_threads(num_threads: int | None) -> None:
    """Use ``num_threads`` threads for FFTs and chunked NumPy work; ``None`` means all cores.

    BLAS keeps its own setting: limit it with ``threadpoolctl.threadpool_limits``.
    """
    global _num_threads, _pool
    if num_threads is not None:
        num_threads = _validate.positive_int(num_threads, "num_threads")
    _num_threads = num_threads
    _blas.clear()                    # re-read the BLAS libraries and their count next time
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=False)
            _pool = None


def budget() -> int:
    """The thread budget set by :func:`set_num_threads` (default: all cores), even inside
    :func:`for_work`: for work split into chunks on this module's pool, which hands a chunk to
    whichever thread is free and never spins while it waits."""
    return _num_threads if _num_threads is not None else _cores()


def run_chunks(work: Callable[[int, int], None], total: int, per_chunk: int,
               threads: int | None = None) -> list[tuple[int, int]]:
    """Call ``work(start, stop)`` over ``range(total)`` in chunks of ``per_chunk``, in parallel
    on ``threads`` threads (default :func:`get_num_threads`), the calling thread among them.

    ``work`` must write disjoint outputs for disjoint ranges. Each thread takes the next chunk
    when it is free, so a thread slowed by other load on its core does fewer chunks. Returns
    the chunks, in order. If a chunk raises, no new chunk starts, every running one finishes,
    and then the first exception is raised.
    """
    bounds = [(start, min(start + per_chunk, total)) for start in range(0, total, per_chunk)]
    threads = min(get_num_threads() if threads is None else threads, len(bounds))
    if threads <= 1:
        for start, stop in bounds:
            work(start, stop)
        return bounds
    chunks, lock, failed = iter(bounds), threading.Lock(), []

    def drain() -> None:
        while True:
            with lock:
                chunk = None if failed else next(chunks, None)
            if chunk is None:
                return
            try:
                work(*chunk)
            except BaseException:
                failed.append(True)
                raise

    helpers = [_shared_pool().submit(drain) for _ in range(threads - 1)]
    try:
        drain()
    finally:
        concurrent.futures.wait(helpers)
    for helper in helpers:
        helper.result()                 # the first helper's exception, if the caller had none
    return bounds


def _shared_pool() -> ThreadPoolExecutor:
    """The module's pool of :func:`budget` threads, made on first use."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=budget(), thread_name_prefix="convlens-conv")
        return _pool


def parallel_copy(source: np.ndarray) -> np.ndarray:
    """``np.ascontiguousarray(source)``, split along the first axis across the threads."""
    out = np.empty(source.shape, dtype=source.dtype)
    if source.ndim == 0 or source.size < _PARALLEL_MIN:
        np.copyto(out, source)
        return out

    def work(start: int, stop: int) -> None:
        np.copyto(out[start:stop], source[start:stop])

    run_chunks(work, source.shape[0], -(-source.shape[0] // get_num_threads()))
    return out


_PARALLEL_MIN = 1 << 16        # elements; below this a thread hand-off costs more than it saves


# -- one thread for small operations -------------------------------------------------------
# Multiply-adds below which an operation runs on one thread (BLAS, scipy.fft and the chunked
# NumPy work). The compiled engine's flat loops are the exception: they split their samples over
# the whole budget (:func:`budget`) on the pool, whose threads sleep while they wait, so a busy
# core costs them its share of the work and no more. On a busy machine a 2-thread OpenBLAS
# product cost 40-60 ms whatever its size and one thread stayed faster up to 10**9 multiply-
# adds; on a quiet one a thread hand-off costs tens of microseconds, while 10**8 multiply-adds
# take about a millisecond on one core (docs/performance.md, "One thread budget"). The rule is
# fixed, never read from the machine's load: a float32 BLAS sum can differ in its last bit
# between thread counts, and a run must give the same numbers however busy the machine is
# (resume is bit for bit).
SERIAL_BELOW = 100_000_000

_local = threading.local()
_blas: dict[str, object] = {}


def threads_for(work: int) -> int:
    """Threads for an operation of ``work`` multiply-adds under the current budget."""
    budget = get_num_threads()
    return 1 if budget > 1 and work < SERIAL_BELOW else budget


def _blas_setter() -> Callable[[int | list[int]], list[int]] | None:
    """A fast setter of the BLAS thread count (threadpoolctl, found once), or ``None``."""
    if "set" not in _blas:
        _blas["set"] = None
        if importlib.util.find_spec("threadpoolctl") is not None:
            from threadpoolctl import ThreadpoolController

            libs = ThreadpoolController().select(user_api="blas").lib_controllers
            if libs:
                _blas["set"] = functools.partial(_set_blas, libs)
    return _blas["set"]  # type: ignore[return-value]


def _set_blas(libs: list, counts: int | list[int]) -> list[int]:
    """Set each BLAS library's thread count; return the counts they had."""
    previous = [lib.num_threads for lib in libs]
    for lib, n in zip(libs, counts if isinstance(counts, list) else [counts] * len(libs)):
        lib.set_num_threads(n)
    return previous


@contextlib.contextmanager
def for_work(work: int) -> Iterator[None]:
    """Run the body on one thread if ``work`` multiply-adds are too few to split.

    Sets BLAS to one thread for the duration (restoring the budget after) and makes
    :func:`get_num_threads` return 1 in this thread, so scipy.fft and the chunked NumPy work
    follow (the compiled engine's flat loops use :func:`budget` instead). The choice depends
    only on ``work`` and the budget, so a given model and batch always runs with the same thread
    counts and gives the same numbers.
    """
    threads = threads_for(work)
    if threads >= get_num_threads() or getattr(_local, "limit", None) is not None:
        yield
        return
    set_blas = _blas_setter()
    _local.limit = threads
    previous = set_blas(threads) if set_blas is not None else None
    try:
        yield
    finally:
        _local.limit = None
        if set_blas is not None:
            set_blas(previous)
