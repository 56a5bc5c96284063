"""Worker threads for ``DataLoader(num_workers > 0)``.

Batch ``i`` goes to worker ``i % num_workers``; each worker handles its batches in order and
the loader reads them back in the same round-robin order, so the batches come out in exactly
the order of ``num_workers=0`` (torch's ``in_order=True``). A worker that raises hands the
exception back, and the loader re-raises it in the calling thread with a note naming the worker.

Threads rather than processes: nothing has to be pickled (convlens Tensors, lambdas and
closures as ``collate_fn`` all work), and NumPy, SciPy and file reads release the GIL for the
heavy part of loading. Pure-Python per-sample work still runs one thread at a time.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

_local = threading.local()


@dataclass(frozen=True)
class WorkerInfo:
    """What :func:`get_worker_info` returns inside a worker: as torch's ``WorkerInfo``."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


def get_worker_info() -> WorkerInfo | None:
    """Inside a DataLoader worker thread, its :class:`WorkerInfo`; elsewhere None.

    Examples
    --------
    >>> get_worker_info() is None
    True
    """
    return getattr(_local, "info", None)


class _Failure:
    def __init__(self, error: BaseException, worker_id: int) -> None:
        self.error, self.worker_id = error, worker_id


_DONE = object()


def _start(info: WorkerInfo, init_fn: Callable[[int], Any] | None,
           out: queue.Queue) -> bool:
    _local.info = info
    if init_fn is None:
        return True
    try:
        init_fn(info.id)
        return True
    except BaseException as error:  # noqa: BLE001 - handed to the main thread
        out.put(_Failure(error, info.id))
        return False


def _raise(failure: _Failure) -> None:
    error = failure.error
    error.add_note(f"(raised in DataLoader worker thread {failure.worker_id})")
    raise error


def _get(out: queue.Queue, timeout: float) -> Any:
    try:
        return out.get(timeout=timeout if timeout > 0 else None)
    except queue.Empty:
        raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None


def map_batches(tasks: Iterator[Any], fetch: Callable[[Any], Any], infos: list[WorkerInfo],
                init_fn: Callable | None, prefetch: int, timeout: float) -> Iterator[Any]:
    """Run ``fetch(task)`` for each task on worker threads; yield the results in task order."""
    n = len(infos)
    inputs = [queue.Queue() for _ in range(n)]
    outputs = [queue.Queue() for _ in range(n)]

    def loop(w: int) -> None:
        if not _start(infos[w], init_fn, outputs[w]):
            return
        while (task := inputs[w].get()) is not _DONE:
            try:
                outputs[w].put(fetch(task))
            except BaseException as error:  # noqa: BLE001 - handed to the main thread
                outputs[w].put(_Failure(error, w))
                return

    threads = [threading.Thread(target=loop, args=(w,), daemon=True) for w in range(n)]
    for thread in threads:
        thread.start()
    sent = received = 0
    try:
        for task in tasks:
            inputs[sent % n].put(task)
            sent += 1
            if sent - received >= n * prefetch:
                yield _result(outputs[received % n], timeout)
                received += 1
        while received < sent:
            yield _result(outputs[received % n], timeout)
            received += 1
    finally:
        for q in inputs:
            q.put(_DONE)


def _result(out: queue.Queue, timeout: float) -> Any:
    value = _get(out, timeout)
    if isinstance(value, _Failure):
        _raise(value)
    return value


def iterable_batches(make_batches: Callable[[], Iterator[Any]], infos: list[WorkerInfo],
                     init_fn: Callable | None, prefetch: int, timeout: float) -> Iterator[Any]:
    """Each worker runs its own ``make_batches()``; yield their batches round-robin."""
    n = len(infos)
    outputs = [queue.Queue(maxsize=prefetch) for _ in range(n)]
    stop = threading.Event()

    def put(w: int, item: Any) -> bool:
        """Hand ``item`` over unless the loader has stopped listening; False if it has."""
        while not stop.is_set():
            try:
                outputs[w].put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def loop(w: int) -> None:
        _local.info = infos[w]
        try:
            if init_fn is not None:
                init_fn(w)
            for batch in make_batches():
                if not put(w, batch):
                    return
            put(w, _DONE)
        except BaseException as error:  # noqa: BLE001 - handed to the main thread
            put(w, _Failure(error, w))

    for w in range(n):
        threading.Thread(target=loop, args=(w,), daemon=True).start()
    active = list(range(n))
    try:
        while active:
            for w in list(active):
                value = _get(outputs[w], timeout)
                if value is _DONE:
                    active.remove(w)
                elif isinstance(value, _Failure):
                    _raise(value)
                else:
                    yield value
    finally:
        stop.set()
