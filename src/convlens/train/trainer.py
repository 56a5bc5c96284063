"""``Trainer``: the epoch loop under :func:`convlens.fit`.

One epoch: for every batch, forward, loss, a finite-loss check, backward, optimizer step
(and a per-step scheduler step); then validation, the history record, callbacks.
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
from .callbacks import Callback
from .checkpoint import load_training_state, restore_rng, save_training_state
from .history import History
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

    # -- checkpoints ------------------------------------------------------------------
    def save_checkpoint(self, path: str | os.PathLike) -> None:
        save_training_state(path, model=self.model, optimizer=self.optimizer,
                            scheduler=self.scheduler, epoch=self.epoch, history=self.history,
                            seed=self.seed, loader_epoch=self._loader_epoch)

    def restore(self, path: str | os.PathLike) -> None:
        """Load model, optimizer, scheduler, history and RNG state from a checkpoint."""
        state = load_training_state(path)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state["scheduler"] is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.history = History.from_dict(state["history"])
        self.epoch = int(state["epoch"])
        self._loader_epoch = int(state["loader_epoch"])
        restore_rng(state["rng"])

    # -- the loop ---------------------------------------------------------------------
    def fit(self, train_loader, val_loader=None, epochs: int = 10,
            resume: str | os.PathLike | None = None) -> History:
        if resume is not None:
            self.restore(resume)
        progress = Progress(epochs, len(train_loader), enabled=self.progress_enabled)
        for callback in self.callbacks:
            callback.on_train_begin(self)
        for epoch in range(self.epoch + 1, epochs):
            started = time.perf_counter()
            progress.start_epoch(epoch)
            record = {"epoch": epoch, **self._train_epoch(train_loader, epoch, progress)}
            if val_loader is not None:
                metrics = evaluate(self.model, val_loader, self.loss)
                record.update(val_loss=metrics["loss"], val_accuracy=metrics["accuracy"])
            record["seconds"] = time.perf_counter() - started
            self.epoch = epoch
            self.history.append(record)
            progress.end_epoch(record)
            for callback in self.callbacks:
                callback.on_epoch_end(self, record)
            if self.stop_reason:
                self.history.stopped_early, self.history.stop_reason = True, self.stop_reason
                progress.message(self.stop_reason)
                break
        for callback in self.callbacks:
            callback.on_train_end(self)
        return self.history

    def _train_epoch(self, loader, epoch: int, progress: Progress) -> dict[str, Any]:
        self.model.train()
        if hasattr(loader, "set_epoch"):
            loader.set_epoch(self._loader_epoch)
        lr = self.optimizer.param_groups[0]["lr"]
        total_loss, correct, count = 0.0, 0, 0
        for step, (x, y) in enumerate(loader):
            logits = self.model(x)
            loss = self.loss(logits, y)
            value = float(loss.item())
            if not math.isfinite(value):
                raise TrainingDiverged(
                    f"loss became {value} at epoch {epoch + 1}, step {step + 1}; the step was "
                    f"not applied and earlier checkpoints were kept. Check the inputs for NaN or "
                    f"Inf values, or try a lower learning rate."
                )
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
                "train_accuracy": correct / max(count, 1), "lr": lr}
