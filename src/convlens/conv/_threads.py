"""How many threads the engines use, and a pool for NumPy work that releases the GIL.

BLAS runs its own threads (limit them with ``threadpoolctl``); ``scipy.fft`` gets
``workers=get_num_threads()``; memory-bound NumPy loops (tile gathers, depthwise taps) are
split into chunks that run on this module's thread pool. The number of threads never changes
a result: each chunk is computed the same way whichever thread runs it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import _validate

_num_threads: int | None = None
_pool: ThreadPoolExecutor | None = None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def get_num_threads() -> int:
    """Threads the conv engines use for FFTs and chunked NumPy work (default: all cores)."""
    return _num_threads if _num_threads is not None else _cores()


def set_num_threads(num_threads: int | None) -> None:
    """Use ``num_threads`` threads for FFTs and chunked NumPy work; ``None`` means all cores.

    BLAS keeps its own setting: limit it with ``threadpoolctl.threadpool_limits``.
    """
    global _num_threads, _pool
    if num_threads is not None:
        num_threads = _validate.positive_int(num_threads, "num_threads")
    _num_threads = num_threads
    if _pool is not None:
        _pool.shutdown(wait=False)
        _pool = None


def run_chunks(work: Callable[[int, int], None], total: int, per_chunk: int) -> None:
    """Call ``work(start, stop)`` over ``range(total)`` in chunks of ``per_chunk``, in parallel.

    ``work`` must write disjoint outputs for disjoint ranges.
    """
    global _pool
    bounds = [(start, min(start + per_chunk, total)) for start in range(0, total, per_chunk)]
    threads = min(get_num_threads(), len(bounds))
    if threads <= 1:
        for start, stop in bounds:
            work(start, stop)
        return
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=get_num_threads(),
                                   thread_name_prefix="convlens-conv")
    for future in [_pool.submit(work, start, stop) for start, stop in bounds]:
        future.result()


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
