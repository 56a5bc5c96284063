"""Keep one core busy while a benchmark runs: a background process the benchmark owns.

    with busy_core():
        ...   # timings here see one core taken by another process

The process is a plain Python spin loop at normal priority, started on entry and killed (by
its own process id) on exit, so a benchmark measures how a library behaves when half of a
2-core machine is gone, as on a shared machine. It also stops by itself once the benchmark
is gone (checked every ~0.1 s), so a killed benchmark leaves no spinning orphan behind.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator

# Spin, and every 2**20 turns exit if the parent (the benchmark, argv[1]) is no longer ours.
_SPIN = """
import os, sys
parent, turns = int(sys.argv[1]), 0
while True:
    turns += 1
    if turns & 0xFFFFF == 0 and os.getppid() != parent:
        break
"""


@contextlib.contextmanager
def busy_core(enabled: bool = True) -> Iterator[None]:
    """Run the body with one core kept busy by a spinning child process (if ``enabled``)."""
    if not enabled:
        yield
        return
    spinner = subprocess.Popen([sys.executable, "-c", _SPIN, str(os.getpid())])
    time.sleep(0.5)             # let it start spinning before timing begins
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()
