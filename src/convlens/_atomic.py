"""One way to write a file so that readers never see half of it: temp file, fsync, rename.

Permissions, symlinks and temp files are handled deliberately:

- **New files** get ``0o666`` less the process umask, like ``open(path, "w")``. The umask is
  read once, when this module is imported, and never changed afterwards: setting it (the only
  way to read it) is process-wide, so doing that per write could give a file that another
  thread creates at that moment the wrong permissions.
- **Existing files** keep their permission bits (the replacement gets the old file's mode).
- **Symlinks**: if ``path`` is a symlink, the file it points to is replaced and the link is
  kept, as ``open(path, "w")`` would do. A dangling link is followed as well.
- **Temp files** are named ``.<name>.<random>.tmp`` in the target's folder (a rename across
  file systems would not be atomic). If the block raises, the temp file is removed; if the
  process is killed, it stays behind, and :func:`is_temp_file` lets callers recognise it.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator
from typing import IO


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # once, at import (single-threaded then); see the module docstring
_TEMP_NAME = re.compile(r"^\..+\.[0-9a-f]{16}\.tmp$")


def is_temp_file(name: str) -> bool:
    """True if ``name`` (a file name, no folder) is a temp file left by :func:`atomic_write`."""
    return bool(_TEMP_NAME.match(name))


def _target(path: str) -> str:
    """The path that is really written: symlinks resolved, so the link itself survives."""
    return os.path.realpath(path) if os.path.islink(path) else path


def _mode_for(target: str) -> int:
    try:
        return os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_UMASK


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX; elsewhere a no-op)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` in one rename.

    A new file gets 0666 less the umask (read once at import); an existing file keeps its
    mode; a symlink keeps pointing at the replaced file. If the block raises, the temporary
    file is removed and ``path`` is left as it was.

    Examples
    --------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> with atomic_write(target, "w") as stream:
    ...     _ = stream.write("hello")
    >>> open(target).read()
    'hello'
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb'; got {mode!r}")
    path = os.fspath(path)
    target = _target(path)
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path!r}: the folder {folder!r} does not exist")
    file_mode = _mode_for(target)
    temp = os.path.join(folder, f".{os.path.basename(target)}.{secrets.token_hex(8)}.tmp")
    # O_EXCL: never follow or reuse a file someone placed at the temp name.
    handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     file_mode)
    try:
        with os.fdopen(handle, mode) as stream:
            yield stream
            stream.flush()
            if hasattr(os, "fchmod"):  # exactly the mode, whatever the umask takes off
                os.fchmod(stream.fileno(), file_mode)
            os.fsync(stream.fileno())
        os.replace(temp, target)
        _sync_folder(folder)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temp)
        raise
