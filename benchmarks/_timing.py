"""Shared helpers for the conv benchmarks: configs, thread limits and interleaved timing.

The machine these run on is shared, so absolute times are noisy. Every benchmark times the
contenders it compares *interleaved* (one repeat of each in turn, several rounds) in one
process with one thread count, and reports medians; ratios measured this way are what the
docs quote.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFIGS = HERE / "conv_configs.json"


def load_configs(path: Path = CONFIGS) -> list[dict]:
    """Every layer in the configs file, each with ``nd`` (1 or 2) added."""
    data = json.loads(Path(path).read_text())
    return [{**c, "nd": int(key[4])} for key in ("conv2d", "conv1d") for c in data.get(key, [])]


def conv_args(config: dict) -> dict:
    return {"stride": config.get("stride", 1), "padding": config.get("padding", 0),
            "dilation": config.get("dilation", 1), "groups": config.get("groups", 1)}


@contextlib.contextmanager
def threads(count: int) -> Iterator[None]:
    """Limit BLAS, torch, scipy.fft workers and convlens' pool to ``count`` threads."""
    from threadpoolctl import threadpool_limits

    import convlens.conv as conv

    previous = conv.get_num_threads()
    conv.set_num_threads(count)
    try:
        import torch

        torch.set_num_threads(count)
    except ImportError:
        pass
    with threadpool_limits(count):
        try:
            yield
        finally:
            conv.set_num_threads(previous)


def default_threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def interleaved(contenders: dict[str, Callable[[], object]], repeats: int,
                warmup: int = 1, budget_s: float = 60.0, block: int = 3, pause: float = 0.05
                ) -> dict[str, list[float]]:
    """Seconds per call of each contender: ``repeats`` rounds, each running every contender
    ``block`` times in a row (after warm-up).

    Rounds interleave the contenders, so load from other processes hits them alike. After
    each block the timer sleeps ``pause`` seconds (untimed), so that one library's worker
    threads, which spin for a while after a call (OpenMP, OpenBLAS), have gone idle before
    the next contender starts; the median discards what is left of that. Stops early
    (keeping at least 3 rounds) once ``budget_s`` seconds have been spent.
    """
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    start = time.perf_counter()
    for round_ in range(repeats):
        for name, fn in contenders.items():
            for _ in range(block):
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
            time.sleep(pause)
        if round_ >= 2 and time.perf_counter() - start > budget_s:
            break
    return times
