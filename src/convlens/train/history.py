"""``History``: what ``fit`` measured, one record per epoch."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from typing import Any

from .._atomic import atomic_write

COLUMNS = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds")


@dataclass
class History:
    """Per-epoch metrics of a training run.

    ``records`` is a list of dicts with the keys in ``COLUMNS`` (``val_*`` are None without
    validation data). ``stopped_early`` and ``stop_reason`` say why training ended early.
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    stopped_early: bool = False
    stop_reason: str = ""

    def append(self, record: dict[str, Any]) -> None:
        self.records.append({key: record.get(key) for key in COLUMNS})

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, key: str) -> list[Any]:
        """The column ``key`` as a list, e.g. ``history["val_accuracy"]``."""
        if key not in COLUMNS:
            raise KeyError(f"History has columns {COLUMNS}; got {key!r}")
        return [record[key] for record in self.records]

    @property
    def last(self) -> dict[str, Any]:
        if not self.records:
            raise ValueError("History is empty: no epoch has finished")
        return self.records[-1]

    def to_csv(self, path: str | os.PathLike) -> None:
        """Write one row per epoch with a header line, atomically.

        The ``epoch`` column counts from 1, as the console does (records count from 0).
        """
        with atomic_write(path, "w") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows({**record, "epoch": record["epoch"] + 1}
                             for record in self.records)

    def to_dict(self) -> dict[str, Any]:
        return {"records": self.records, "stopped_early": self.stopped_early,
                "stop_reason": self.stop_reason}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        history = cls(stopped_early=bool(data.get("stopped_early", False)),
                      stop_reason=str(data.get("stop_reason", "")))
        for record in data.get("records", []):
            history.append(record)
        return history
