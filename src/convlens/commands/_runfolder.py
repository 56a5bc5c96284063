"""Writing a run folder safely: one writer at a time, atomic files, no stale temp files.

``convlens train`` holds :class:`RunLock` while it writes; :class:`RunFiles` (a callback)
rewrites ``model.convlens`` and ``history.csv`` after every epoch and at an interrupt, before
``ModelCheckpoint`` writes ``best.ckpt``/``last.ckpt``. Every file goes through
:func:`convlens._atomic.atomic_write`, so a ``kill -9`` leaves the previous complete version.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

from .._atomic import atomic_write, is_temp_file
from ..io.runs import MODEL_FILE
from ..train import Callback

LOCK_FILE = ".lock"


def is_bookkeeping(name: str) -> bool:
    """Files a run folder may hold that are not results: the lock and stale temp files."""
    return name == LOCK_FILE or is_temp_file(name)


def remove_stale_temp_files(folder: str) -> list[str]:
    """Delete temp files a killed writer left behind (call while holding the lock)."""
    removed = []
    for name in os.listdir(folder):
        if is_temp_file(name):
            os.remove(os.path.join(folder, name))
            removed.append(name)
    return removed


class RunLock:
    """An exclusive lock on a run folder (``fcntl.flock`` on ``<folder>/.lock``).

    The kernel drops the lock when the process dies, even by ``kill -9``, so a stale lock file
    never blocks a resume. Where ``fcntl`` is missing, the file is created exclusively instead.
    """

    def __init__(self, folder: str, flag: str = "--out") -> None:
        self.path = os.path.join(folder, LOCK_FILE)
        self.folder, self.flag = folder, flag
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            fcntl = None
        flags = os.O_RDWR | os.O_CREAT | (0 if fcntl else os.O_EXCL)
        try:
            fd = os.open(self.path, flags, 0o644)
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if not _same_file(fd, self.path):  # the holder removed it as we opened it
                    raise BlockingIOError
        except (BlockingIOError, FileExistsError):
            if "fd" in locals():
                os.close(fd)
            raise FileExistsError(f"another convlens train is writing to {self.flag} "
                               f"{self.folder!r} (it holds {self.path!r}); wait for it to "
                               "finish or choose another folder") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            try:
                os.remove(self.path)  # still locked: nobody else can be using the file
            except FileNotFoundError:
                pass
            os.close(self._fd)
            self._fd = None


def _same_file(fd: int, path: str) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def finite_or_null(values: dict[str, Any]) -> dict[str, Any]:
    """JSON has no NaN or infinity: write them as null and list their keys in ``non_finite``."""
    out, bad = {}, []
    for key, value in values.items():
        if isinstance(value, float) and not math.isfinite(value):
            out[key] = None
            bad.append(key)
        else:
            out[key] = value
    if bad:
        out["non_finite"] = bad
    return out


def write_json(path: str, data: Any) -> None:
    """Write strict JSON atomically (NaN or infinity is an error: use :func:`finite_or_null`)."""
    with atomic_write(path, "w") as stream:
        json.dump(data, stream, indent=2, allow_nan=False)
        stream.write("\n")


class RunFiles(Callback):
    """Rewrite ``model.convlens`` and ``history.csv`` after every epoch and at an interrupt."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def _write(self, trainer) -> None:
        import convlens as cl

        cl.save(trainer.model, os.path.join(self.folder, MODEL_FILE))
        trainer.history.to_csv(os.path.join(self.folder, "history.csv"))

    def on_epoch_commit(self, trainer, record: dict[str, Any]) -> None:
        self._write(trainer)

    def on_interrupt(self, trainer) -> None:
        self._write(trainer)
