"""``activations``: every layer's output for one input, and ``plot_activations`` to draw them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import nn
from . import _figures
from .hooks import prepare_input, trace


def activations(model: nn.Module, x: Any) -> dict[str, np.ndarray]:
    """Capture every layer's output for one input, through forward hooks.

    Parameters
    ----------
    model : nn.Module
        Any convlens model; it runs in eval mode (restored afterwards), without a graph.
    x : ndarray or Tensor
        One sample, (C, H, W) or (C, L), or a batch of one.

    Returns
    -------
    dict of str to ndarray
        Layer name (dotted, as in ``model.named_modules()``) to its output for this sample
        without the batch axis, in the order the layers ran: (C, H, W) maps stacked in depth
        for a 2-D conv, (C, L) for a 1-D one, (F,) after ``Flatten`` or ``Linear``.

    Raises
    ------
    TypeError, ValueError
        If ``x`` is not an array or does not have one sample's shape.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> maps = cl.explain.activations(cl.models.create("lenet5"), np.zeros((1, 28, 28)))
    >>> {name: maps[name].shape for name in ("0", "2", "11")}
    {'0': (6, 28, 28), '2': (6, 14, 14), '11': (10,)}
    """
    _, records = trace(model, prepare_input(model, x, "activations"))
    return {name: record.output._data[0].copy() for name, record in records.items()}


def plot_activations(activations: Mapping[str, np.ndarray]) -> list[Any]:
    """One Figure per layer of the maps returned by :func:`activations`.

    Each title gives the layer name, the output shape and its value range.

    - (C, H, W) outputs: a grid with one map per filter, in depth-stack order (row by row),
      all on the layer's colour scale, with a colorbar.
    - (C, L) outputs: one line per filter, stacked top to bottom in depth order.
    - (F,) outputs: a bar per unit (a line when there are more than 64).

    Parameters
    ----------
    activations : mapping of str to ndarray
        Layer name to one sample's output, as :func:`activations` returns.

    Returns
    -------
    list of matplotlib.figure.Figure
        One per layer, in the mapping's order.

    Raises
    ------
    ImportError
        Without matplotlib.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> model = cl.models.create("lenet5")
    >>> maps = cl.explain.activations(model, np.zeros((1, 28, 28)))
    >>> figures = cl.explain.plot_activations(maps)
    >>> len(figures), figures[0].axes[0].get_title().split(", range")[0]
    (12, 'layer 0: shape (6, 28, 28)')
    """
    figures = []
    for name, values in activations.items():
        values = np.asarray(values, dtype=np.float64)
        low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
        title = f"layer {name}: shape {values.shape}, range [{low:.3g}, {high:.3g}]"
        if values.ndim == 3:
            figures.append(_maps(values, title))
        elif values.ndim == 2:
            figures.append(_traces(values, title))
        else:
            figures.append(_units(values.reshape(-1), title))
    return figures


def _maps(values: np.ndarray, title: str) -> Any:
    channels, h, w = values.shape
    columns = _figures.grid_columns(channels)
    image = _figures.mosaic(values, columns)
    low, high = _figures.value_range(values)
    width = min(max(2.5 + image.shape[1] * 0.035, 4.0), 10.0)
    fig = _figures.figure("plot_activations", width, width * image.shape[0] / image.shape[1]
                          * 0.8 + 0.8)
    ax = fig.add_subplot()
    shown = ax.imshow(image, cmap=_figures.colormap("viridis"), vmin=low, vmax=high,
                      interpolation="nearest")
    ax.set_axis_off()
    fig.colorbar(shown, ax=ax, shrink=0.8)
    ax.set_title(title, fontsize=9)
    return fig


def _traces(values: np.ndarray, title: str) -> Any:
    channels, length = values.shape
    low, high = _figures.value_range(values)
    spacing = (high - low) * 1.1
    fig = _figures.figure("plot_activations", 7.0, min(max(1.5 + 0.25 * channels, 3.0), 12.0))
    ax = fig.add_subplot()
    for channel in range(channels):
        ax.plot(np.arange(length), values[channel] - channel * spacing, linewidth=1)
    step = max(1, -(-channels // 16))
    ax.set_yticks([-c * spacing + (low + high) / 2 for c in range(0, channels, step)],
                  [str(c) for c in range(0, channels, step)], fontsize=7)
    ax.set_ylabel("filter (offset)")
    ax.set_xlabel("position")
    ax.set_title(title, fontsize=9)
    return fig


def _units(values: np.ndarray, title: str) -> Any:
    fig = _figures.figure("plot_activations", 7.0, 2.6)
    ax = fig.add_subplot()
    if values.size <= 64:
        ax.bar(np.arange(values.size), values, color="tab:blue")
    else:
        ax.plot(np.arange(values.size), values, linewidth=1)
    ax.axhline(0, color="0.6", linewidth=0.5)
    ax.set_xlabel("unit")
    ax.set_title(title, fontsize=9)
    return fig
