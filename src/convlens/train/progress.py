"""Progress reporting: a tqdm bar on a terminal (if tqdm is installed), else one line per epoch."""

from __future__ import annotations

import sys
from typing import Any, TextIO


class Progress:
    """Reports steps and epochs. ``enabled=False`` prints nothing."""

    def __init__(self, total_epochs: int, steps_per_epoch: int, enabled: bool = True,
                 stream: TextIO | None = None) -> None:
        self.total_epochs = total_epochs
        self.steps_per_epoch = steps_per_epoch
        self.enabled = enabled
        self.stream = stream or sys.stdout
        self._bar = None

    def _use_bar(self) -> bool:
        if not (self.enabled and hasattr(self.stream, "isatty") and self.stream.isatty()):
            return False
        try:
            import tqdm  # noqa: F401
        except ImportError:
            return False
        return True

    def start_epoch(self, epoch: int) -> None:
        if self._use_bar():
            from tqdm import tqdm

            self._bar = tqdm(total=self.steps_per_epoch, file=self.stream, leave=False,
                             desc=f"epoch {epoch + 1}/{self.total_epochs}")

    def step(self, loss: float) -> None:
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(loss=f"{loss:.4f}")

    def end_epoch(self, record: dict[str, Any]) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if not self.enabled:
            return
        parts = [f"epoch {record['epoch'] + 1}/{self.total_epochs}",
                 f"loss {record['train_loss']:.4f}", f"acc {record['train_accuracy']:.4f}"]
        if record.get("val_loss") is not None:
            parts += [f"val_loss {record['val_loss']:.4f}", f"val_acc {record['val_accuracy']:.4f}"]
        parts.append(f"{record['seconds']:.1f}s")
        print("  ".join(parts), file=self.stream, flush=True)

    def close(self) -> None:
        """Remove the bar of an epoch that ends early (an interrupt)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def message(self, text: str) -> None:
        if self.enabled:
            print(text, file=self.stream, flush=True)
