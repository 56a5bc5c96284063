"""Measured engine choice, opt-in like ``torch.backends.cudnn.benchmark``.

With ``autotune(True)``, the first ``algorithm="auto"`` convolution of each distinct shape
times every engine that supports it (on random data of that shape, forward and, when
training, backward) and remembers the fastest; later calls of that shape reuse the winner.
Engines the cost model prices above ``_SKIP_FACTOR`` times the cheapest are not timed.
The results of a convolution stay deterministic for a given engine, but which engine wins
can differ between runs, so autotuning is off by default.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from .context import ConvContext
from .geometry import ConvSpec

_SKIP_FACTOR = 20.0
_REPEATS = 2

_enabled = False
_winners: dict[tuple, str] = {}


def autotune(enabled: bool | None = None) -> bool:
    """Turn measured engine choice on or off; return whether it is on.

    Parameters
    ----------
    enabled : bool, optional
        ``True`` to time candidates once per shape, ``False`` to use the cost model only;
        leave out to just query.

    Returns
    -------
    bool
        Whether autotuning is on (after the change).

    Examples
    --------
    >>> from convlens import conv
    >>> conv.autotune()
    False
    """
    global _enabled
    if enabled is not None:
        if not isinstance(enabled, bool):
            raise TypeError(f"enabled must be a bool or None; got {type(enabled).__name__}")
        _enabled = enabled
    return _enabled


def clear() -> None:
    """Forget every measured winner."""
    _winners.clear()


def winners() -> dict[tuple, str]:
    """A copy of the measured winners, keyed by (x_shape, w_shape, spec, dtype, training)."""
    return dict(_winners)


def best(key: tuple, candidates: dict[str, float],
         engines: dict[str, object]) -> str:
    """The measured-fastest engine for ``key``; times the candidates on the first call.

    ``candidates`` maps each supported engine to its estimated seconds.
    """
    if key in _winners:
        return _winners[key]
    x_shape, w_shape, spec, dtype, training = key
    cheapest = min(candidates.values())
    timings = {name: _time(engines[name], x_shape, w_shape, spec, np.dtype(dtype), training)
               for name, cost in candidates.items() if cost <= _SKIP_FACTOR * cheapest}
    _winners[key] = min(timings, key=timings.get)
    return _winners[key]


def _time(engine, x_shape: tuple[int, ...], w_shape: tuple[int, ...], spec: ConvSpec,
          dtype: np.dtype, training: bool) -> float:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)

    def run() -> None:
        ctx = ConvContext(save=training)
        y = engine.forward(x, w, spec, ctx=ctx)
        if training:
            engine.grad_input(y, w, x_shape, spec, ctx=ctx)
            engine.grad_weight(y, x, w_shape, spec, ctx=ctx)

    return _best_of(run, _REPEATS)


def _best_of(run: Callable[[], None], repeats: int) -> float:
    run()                                   # warm-up: caches, page faults
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)
