"""Callbacks: hooks that ``Trainer`` calls at the end of every epoch.

A callback may set ``trainer.stop_reason`` to end training after the current epoch.
"""

from __future__ import annotations

import math
import os
from typing import Any

from .. import _validate


class Callback:
    """Base class; override the hooks you need."""

    def on_train_begin(self, trainer) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, trainer, record: dict[str, Any]) -> None:
        """Called after each epoch with its metrics."""

    def on_epoch_commit(self, trainer, record: dict[str, Any]) -> None:
        """Called after every callback's ``on_epoch_end``: checkpoints written here hold all
        callbacks' updated state (write files here, decide things in ``on_epoch_end``)."""

    def on_train_end(self, trainer) -> None:
        """Called once after the last epoch."""

    def on_interrupt(self, trainer) -> None:
        """Called when a stop request (see :class:`StopOnSignal`) ends training between two
        steps; ``trainer.save_checkpoint`` then stores the partial epoch."""

    def state_dict(self) -> dict[str, Any]:
        """What this callback must remember across a resume (JSON values or arrays)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output; called only after :meth:`check_state`."""

    def check_state(self, state: Any) -> None:
        """Raise ValueError if ``state`` cannot be loaded; changes nothing."""
        if not isinstance(state, dict):
            raise ValueError(f"{type(self).__name__} state must be a dict; got "
                             f"{type(state).__name__}")


def _encode(value: float) -> float | str:
    """JSON has no infinities: store +-inf (the 'nothing seen yet' best) as a string."""
    return value if math.isfinite(value) else str(value)


def _decode(value: Any, name: str) -> float:
    if isinstance(value, str) and value in ("inf", "-inf"):
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ValueError(f"checkpoint callback state {name!r} must be a number; got {value!r}")
    return float(value)


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    Parameters
    ----------
    monitor : str, default "val_loss"
        A History column.
    patience : int, default 3
    min_delta : float, default 0.0
    mode : {"min", "max"}, default: "max" for accuracies, else "min"
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 3, min_delta: float = 0.0,
                 mode: str | None = None) -> None:
        self.monitor = monitor
        self.patience = _validate.positive_int(patience, "patience")
        self.min_delta = _validate.real_number(min_delta, "min_delta", low=0.0)
        self.mode = _validate.one_of(mode or ("max" if "accuracy" in monitor else "min"),
                                     ("min", "max"), "mode")
        self.best = math.inf if self.mode == "min" else -math.inf
        self.waited = 0

    def state_dict(self) -> dict[str, Any]:
        return {"best": _encode(self.best), "waited": self.waited}

    def check_state(self, state: Any) -> None:
        super().check_state(state)
        _decode(state.get("best"), "best")
        waited = state.get("waited")
        if isinstance(waited, bool) or not isinstance(waited, int) or waited < 0:
            raise ValueError(f"checkpoint callback state 'waited' must be an int >= 0; "
                             f"got {waited!r}")

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.waited = _decode(state["best"], "best"), int(state["waited"])

    def improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, trainer, record: dict[str, Any]) -> None:
        value = record.get(self.monitor)
        if value is None:
            raise ValueError(f"EarlyStopping monitors {self.monitor!r}, which this run does not "
                             f"record (pass validation data to monitor val_* metrics)")
        if self.improved(value):
            self.best, self.waited = value, 0
            return
        self.waited += 1
        if self.waited >= self.patience:
            trainer.stop_reason = (f"early stopping: {self.monitor} did not improve for "
                                   f"{self.patience} epochs (best {self.best:.4f})")


class ModelCheckpoint(Callback):
    """Write ``last.ckpt`` after every epoch and ``best.ckpt`` when ``monitor`` improves.

    Both are full training checkpoints (model, optimizer, scheduler, history, RNG), written
    atomically, so ``fit(..., resume=path)`` can continue from either.
    """

    def __init__(self, directory: str | os.PathLike, monitor: str = "val_loss",
                 mode: str | None = None, save_best: bool = True, save_last: bool = True) -> None:
        self.directory = os.fspath(directory)
        self.monitor = monitor
        self.save_best = save_best
        self.save_last = save_last
        self._tracker = EarlyStopping(monitor, patience=1, mode=mode)

    def state_dict(self) -> dict[str, Any]:
        return {"best": _encode(self._tracker.best)}

    def check_state(self, state: Any) -> None:
        super().check_state(state)
        _decode(state.get("best"), "best")

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._tracker.best = _decode(state["best"], "best")

    def on_interrupt(self, trainer) -> None:
        if self.save_last:
            os.makedirs(self.directory, exist_ok=True)
            trainer.save_checkpoint(self.last_path)

    @property
    def last_path(self) -> str:
        return os.path.join(self.directory, "last.ckpt")

    @property
    def best_path(self) -> str:
        return os.path.join(self.directory, "best.ckpt")

    def on_epoch_end(self, trainer, record: dict[str, Any]) -> None:
        # Decide here, write in on_epoch_commit: the files then hold every callback's state
        # after this epoch (the best value included), so a resume cannot overwrite best.ckpt
        # with a worse model.
        value = record.get(self.monitor)
        if value is None and self.monitor.startswith("val_"):
            value = record.get("train_" + self.monitor[4:])  # no validation data: use training
        self._improved = value is not None and self._tracker.improved(value)
        if self._improved:
            self._tracker.best = value

    def on_epoch_commit(self, trainer, record: dict[str, Any]) -> None:
        os.makedirs(self.directory, exist_ok=True)
        if self.save_best and getattr(self, "_improved", False):
            trainer.save_checkpoint(self.best_path)
        if self.save_last:  # last, so a kill between the two leaves best.ckpt no newer
            trainer.save_checkpoint(self.last_path)


class LRScheduler(Callback):
    """Step a learning-rate scheduler once per epoch (``Trainer`` steps per-batch ones itself)."""

    def __init__(self, scheduler) -> None:
        self.scheduler = scheduler

    def state_dict(self) -> dict[str, Any]:
        return {"scheduler": self.scheduler.state_dict()}

    def check_state(self, state: Any) -> None:
        super().check_state(state)
        if not isinstance(state.get("scheduler"), dict):
            raise ValueError("checkpoint callback state of LRScheduler lacks its scheduler")

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.scheduler.load_state_dict(state["scheduler"])

    def on_epoch_end(self, trainer, record: dict[str, Any]) -> None:
        self.scheduler.step()
