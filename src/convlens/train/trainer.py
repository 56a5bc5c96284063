"""``Trainer``: the epoch loop under :func:`convlens.fit`.

One epoch: for every batch, forward, loss, a finite-loss check, backward, optimizer step
(and a per-step scheduler step); then validation (a non-finite validation loss raises
:class:`TrainingDiverged` too), the history record, the callbacks' ``on_epoch_end`` and then
their ``on_epoch_commit`` (where checkpoints are written). A stop request
(:meth:`Trainer.request_stop`, e.g. from :class:`StopOnSignal`) is honoured between steps.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import functional as F
from ..autograd import no_grad
from . import _restore
from .callbacks import Callback
from .checkpoint import load_training_state, save_training_state
from .history import History
from .interrupt import TrainingInterrupted
from .progress import Progress

STEP_SCHEDULERS = ("OneCycleLR",)


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; training stopped before applying that step."""


def evaluate(model, loader, loss: Callable = F.cross_entropy) -> dict[str, float]:
    """Mean loss and accuracy of ``model`` over ``loader``, in eval mode and without a graph."""
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with no_grad():
        for x, y in loader:
            logits = model(x)
            total_loss += float(loss(logits, y).item()) * len(y)
            correct += int((logits._data.argmax(axis=1) == y._data).sum())
            count += len(y)
    model.train(was_training)
    if count == 0:
        raise ValueError("evaluate needs a loader with at least one sample")
    return {"loss": total_loss / count, "accuracy": correct / count}


class Trainer:
    """Runs epochs of training with callbacks, checkpoints, progress and a NaN guard."""

    def __init__(self, model, optimizer, loss: Callable = F.cross_entropy, scheduler=None,
                 callbacks: Sequence[Callback] = (), seed: int = 0, progress: bool = True,
                 scheduler_interval: str | None = None) -> None:
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.scheduler = scheduler
        self.callbacks = list(callbacks)
        self.seed = seed
        self.progress_enabled = progress
        self.scheduler_interval = scheduler_interval or (
            "step" if type(scheduler).__name__ in STEP_SCHEDULERS else "epoch")
        self.history = History()
        self.epoch = -1               # last finished epoch
        self.stop_reason = ""
        self._loader_epoch = 0
        self._partial: dict[str, Any] | None = None  # steps done in the epoch in progress
        self._stop_requested = ""
        self._epochs = 0

    def request_stop(self, reason: str = "request") -> None:
        """Stop before the next optimizer step (safe to call from a signal handler)."""
        self._stop_requested = reason or "request"

    # -- checkpoints ------------------------------------------------------------------
    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Write model, optimizer, scheduler, history, RNG, callbacks' state and, after an
        interrupt, the partial epoch: enough to resume bit for bit."""
        save_training_state(
            path, model=self.model, optimizer=self.optimizer, scheduler=self.scheduler,
            epoch=self.epoch, history=self.history, seed=self.seed,
            loader_epoch=self._loader_epoch, partial=self._partial,
            callbacks=[[type(cb).__name__, cb.state_dict()] for cb in self.callbacks])

    def restore(self, path: str | os.PathLike) -> None:
        """Load model, optimizer, scheduler, history, RNG and callbacks' state from a checkpoint.

        Everything is checked before anything is changed; if loading fails, the model, the
        optimizer and the callbacks are left as they were.

        Raises
        ------
        ValueError
            If the checkpoint is malformed, was written with another seed, or does not fit
            this model, optimizer or list of callbacks.
        """
        state = load_training_state(path)
        _restore.apply(self, _restore.check(self, state, os.fspath(path)))

    # -- the loop ---------------------------------------------------------------------
    def fit(self, train_loader, val_loader=None, epochs: int = 10,
            resume: str | os.PathLike | None = None) -> History:
        if resume is not None:
            self.restore(resume)
        self._epochs = epochs
        progress = Progress(epochs, len(train_loader), enabled=self.progress_enabled)
        for callback in self.callbacks:
            callback.on_train_begin(self)
        first = epochs if self.history.stopped_early else self.epoch + 1  # a finished run
        for epoch in range(first, epochs):
            started = time.perf_counter() - (self._partial or {}).get("seconds", 0.0)
            progress.start_epoch(epoch)
            record = {"epoch": epoch, **self._train_epoch(train_loader, epoch, progress)}
            if val_loader is not None:
                metrics = evaluate(self.model, val_loader, self.loss)
                _check_finite(metrics["loss"], f"the validation loss became "
                              f"{metrics['loss']} after epoch {epoch + 1}")
                record.update(val_loss=metrics["loss"], val_accuracy=metrics["accuracy"])
            record["seconds"] = time.perf_counter() - started
            self.epoch, self._partial = epoch, None
            self.history.append(record)
            progress.end_epoch(record)
            for callback in self.callbacks:
                callback.on_epoch_end(self, record)
            if self.stop_reason:
                self.history.stopped_early, self.history.stop_reason = True, self.stop_reason
            for callback in self.callbacks:
                callback.on_epoch_commit(self, record)
            if self.stop_reason:
                progress.message(self.stop_reason)
                break
        for callback in self.callbacks:
            callback.on_train_end(self)
        return self.history

    def _interrupt(self, epoch: int, progress: Progress) -> None:
        progress.close()
        for callback in self.callbacks:
            callback.on_interrupt(self)
        raise TrainingInterrupted(epoch + 1, self._epochs, self._stop_requested)

    def _train_epoch(self, loader, epoch: int, progress: Progress) -> dict[str, Any]:
        self.model.train()
        if hasattr(loader, "set_epoch"):
            loader.set_epoch(self._loader_epoch)
        partial = self._partial or {"step": 0, "total_loss": 0.0, "correct": 0, "count": 0,
                                    "lr": self.optimizer.param_groups[0]["lr"], "seconds": 0.0}
        first = partial["step"]
        total_loss, correct, count = partial["total_loss"], partial["correct"], partial["count"]
        started = time.perf_counter() - partial["seconds"]
        for step, (x, y) in enumerate(loader):
            if step < first:          # done before the interrupt: the same batches, skipped
                continue
            if self._stop_requested:
                self._partial = {"step": step, "total_loss": total_loss, "correct": correct,
                                 "count": count, "lr": partial["lr"],
                                 "seconds": time.perf_counter() - started}
                self._interrupt(epoch, progress)
            logits = self.model(x)
            loss = self.loss(logits, y)
            value = float(loss.item())
            _check_finite(value, f"loss became {value} at epoch {epoch + 1}, step {step + 1}; "
                                 f"the step was not applied")
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            if self.scheduler is not None and self.scheduler_interval == "step":
                self.scheduler.step()
            total_loss += value * len(y)
            if logits.ndim == 2:
                correct += int((np.argmax(logits._data, axis=1) == y._data).sum())
            count += len(y)
            progress.step(value)
        self._loader_epoch += 1
        if self.scheduler is not None and self.scheduler_interval == "epoch":
            self.scheduler.step()
        return {"train_loss": total_loss / max(count, 1),
                "train_accuracy": correct / max(count, 1), "lr": partial["lr"]}


def _check_finite(value: float, what: str) -> None:
    if not math.isfinite(value):
        raise TrainingDiverged(
            f"{what} and earlier checkpoints were kept. Check the inputs for NaN or Inf "
            f"values, or try a lower learning rate.")
