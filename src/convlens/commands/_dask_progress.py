"""Show a Dask computation's progress on stderr, where it cannot mix with printed results."""

from __future__ import annotations

import contextlib
import sys
from typing import Any


def follow(client: Any, collection: Any) -> Any:
    """Persist ``collection`` on ``client``, say where it runs, and show Dask's progress bar
    (on a terminal); returns the persisted collection."""
    from distributed import progress

    persisted = client.persist(collection)
    services = client.scheduler_info().get("services", {})
    link = client.dashboard_link if "dashboard" in services else None
    where = f"on the Dask scheduler at {client.scheduler.address}"
    print(f"convlens: computing {where}" + (f" (dashboard: {link})" if link else ""),
          file=sys.stderr)
    if sys.stderr.isatty():
        with contextlib.redirect_stdout(sys.stderr):
            progress(persisted)
            print()
    return persisted
