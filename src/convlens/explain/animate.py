"""Watching a convolution happen: a GIF of a kernel sliding over a small input, and one still
frame whose numbers a reader can check by hand.

Both compute what NN layers compute (:func:`convlens.functional.conv2d`): a cross-correlation,
the kernel not flipped. Pictures are drawn with Pillow, imported only when these run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .. import _validate

MAX_INPUT = 16  # every number is drawn, so inputs stay small
MAX_KERNEL = 7

_GAP, _TITLE, _MARGIN = 24, 20, 12
_COLOURS = {"background": (255, 255, 255), "line": (90, 90, 90), "text": (20, 20, 20),
            "padding": (225, 225, 225), "window": (255, 214, 153), "frame": (214, 39, 40),
            "kernel": (198, 219, 239), "product": (199, 233, 192), "done": (240, 240, 240),
            "current": (255, 160, 90)}


@dataclass(frozen=True)
class ConvFrame:
    """One step of a convolution: the output cell ``position`` and how it is computed.

    ``value == products.sum()`` and ``products == window * kernel``, all (kH, kW) arrays;
    ``image`` is the drawn frame (a ``PIL.Image.Image``).
    """

    position: tuple[int, int]
    window: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    value: float
    image: object


def animate_conv(x: ArrayLike, w: ArrayLike, stride=1, padding=0, path: str = "conv.gif",
                 dilation=1, duration: int = 600) -> np.ndarray:
    """Write a GIF of the kernel ``w`` sliding over the input ``x``, one frame per output cell.

    Each frame shows the zero-padded input with the current window highlighted, the products
    of the numbers under the window with the kernel weights, their sum, and the output grid
    with that cell being filled in.

    Parameters
    ----------
    x : array_like
        (H, W) single-channel input, at most 16 x 16, finite real numbers.
    w : array_like
        (kH, kW) kernel, at most 7 x 7.
    stride, dilation : int or tuple of 2 ints, default 1
        As in :func:`convlens.functional.conv2d`; must be positive.
    padding : int or tuple of 2 ints, default 0
        Zeros added on each side, at most ``dilation * (k - 1)`` (beyond that the extra
        outputs would see only zeros).
    path : str, default "conv.gif"
        Where the GIF goes.
    duration : int, default 600
        Milliseconds per frame.

    Returns
    -------
    ndarray
        (H_out, W_out) float64, equal to ``F.conv2d`` on the same data, with
        ``H_out = floor((H + 2 * padding - dilation * (kH - 1) - 1) / stride) + 1``
        and likewise for W_out.

    Raises
    ------
    TypeError
        Input or kernel not real numbers; malformed stride, padding or dilation.
    ValueError
        Not 2-D, empty, too large, non-finite, too much padding, or an empty output.
    ImportError
        Pillow is not installed.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from convlens.explain.animate import animate_conv
    >>> x = np.arange(16.0).reshape(4, 4)
    >>> animate_conv(x, np.ones((3, 3)), path=os.path.join(tempfile.mkdtemp(), "a.gif"))
    array([[45., 54.],
           [81., 90.]])
    """
    setup = _Setup.check("animate_conv", x, w, stride, padding, dilation)
    duration = _validate.positive_int(duration, "duration")
    out = np.full(setup.out_shape, np.nan)
    frames = []
    for position in np.ndindex(*setup.out_shape):
        window, products = setup.step(position)
        out[position] = products.sum()
        frames.append(_draw(setup, position, products, out, still=False))
    frames = [frame.convert("P", palette=_pillow().Palette.ADAPTIVE, colors=64)
              for frame in frames]
    frames[0].save(os.fspath(path), save_all=True, append_images=frames[1:], duration=duration,
                   loop=0)
    return out


def conv_frame(x: ArrayLike, w: ArrayLike, position, stride=1, padding=0,
               path: str | None = None, dilation=1) -> ConvFrame:
    """One still frame: the numbers under the window at ``position``, the kernel, their
    elementwise products, and the dot product written out term by term.

    Parameters
    ----------
    x, w, stride, padding, dilation
        As in :func:`animate_conv`.
    position : tuple of 2 ints
        (row, column) of the output cell, inside (H_out, W_out).
    path : str, optional
        Write the frame there as a PNG.

    Returns
    -------
    ConvFrame
        ``window``, ``kernel``, ``products``, ``value`` (the output cell) and ``image``.

    Raises
    ------
    TypeError, ValueError
        As :func:`animate_conv`, and a ``position`` outside the output.

    Examples
    --------
    >>> import numpy as np
    >>> from convlens.explain.animate import conv_frame
    >>> frame = conv_frame(np.arange(9.0).reshape(3, 3), [[1, 0], [0, -1]], (1, 0))
    >>> frame.window.tolist(), frame.value
    ([[3.0, 4.0], [6.0, 7.0]], -4.0)
    """
    setup = _Setup.check("conv_frame", x, w, stride, padding, dilation)
    position = _validate.int_tuple(position, 2, "position", minimum=0)
    if any(p >= n for p, n in zip(position, setup.out_shape)):
        raise ValueError(f"position must lie inside the output of shape {setup.out_shape}; "
                         f"got {position}")
    window, products = setup.step(position)
    out = np.full(setup.out_shape, np.nan)
    out[position] = products.sum()
    picture = _draw(setup, position, products, out, still=True)
    if path is not None:
        picture.save(os.fspath(path), format="PNG")
    return ConvFrame(position, window, setup.kernel, products, float(products.sum()), picture)


@dataclass(frozen=True)
class _Setup:
    """Checked inputs and geometry shared by the animation and the still frame."""

    padded: np.ndarray
    kernel: np.ndarray
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    out_shape: tuple[int, int]

    @classmethod
    def check(cls, op: str, x, w, stride, padding, dilation) -> _Setup:
        x, w = _small_matrix(x, "x", op, MAX_INPUT), _small_matrix(w, "w", op, MAX_KERNEL)
        stride = _validate.int_tuple(stride, 2, "stride")
        dilation = _validate.int_tuple(dilation, 2, "dilation")
        padding = _validate.int_tuple(padding, 2, "padding", minimum=0)
        for p, d, k in zip(padding, dilation, w.shape):
            if p > d * (k - 1):
                raise ValueError(f"{op}: padding (={p}) must be at most dilation * "
                                 f"(kernel_size - 1) (={d * (k - 1)})")
        out_shape = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, p, d, k, s in
                          zip(x.shape, padding, dilation, w.shape, stride))
        _validate.output_not_empty(op, x.shape, out_shape)
        padded = np.pad(x, [(p, p) for p in padding])
        return cls(padded, w, stride, padding, dilation, out_shape)

    def taps(self, position: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Row and column indices into ``padded`` of the window at ``position``."""
        (i, j), (sh, sw), (dh, dw) = position, self.stride, self.dilation
        kh, kw = self.kernel.shape
        return i * sh + dh * np.arange(kh), j * sw + dw * np.arange(kw)

    def step(self, position: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """(numbers under the window, their products with the kernel) at ``position``."""
        rows, cols = self.taps(position)
        window = self.padded[np.ix_(rows, cols)]
        return window, window * self.kernel


def _small_matrix(value: ArrayLike, name: str, op: str, limit: int) -> np.ndarray:
    """A finite, real, non-empty 2-D float64 array no larger than ``limit`` x ``limit``."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{op} expects {name} to hold real numbers; got dtype {array.dtype}")
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"{op} expects {name} to be a non-empty 2-D array; got shape "
                         f"{array.shape}")
    if max(array.shape) > limit:
        raise ValueError(f"{op} draws every number, so {name} must be at most {limit}x{limit}; "
                         f"got shape {array.shape}")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{op} expects {name} to hold finite numbers")
    return array


def _pillow():
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError("drawing convolution frames needs Pillow: pip install pillow") \
            from error
    return Image


def _fmt(value: float) -> str:
    """Integers without a decimal point, other numbers to 3 significant digits."""
    if np.isnan(value):
        return ""
    if float(value).is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.3g}"


def _draw(setup: _Setup, position, products: np.ndarray, out: np.ndarray, still: bool):
    """Draw one frame: padded input, (window,) kernel, products and output, left to right."""
    Image = _pillow()
    from PIL import ImageDraw, ImageFont

    font = ImageFont.load_default(size=13)
    times = "*"  # Pillow's default font has no multiplication sign
    value = float(products.sum())
    panels = _panels(setup, position, products, out, still, times)
    header = f"output[{position[0]}, {position[1]}] = sum(window {times} kernel) = {_fmt(value)}"
    lines = [header] + (_equation(setup, position, times) if still else [])
    cell = max(28, 10 + int(max(font.getlength(text) for panel in panels
                                for row in panel[1] for text in row)))
    line_height = int(font.size * 1.5) if hasattr(font, "size") else 16
    widths = [max(len(labels[0]) * cell, int(font.getlength(title)))
              for title, labels, _ in panels]
    grids_width = sum(widths) + _GAP * (len(panels) - 1)
    width = 2 * _MARGIN + max(grids_width, *(int(font.getlength(t)) for t in lines))
    grids_height = max(len(p[1]) * cell for p in panels) + _TITLE
    height = 2 * _MARGIN + line_height * len(lines) + _GAP // 2 + grids_height
    picture = Image.new("RGB", (width, height), _COLOURS["background"])
    draw = ImageDraw.Draw(picture)
    top = _MARGIN + line_height + _GAP // 2
    draw.text((_MARGIN, _MARGIN), header, fill=_COLOURS["text"], font=font)
    for k, line in enumerate(lines[1:]):  # the dot product, term by term, under the grids
        draw.text((_MARGIN, top + grids_height + _GAP // 2 + k * line_height), line,
                  fill=_COLOURS["text"], font=font)
    left = _MARGIN
    for (title, labels, fills), panel_width in zip(panels, widths):
        _grid(draw, font, (left, top), cell, title, labels, fills)
        left += panel_width + _GAP
    rows, cols = setup.taps(position)  # outline the window on the input panel
    draw.rectangle((_MARGIN + cols[0] * cell, top + _TITLE + rows[0] * cell,
                    _MARGIN + (cols[-1] + 1) * cell, top + _TITLE + (rows[-1] + 1) * cell),
                   outline=_COLOURS["frame"], width=3)
    return picture


def _panels(setup: _Setup, position, products, out, still: bool, times: str) -> list:
    """(title, labels, fills) per grid; labels and fills are lists of rows."""
    rows, cols = setup.taps(position)
    ph, pw = setup.padded.shape
    (top, left), (h, w) = setup.padding, (ph - 2 * setup.padding[0], pw - 2 * setup.padding[1])
    fills = [["background" if top <= r < top + h and left <= c < left + w else "padding"
              for c in range(pw)] for r in range(ph)]
    for r in rows:
        for c in cols:
            fills[r][c] = "window"
    padded_title = "input" + (f" (zero-padded by {setup.padding})" if any(setup.padding)
                              else "")
    panels = [(padded_title, _labels(setup.padded), fills)]
    kh, kw = setup.kernel.shape
    if still:
        panels.append(("window", _labels(setup.padded[np.ix_(rows, cols)]),
                       [["window"] * kw] * kh))
    panels.append(("kernel", _labels(setup.kernel), [["kernel"] * kw] * kh))
    panels.append((f"window {times} kernel", _labels(products), [["product"] * kw] * kh))
    out_fills = [["background" if np.isnan(v) else "done" for v in row] for row in out]
    out_fills[position[0]][position[1]] = "current"
    panels.append(("output", _labels(out), out_fills))
    return panels


def _labels(array: np.ndarray) -> list[list[str]]:
    return [[_fmt(v) for v in row] for row in array]


def _grid(draw, font, origin, cell: int, title: str, labels, fills) -> None:
    """A titled grid of numbers, each cell filled with its colour."""
    left, top = origin
    draw.text((left, top), title, fill=_COLOURS["text"], font=font)
    top += _TITLE
    for r, (row, colours) in enumerate(zip(labels, fills)):
        for c, (text, colour) in enumerate(zip(row, colours)):
            box = (left + c * cell, top + r * cell, left + (c + 1) * cell, top + (r + 1) * cell)
            draw.rectangle(box, fill=_COLOURS[colour], outline=_COLOURS["line"])
            # Centre by the text's own box: bitmap fonts (no FreeType) take no anchor.
            x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=font)
            draw.text(((box[0] + box[2] - x0 - x1) / 2, (box[1] + box[3] - y0 - y1) / 2), text,
                      fill=_COLOURS["text"], font=font)


def _equation(setup: _Setup, position, times: str) -> list[str]:
    """The dot product written out, one kernel row per line, then the total."""
    window, products = setup.step(position)
    lines = []
    for r, (numbers, weights) in enumerate(zip(window, setup.kernel)):
        terms = " + ".join(f"{_paren(a)}{times}{_paren(b)}" for a, b in zip(numbers, weights))
        lines.append(f"row {r}: {terms} = {_fmt(products[r].sum())}")
    lines.append(f"sum of the rows: {' + '.join(_paren(v) for v in products.sum(axis=1))} = "
                 f"{_fmt(products.sum())}")
    return lines


def _paren(value: float) -> str:
    """A number for an equation, negatives in brackets: 3, (-1)."""
    text = _fmt(value)
    return f"({text})" if value < 0 else text
