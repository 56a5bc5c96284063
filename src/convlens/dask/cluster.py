"""``connect``: a ``dask.distributed`` client for ``--scheduler local|ADDRESS``."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from ._imports import require


@contextlib.contextmanager
def connect(scheduler: str, n_workers: int | None = None) -> Iterator[Any]:
    """A ``distributed.Client`` for the duration of a ``with`` block.

    Parameters
    ----------
    scheduler : str
        ``"local"`` starts a ``LocalCluster`` on this machine (one single-threaded worker
        process per core, or ``n_workers``) and stops it on exit; anything else is the address
        of a running ``dask.distributed`` scheduler (``tcp://host:8786``), which is joined and
        left running.
    n_workers : int, optional
        Worker processes for ``"local"`` (default: the number of cores).

    Yields
    ------
    distributed.Client
        Also the default scheduler for ``.compute()`` inside the block.

    Raises
    ------
    ValueError
        An empty ``scheduler`` or a non-positive ``n_workers``.
    ImportError
        When ``distributed`` is not installed.
    """
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise ValueError(f"scheduler must be 'local' or a scheduler address such as "
                         f"'tcp://127.0.0.1:8786'; got {scheduler!r}")
    if n_workers is not None and (isinstance(n_workers, bool) or not isinstance(n_workers, int)
                                  or n_workers <= 0):
        raise ValueError(f"n_workers must be a positive int; got {n_workers!r}")
    distributed = require("distributed")
    if scheduler == "local":
        workers = n_workers or os.cpu_count() or 1
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            yield client
    else:
        with distributed.Client(scheduler, timeout="10s") as client:
            yield client
