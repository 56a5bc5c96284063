"""Padding of the trailing (spatial) axes of an ndarray, and the adjoint used by backward.

Modes follow ``torch.nn.functional.pad``: ``zeros`` (constant 0), ``reflect`` (mirror without
repeating the edge), ``replicate`` (repeat the edge) and ``circular`` (wrap around).
"""

from __future__ import annotations

import numpy as np

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
_NUMPY_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def check_pad_fits(pairs: tuple[tuple[int, int], ...], in_size: tuple[int, ...], mode: str,
                   name: str = "padding_mode") -> None:
    """Raise ``ValueError`` where ``mode`` cannot produce the requested padding (as torch).

    ``name`` is the public argument that chose the mode, with the value the caller used
    (``padding_mode='reflect'`` for conv, ``mode='reflect'`` for ``F.pad``).
    """
    label = f"{name}={'constant' if mode == 'zeros' and name == 'mode' else mode!r}"
    for i, ((lo, hi), n) in enumerate(zip(pairs, in_size)):
        if mode == "reflect" and max(lo, hi) >= n:
            raise ValueError(
                f"{label} needs padding < input size along each dim; got padding "
                f"({lo}, {hi}) for size {n} along spatial dim {i}"
            )
        if mode == "circular" and max(lo, hi) > n:
            raise ValueError(
                f"{label} needs padding <= input size along each dim; got "
                f"padding ({lo}, {hi}) for size {n} along spatial dim {i}"
            )
        if mode == "replicate" and n == 0 and (lo or hi):
            raise ValueError(f"{label} cannot pad an empty spatial dim {i}")


def pad(x: np.ndarray, pairs: tuple[tuple[int, int], ...], mode: str = "zeros",
        value: float = 0.0) -> np.ndarray:
    """Pad the last ``len(pairs)`` axes of ``x``; ``value`` fills the ``zeros`` mode."""
    if all(lo == 0 and hi == 0 for lo, hi in pairs):
        return x
    widths = [(0, 0)] * (x.ndim - len(pairs)) + list(pairs)
    if mode == "zeros":
        return np.pad(x, widths, mode="constant", constant_values=value)
    return np.pad(x, widths, mode=_NUMPY_MODE[mode])


def pad_adjoint(grad: np.ndarray, pairs: tuple[tuple[int, int], ...], mode: str) -> np.ndarray:
    """Gradient of :func:`pad`: each padded cell's gradient goes back to the cell it copies.

    For ``zeros`` padding that is a crop, done as one contiguous copy.
    """
    lead = grad.ndim - len(pairs)
    if mode == "zeros":
        if all(lo == 0 and hi == 0 for lo, hi in pairs):
            return grad
        inner = tuple(slice(lo, grad.shape[lead + i] - hi) for i, (lo, hi) in enumerate(pairs))
        return np.ascontiguousarray(grad[(..., *inner)])
    for axis_offset, (lo, hi) in enumerate(pairs):
        if lo == 0 and hi == 0:
            continue
        axis = lead + axis_offset
        n = grad.shape[axis] - lo - hi
        g = np.moveaxis(grad, axis, -1)
        out = g[..., lo:lo + n].copy()
        # source index of every padded position, e.g. reflect: [2, 1 | 0, 1, 2, 3 | 2, 1]
        source = np.pad(np.arange(n), (lo, hi), mode=_NUMPY_MODE[mode])
        for position in (*range(lo), *range(lo + n, lo + n + hi)):
            out[..., source[position]] += g[..., position]
        grad = np.moveaxis(out, -1, axis)
    return grad
