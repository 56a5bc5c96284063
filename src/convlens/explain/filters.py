"""``filters``: pictures of every conv layer's learned filters."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import nn
from . import _figures
from .hooks import conv_layers, find_layer


def filters(model: nn.Module, layer: str | nn.Module | None = None) -> list[Any]:
    """One matplotlib Figure of filters per conv layer (or for the one named ``layer``).

    - The first conv layer of a model on RGB input (3 input channels, 2-D) shows each filter
      as one colour tile.
    - Other 2-D conv layers show a grid with one row per filter and one column per input
      channel, so each tile is one (kH, kW) slice, all on one symmetric colour scale (white is
      0, red positive, blue negative) with a colorbar showing it. With a single input channel
      the filters fill a near-square grid instead, row by row.
    - 1-D conv layers show one line plot per filter, one line per input channel, all on the
      same vertical scale (drawn as small multiples in one axes).

    Parameters
    ----------
    model : nn.Module
        Any convlens model (or a single Conv1d/Conv2d).
    layer : str or nn.Module, optional
        The dotted name (as in ``model.named_modules()``) or the module of one conv layer.

    Returns
    -------
    list of matplotlib.figure.Figure
        In model order; empty for a model without conv layers. In a 2-D grid the mosaic image
        (``fig.axes[0].images[0]``) has ``out_channels * (kH + 1) - 1`` rows and
        ``in_channels / groups * (kW + 1) - 1`` columns (one blank pixel between tiles), or
        ``ceil(sqrt(out_channels))`` columns of tiles for a single input channel. A 1-D
        figure's axes holds the zero lines, then a LineCollection with one line per (filter,
        input channel), filter-major.

    Raises
    ------
    ValueError
        If ``layer`` names no conv layer of the model.
    ImportError
        Without matplotlib.

    Examples
    --------
    >>> import convlens as cl
    >>> figures = cl.explain.filters(cl.models.create("lenet5"))
    >>> [fig.axes[0].images[0].get_array().shape for fig in figures]
    [(11, 17), (95, 35)]
    """
    convs = conv_layers(model)
    chosen = convs if layer is None else [find_layer(model, layer, convs, "conv layer")]
    figures = []
    for name, conv in chosen:
        weight = np.asarray(conv.weight._data, dtype=np.float64)
        if weight.ndim == 3:
            figures.append(_lines(name, weight))
        elif weight.shape[1] == 3 and conv is convs[0][1]:
            figures.append(_colour_tiles(name, weight))
        else:
            figures.append(_channel_grid(name, weight))
    return figures


def _size(cells_wide: int, cells_high: int) -> tuple[float, float]:
    """Figure inches for a mosaic: about 0.09 inch per weight, within sensible bounds."""
    return (min(max(2.5 + 0.09 * cells_wide, 4.0), 12.0),
            min(max(1.2 + 0.09 * cells_high, 2.5), 14.0))


def _channel_grid(name: str, weight: np.ndarray) -> Any:
    out_channels, in_channels, kh, kw = weight.shape
    # One input channel: a near-square grid of filters reads better than a single column.
    columns = _figures.grid_columns(out_channels) if in_channels == 1 else in_channels
    image = _figures.mosaic(weight.reshape(-1, kh, kw), columns)
    limit = _figures.symmetric_limit(weight)
    fig = _figures.figure("filters", *_size(image.shape[1], image.shape[0]))
    ax = fig.add_subplot()
    shown = ax.imshow(image, cmap=_figures.colormap("RdBu_r"), vmin=-limit, vmax=limit,
                      interpolation="nearest")
    if in_channels == 1:
        ax.set_axis_off()
    else:
        _figures.tile_ticks(ax.xaxis, in_channels, kw, "input channel")
        _figures.tile_ticks(ax.yaxis, out_channels, kh, "filter")
    fig.colorbar(shown, ax=ax, label="weight", shrink=0.8)
    ax.set_title(f"layer {name}: {out_channels} filters of {in_channels}x{kh}x{kw}",
                 fontsize=9)
    return fig


def _colour_tiles(name: str, weight: np.ndarray) -> Any:
    import matplotlib

    out_channels, _, kh, kw = weight.shape
    limit = _figures.symmetric_limit(weight)
    # One shared scale for every filter and colour channel: -limit is black, 0 mid-grey.
    tiles = 0.5 + weight.transpose(0, 2, 3, 1) / (2 * limit)
    columns = _figures.grid_columns(out_channels)
    image = _figures.mosaic(tiles, columns, fill=1.0)
    fig = _figures.figure("filters", *_size(image.shape[1] * 3, image.shape[0] * 3))
    ax = fig.add_subplot()
    ax.imshow(image, interpolation="nearest")
    ax.set_axis_off()
    scale = matplotlib.cm.ScalarMappable(matplotlib.colors.Normalize(-limit, limit), "gray")
    fig.colorbar(scale, ax=ax, label="value of each colour channel", shrink=0.8)
    ax.set_title(f"layer {name}: {out_channels} RGB filters of {kh}x{kw}", fontsize=9)
    return fig


def _lines(name: str, weight: np.ndarray) -> Any:
    """Small multiples in one axes: one cell per filter, one line per input channel.

    Drawing every cell as its own axes costs about a second per layer; one LineCollection
    draws them all at once, on one shared vertical scale (ticked on the first row).
    """
    from matplotlib.collections import LineCollection

    out_channels, in_channels, k = weight.shape
    limit = _figures.symmetric_limit(weight)
    columns = min(out_channels, 5)
    rows = math.ceil(out_channels / columns)
    width, height = max(k - 1, 1) + 1.0, 2 * limit * 1.35
    taps = np.arange(k)
    segments, colours, zero_lines = [], [], []
    palette = _figures.matplotlib("filters").colormaps["tab10"].colors
    for index in range(out_channels):
        x0, y0 = (index % columns) * width, -(index // columns) * height
        zero_lines.append([(x0 - 0.1, y0), (x0 + width - 0.9, y0)])
        for channel in range(in_channels):
            segments.append(np.column_stack([x0 + taps, y0 + weight[index, channel]]))
            colours.append(palette[channel % len(palette)])
    fig = _figures.figure("filters", 1.9 * columns + 1.0, 1.2 * rows + 0.8)
    ax = fig.add_subplot()
    ax.add_collection(LineCollection(zero_lines, colors="0.75", linewidths=0.5))
    ax.add_collection(LineCollection(segments, colors=colours, linewidths=1.0))
    ax.scatter(*np.concatenate(segments).T, s=4, c=np.repeat(colours, k, axis=0))
    for index in range(out_channels):
        ax.text((index % columns) * width, -(index // columns) * height + limit * 1.08,
                f"filter {index}", fontsize=7)
    ax.set_xlim(-0.3, columns * width - 0.7)
    ax.set_ylim(-(rows - 1) * height - limit * 1.1, limit * 1.3)
    ax.set_yticks([-limit, 0, limit], [f"{-limit:.2g}", "0", f"{limit:.2g}"], fontsize=7)
    ax.set_xticks([])
    ax.set_title(f"layer {name}: {out_channels} filters of {in_channels}x{k}, one line per "
                 f"input channel, all on the scale at the top left", fontsize=9)
    return fig
