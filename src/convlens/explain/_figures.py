"""Drawing helpers: matplotlib figures without pyplot, tile mosaics, PNG bytes and data URIs.

Figures are built as ``matplotlib.figure.Figure`` objects on an Agg canvas, never through
pyplot, so drawing changes no global backend or figure registry: a notebook keeps its own
backend, and figures are freed like any other object.
"""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import numpy as np


def matplotlib(op: str) -> Any:
    """Import matplotlib, or say how to get it."""
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError(f"{op} draws with matplotlib, an optional extra: "
                          "pip install matplotlib") from error
    return matplotlib


def figure(op: str, width: float, height: float) -> Any:
    """A new Figure of ``width`` x ``height`` inches on an Agg canvas (constrained layout)."""
    matplotlib(op)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def colormap(name: str) -> Any:
    """A named colormap that draws NaN (the gaps between tiles) in white."""
    import matplotlib

    return matplotlib.colormaps[name].with_extremes(bad="white")


def grid_columns(count: int) -> int:
    """Columns of a near-square grid for ``count`` tiles."""
    return max(1, math.ceil(math.sqrt(count)))


def mosaic(tiles: np.ndarray, columns: int, fill: float = np.nan) -> np.ndarray:
    """Lay (n, h, w) or (n, h, w, 3) tiles out row by row, one ``fill`` pixel between tiles.

    Returns an array of shape (rows * (h + 1) - 1, columns * (w + 1) - 1[, 3]) with
    ``rows = ceil(n / columns)``; tile ``i`` sits in row ``i // columns``, column
    ``i % columns``.
    """
    n, h, w = tiles.shape[:3]
    rows = max(1, math.ceil(n / columns))
    out = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1, *tiles.shape[3:]), fill,
                  dtype=np.float64)
    for index, tile in enumerate(tiles):
        top, left = (index // columns) * (h + 1), (index % columns) * (w + 1)
        out[top:top + h, left:left + w] = tile
    return out


def tile_ticks(axis: Any, count: int, size: int, label: str) -> None:
    """Tick the centre of each tile along a mosaic axis (thinned out when there are many)."""
    step = max(1, math.ceil(count / 16))
    positions = [i * (size + 1) + (size - 1) / 2 for i in range(0, count, step)]
    axis.set_ticks(positions, [str(i) for i in range(0, count, step)], fontsize=7)
    axis.set_label_text(label)


def symmetric_limit(values: np.ndarray) -> float:
    """max |value|, or 1 for an all-zero array (so a colour scale never collapses)."""
    limit = float(np.max(np.abs(values))) if values.size else 0.0
    return limit if limit > 0 and np.isfinite(limit) else 1.0


def value_range(values: np.ndarray) -> tuple[float, float]:
    """(min, max) of ``values``, widened a little when they are all equal."""
    low, high = float(np.min(values)), float(np.max(values))
    if low == high:
        low, high = low - 0.5, high + 0.5
    return low, high


def png_bytes(fig: Any, dpi: int = 100) -> bytes:
    """The figure rendered as PNG."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    """A ``data:image/png;base64,...`` URI that embeds ``png`` in a page."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
