"""Stopping a run cleanly: SIGINT/SIGTERM end training at the next step boundary.

    with StopOnSignal() as stop:
        try:
            cl.fit(model, train, epochs=10, checkpoint_dir="runs/x", callbacks=[stop])
        except TrainingInterrupted as interrupted:
            print(interrupted)          # "interrupted at epoch 3/10"

The signal handler only sets a flag; the trainer checks it between optimizer steps, calls
every callback's ``on_interrupt`` (``ModelCheckpoint`` writes ``last.ckpt`` holding the
partial epoch) and raises :class:`TrainingInterrupted`. ``fit(resume=...)`` then continues
from that exact step. A second signal while stopping raises ``KeyboardInterrupt`` at once;
the files already written stay valid, since every one of them is written atomically.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from .callbacks import Callback


class TrainingInterrupted(Exception):
    """Training stopped on request between two steps; the state was handed to callbacks.

    Attributes
    ----------
    epoch : int
        The epoch in progress, counted from 1.
    epochs : int
        The number of epochs the run was asked for.
    signal_name : str
        "SIGINT", "SIGTERM", or "request" when :meth:`Trainer.request_stop` was called.
    """

    def __init__(self, epoch: int, epochs: int, signal_name: str = "request") -> None:
        super().__init__(f"interrupted at epoch {epoch}/{epochs}")
        self.epoch, self.epochs, self.signal_name = epoch, epochs, signal_name


class StopOnSignal(Callback):
    """A context manager and callback: while active, SIGINT/SIGTERM request a clean stop.

    Handlers are installed on ``__enter__`` (only in the main thread, where Python delivers
    signals) and the previous ones restored on ``__exit__``.
    """

    def __init__(self, signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> None:
        self.signals = tuple(signals)
        self.requested = ""
        self._trainer = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:  # asked twice: stop now
            raise KeyboardInterrupt
        self.requested = signal.Signals(signum).name
        if self._trainer is not None:
            self._trainer.request_stop(self.requested)

    def __enter__(self) -> StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._handle) for sig in self.signals}
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}

    def on_train_begin(self, trainer) -> None:
        self._trainer = trainer
        if self.requested:
            trainer.request_stop(self.requested)

    def on_train_end(self, trainer) -> None:
        self._trainer = None
