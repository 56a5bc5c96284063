"""Resuming from a training checkpoint: check everything first, then apply.

A checkpoint is untrusted input. :func:`check` validates every part of the state against the
trainer (seed, counters, history, RNG, partial epoch, callbacks, model keys and shapes) and
changes nothing; :func:`apply` then loads the optimizer, scheduler and callbacks (undoing
them if one still refuses) and the model's weights last, so a bad checkpoint never leaves the
model with overwritten weights.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from .. import random as _random
from .history import History


def _int(value: Any, name: str, path: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{path!r}: {name} must be an int >= {low}; got {value!r}")
    return value


def _number(value: Any, name: str, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{path!r}: {name} must be a finite number; got {value!r}")
    return float(value)


def _partial(value: Any, path: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"{path!r}: partial must be null or a dict; got {value!r}")
    return {"step": _int(value.get("step"), "partial.step", path, 0),
            "correct": _int(value.get("correct"), "partial.correct", path, 0),
            "count": _int(value.get("count"), "partial.count", path, 0),
            **{key: _number(value.get(key), f"partial.{key}", path)
               for key in ("total_loss", "lr", "seconds")}}


def _rng(value: Any, path: str) -> dict[str, Any]:
    generator = _random.default_generator()
    probe = type(generator.bit_generator)()
    try:
        probe.state = value
    except (TypeError, ValueError, KeyError, OverflowError) as error:
        raise ValueError(f"{path!r}: the stored random generator state is invalid: "
                         f"{error}") from None
    return probe.state


def _history(value: Any, path: str) -> History:
    try:
        if not isinstance(value, dict) or not isinstance(value.get("records", []), list):
            raise TypeError("not a dict with a list of records")
        history = History.from_dict(value)
        if not all(isinstance(record, dict) for record in value.get("records", [])):
            raise TypeError("a record is not a dict")
    except (TypeError, ValueError, AttributeError) as error:
        raise ValueError(f"{path!r}: the stored history is malformed: {error}") from None
    return history


def _callbacks(trainer, value: Any, path: str) -> list[Any]:
    """The stored state for each of the trainer's callbacks (None where there is none).

    Stored states are matched to callbacks by type, in order: the k-th EarlyStopping of this
    run gets the k-th stored EarlyStopping state. Callbacks the checkpoint did not have start
    fresh; stored states with no matching callback are ignored.
    """
    if not isinstance(value, list) or not all(
            isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
            for item in value):
        raise ValueError(f"{path!r}: callbacks must be a list of [name, state] pairs")
    queues: dict[str, list[Any]] = {}
    for name, state in value:
        queues.setdefault(name, []).append(state)
    states = []
    for callback in trainer.callbacks:
        queue = queues.get(type(callback).__name__, [])
        state = queue.pop(0) if queue else None
        if state is not None:
            try:
                callback.check_state(state)
            except ValueError as error:
                raise ValueError(f"{path!r}: {error}") from None
        states.append(state)
    return states


def _model(trainer, value: Any, path: str) -> dict[str, np.ndarray]:
    targets = trainer.model.state_dict()
    if not isinstance(value, dict) or set(value) != set(targets):
        keys = sorted(value) if isinstance(value, dict) else type(value).__name__
        raise ValueError(f"{path!r}: the stored model has the keys {keys}; this model has "
                         f"{sorted(targets)}")
    for key, array in value.items():
        shape = tuple(targets[key].shape)
        if not isinstance(array, np.ndarray) or array.shape != shape or not (
                np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
            got = array.shape if isinstance(array, np.ndarray) else type(array).__name__
            raise ValueError(f"{path!r}: the stored {key!r} must be a numeric array of shape "
                             f"{shape}; got {got}")
    return value


def check(trainer, state: dict[str, Any], path: str) -> dict[str, Any]:
    """Validate a loaded training state against ``trainer``; change nothing."""
    seed = state.get("seed")
    if seed != trainer.seed:
        raise ValueError(f"{path!r} was trained with seed={seed!r}; this run has "
                         f"seed={trainer.seed!r}. Resume with the stored seed (a different "
                         f"seed would change the data order)")
    if (state.get("scheduler") is None) != (trainer.scheduler is None):
        raise ValueError(f"{path!r} {'has no' if state.get('scheduler') is None else 'has a'} "
                         f"scheduler state, but this run "
                         f"{'has' if trainer.scheduler is not None else 'has no'} scheduler")
    return {
        "epoch": _int(state.get("epoch"), "epoch", path, -1),
        "loader_epoch": _int(state.get("loader_epoch"), "loader_epoch", path, 0),
        "partial": _partial(state.get("partial"), path),
        "history": _history(state.get("history"), path),
        "rng": _rng(state.get("rng"), path),
        "callbacks": _callbacks(trainer, state.get("callbacks", []), path),
        "model": _model(trainer, state.get("model"), path),
        "optimizer": state.get("optimizer"), "scheduler": state.get("scheduler"),
    }


def apply(trainer, checked: dict[str, Any]) -> None:
    """Load a state that :func:`check` accepted; the model's weights are written last."""
    saved = {"optimizer": copy.deepcopy(trainer.optimizer.state_dict()),
             "scheduler": None if trainer.scheduler is None
             else copy.deepcopy(trainer.scheduler.state_dict()),
             "callbacks": [copy.deepcopy(cb.state_dict()) for cb in trainer.callbacks]}
    try:
        trainer.optimizer.load_state_dict(checked["optimizer"])
        if trainer.scheduler is not None:
            trainer.scheduler.load_state_dict(checked["scheduler"])
        for callback, state in zip(trainer.callbacks, checked["callbacks"]):
            if state is not None:
                callback.load_state_dict(state)
        trainer.model.load_state_dict(checked["model"])
    except Exception as error:
        trainer.optimizer.load_state_dict(saved["optimizer"])
        if trainer.scheduler is not None:
            trainer.scheduler.load_state_dict(saved["scheduler"])
        for callback, state in zip(trainer.callbacks, saved["callbacks"]):
            callback.load_state_dict(state)
        if isinstance(error, ValueError | TypeError):
            raise ValueError(f"the checkpoint does not fit this run: {error}") from None
        raise
    trainer.history = checked["history"]
    trainer.epoch, trainer._loader_epoch = checked["epoch"], checked["loader_epoch"]
    trainer._partial = checked["partial"]
    _random.default_generator().bit_generator.state = checked["rng"]
