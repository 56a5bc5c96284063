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

    def on_train_end(self, trainer) -> None:
        """Called once after the last epoch."""


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

    @property
    def last_path(self) -> str:
        return os.path.join(self.directory, "last.ckpt")

    @property
    def best_path(self) -> str:
        return os.path.join(self.directory, "best.ckpt")

    def on_epoch_end(self, trainer, record: dict[str, Any]) -> None:
        os.makedirs(self.directory, exist_ok=True)
        if self.save_last:
            trainer.save_checkpoint(self.last_path)
        value = record.get(self.monitor)
        if value is None and self.monitor.startswith("val_"):
            value = record.get("train_" + self.monitor[4:])  # no validation data: use training
        if self.save_best and value is not None and self._tracker.improved(value):
            self._tracker.best = value
            trainer.save_checkpoint(self.best_path)


class LRScheduler(Callback):
    """Step a learning-rate scheduler once per epoch (``Trainer`` steps per-batch ones itself)."""

    def __init__(self, scheduler) -> None:
        self.scheduler = scheduler

    def on_epoch_end(self, trainer, record: dict[str, Any]) -> None:
        self.scheduler.step()
