"""Probes of the notes' two claims about shifts: convolution is translation-*equivariant*
(move the input and the output moves with it), and pooling makes a layer nearly *invariant*
(the output hardly changes when the input moves by a pixel or two).

Both shift the input circularly (``np.roll``) so that no pixels are lost at the edge: for a
circular-padded, stride-1 convolution the equivariance is then exact, and anything else that
shows up is what zero padding, stride and pooling do.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np

from .. import nn
from ..tensor import Tensor
from ._table import Table
from .hooks import prepare_input, trace


def _shifts(shifts: Any, nd: int) -> list[tuple[int, ...]]:
    """Each shift as a per-axis tuple: an int moves every spatial axis by that many pixels."""
    def one(shift: Any) -> tuple[int, ...]:
        if isinstance(shift, Integral) and not isinstance(shift, bool):
            return (int(shift),) * nd
        if (isinstance(shift, Sequence) and len(shift) == nd
                and all(isinstance(s, Integral) and not isinstance(s, bool) for s in shift)):
            return tuple(int(s) for s in shift)
        raise TypeError(f"shifts must hold ints or tuples of {nd} ints (one per spatial axis); "
                        f"got {shift!r}")

    if isinstance(shifts, Integral | str) or not isinstance(shifts, Sequence) or not shifts:
        raise TypeError(f"shifts must be a non-empty sequence such as (1, 2, 4); got {shifts!r}")
    return [one(shift) for shift in shifts]


def _label(shift: tuple[int, ...]) -> str:
    return f"shift {shift[0]}" if len(set(shift)) == 1 else f"shift {shift}"


def _roll(values: np.ndarray, shift: tuple[int, ...]) -> np.ndarray:
    """Roll a batched (N, C, *S) array by ``shift`` along its spatial axes."""
    return np.roll(values, shift, axis=tuple(range(2, 2 + len(shift))))


def _relative(a: np.ndarray, b: np.ndarray, reference: np.ndarray) -> float:
    """||a - b|| / ||reference||, in float64 (0 when both are zero, inf for a zero reference)."""
    diff = np.linalg.norm(np.asarray(a, np.float64) - b)
    scale = np.linalg.norm(np.asarray(reference, np.float64))
    if scale == 0:
        return 0.0 if diff == 0 else float("inf")
    return float(diff / scale)


def _outputs(model: nn.Module, x: np.ndarray) -> dict[str, Any]:
    return trace(model, Tensor(x))[1]


def equivariance(model_or_layer: nn.Module, x: Any, shifts: Sequence = (1, 2, 4)) -> Table:
    """How far each layer is from translation equivariance under circular input shifts.

    Parameters
    ----------
    model_or_layer : nn.Module
        A model, or a single layer such as a ``Conv2d``; it runs in eval mode.
    x : ndarray or Tensor
        One sample, (C, H, W) or (C, L), or a batch of one.
    shifts : sequence of int or of tuples, default (1, 2, 4)
        Input shifts in pixels: an int moves every spatial axis by that much, a tuple gives
        one shift per axis.

    Returns
    -------
    Table
        One row per layer with spatial output: ``layer``, ``type``, ``jump`` (cumulative
        stride), one column per shift (``"shift 2"``, or ``"shift (1, 0)"``) holding the
        relative error, and ``inexact`` (the shifts not divisible by the jump).

    Raises
    ------
    TypeError, ValueError
        For a malformed ``shifts`` or an ``x`` of the wrong shape.

    Notes
    -----
    For a layer ``f`` (the model up to and including it) with cumulative stride ``J`` the
    error of shift ``s`` is::

        || f(roll(x, s)) - roll(f(x), s // J) || / || f(x) ||

    A shift that ``J`` does not divide has no exact counterpart on the output grid: it is
    compared with ``floor(s / J)`` and listed under ``inexact``. Layers without spatial axes
    (after ``Flatten``) are left out; :func:`pooling_invariance` covers them.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> conv = nn.Conv2d(1, 4, 3, padding=1, padding_mode="circular", generator=0)
    >>> x = np.random.default_rng(0).standard_normal((1, 16, 16))
    >>> table = cl.explain.equivariance(conv, x, shifts=(1, 3))
    >>> table[0]["shift 3"] < 1e-6
    True
    """
    xt = prepare_input(model_or_layer, x, "equivariance")
    moves = _shifts(shifts, xt.ndim - 2)
    base = _outputs(model_or_layer, xt._data)
    moved = [_outputs(model_or_layer, _roll(xt._data, shift)) for shift in moves]
    rows = []
    for name, record in base.items():
        if record.geometry is None:
            continue
        jump = record.geometry.jump
        row = {"layer": name, "type": type(record.module).__name__, "jump": jump,
               "inexact": ""}
        inexact = []
        for shift, outputs in zip(moves, moved):
            expected = _roll(record.output._data, tuple(s // j for s, j in zip(shift, jump)))
            row[_label(shift)] = _relative(outputs[name].output._data, expected,
                                           record.output._data)
            if any(s % j for s, j in zip(shift, jump)):
                inexact.append(_label(shift).removeprefix("shift "))
        row["inexact"] = ", ".join(inexact)
        rows.append(row)
    columns = ["layer", "type", "jump", *(_label(s) for s in moves), "inexact"]
    return Table("Equivariance: ||f(shift(x)) - shift(f(x))|| / ||f(x)|| (circular shifts)",
                 columns, rows,
                 ["the output is shifted by s // jump; 'inexact' lists the shifts the jump "
                  "does not divide (compared with the rounded-down shift)"])


def pooling_invariance(model: nn.Module, x: Any, max_shift: int = 3) -> Table:
    """How much each layer's output changes when the input moves by 1 to ``max_shift`` pixels.

    Parameters
    ----------
    model : nn.Module
        Any convlens model; it runs in eval mode.
    x : ndarray or Tensor
        One sample, (C, H, W) or (C, L), or a batch of one.
    max_shift : int, default 3
        The largest shift, in input pixels.

    Returns
    -------
    Table
        One row per layer: ``layer``, ``type``, one column per shift (``"shift 1"``, ...)
        and ``mean`` over the shifts.

    Raises
    ------
    TypeError, ValueError
        If ``max_shift`` is not a positive int, or for an ``x`` of the wrong shape.

    Notes
    -----
    The change for shift ``s`` is the mean, over the spatial axes, of
    ``|| f(roll(x, s along that axis)) - f(x) || / || f(x) ||``: the output is *not* moved
    back, so a layer that only moves its output along with the input (a convolution) changes
    about as much as the input does, while one that summarises patches (pooling) changes less.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> model = cl.models.create("lenet5")
    >>> x = np.random.default_rng(0).random((1, 28, 28))
    >>> table = cl.explain.pooling_invariance(model, x, max_shift=2)
    >>> table.columns
    ['layer', 'type', 'shift 1', 'shift 2', 'mean']
    """
    from .. import _validate

    max_shift = _validate.positive_int(max_shift, "max_shift")
    xt = prepare_input(model, x, "pooling_invariance")
    base = _outputs(model, xt._data)
    sizes = range(1, max_shift + 1)
    changes = [_changes(model, xt._data, base, size) for size in sizes]
    rows = []
    for name, record in base.items():
        row = {"layer": name, "type": type(record.module).__name__}
        row.update({f"shift {size}": change[name] for size, change in zip(sizes, changes)})
        row["mean"] = float(np.mean([change[name] for change in changes]))
        rows.append(row)
    columns = ["layer", "type", *(f"shift {size}" for size in sizes), "mean"]
    return Table("Invariance: ||f(shift(x)) - f(x)|| / ||f(x)|| (circular shifts, not "
                 "re-aligned)", columns, rows,
                 ["each column averages the shifts along every spatial axis"])


def _changes(model: nn.Module, x: np.ndarray, base: dict[str, Any], size: int
             ) -> dict[str, float]:
    """Per layer, the relative output change for a shift of ``size`` along each spatial axis
    in turn, averaged over the axes."""
    nd = x.ndim - 2
    per_axis: dict[str, list[float]] = {name: [] for name in base}
    for axis in range(nd):
        shift = tuple(size if a == axis else 0 for a in range(nd))
        for name, record in _outputs(model, _roll(x, shift)).items():
            reference = base[name].output._data
            per_axis[name].append(_relative(record.output._data, reference, reference))
    return {name: float(np.mean(values)) for name, values in per_axis.items()}
