"""``receptive_field``: how many input pixels each layer's units see, and how far apart they are."""

from __future__ import annotations

from collections.abc import Sequence

from .. import nn
from ._table import Table
from .hooks import trace, zeros_input


def receptive_field(model: nn.Module, input_shape: Sequence[int]) -> Table:
    """Receptive field size, jump (cumulative stride) and start of every layer.

    Parameters
    ----------
    model : nn.Module
        Any convlens model; it is run once on zeros (in eval mode) to follow the shapes.
    input_shape : tuple of int
        One sample's shape, (C, H, W) or (C, L), without the batch axis.

    Returns
    -------
    Table
        One row per layer with keys ``layer``, ``type``, ``output`` (shape without the batch
        axis), ``size`` (input pixels seen by one unit, per spatial axis), ``jump`` (input
        pixels between neighbouring units) and ``start`` (input coordinate of the centre of the
        first unit's field; pixel ``i`` has centre ``i``). After ``Flatten`` or ``Linear`` a
        unit sees the whole input: ``size`` is ``"all"`` and ``jump``/``start`` are None.
        None everywhere marks a layer whose geometry cannot be worked out.

    Raises
    ------
    ValueError
        If ``input_shape`` is not a tuple of positive ints.

    Notes
    -----
    Per spatial axis, a conv or pool layer with kernel ``k``, stride ``s``, low padding ``p``
    and dilation ``d`` (effective kernel ``k' = d (k - 1) + 1``) maps its input's numbers to::

        size  = size_in + (k' - 1) * jump_in
        jump  = jump_in * s
        start = start_in + ((k' - 1) / 2 - p) * jump_in

    (Araujo et al., "Computing Receptive Fields of Convolutional Neural Networks", Distill
    2019). Layers that act on each position alone (ReLU, BatchNorm, Dropout) keep them.

    Examples
    --------
    >>> import convlens as cl
    >>> table = cl.explain.receptive_field(cl.models.create("lenet5"), (1, 28, 28))
    >>> [(row["layer"], row["size"], row["jump"]) for row in table][2:4]
    [('2', (6, 6), (2, 2)), ('3', (14, 14), (2, 2))]
    """
    _, records = trace(model, zeros_input(model, input_shape, "receptive_field"))
    rows = []
    for record in records.values():
        row = {"layer": record.name, "type": type(record.module).__name__,
               "output": tuple(record.output.shape[1:]), "size": None, "jump": None,
               "start": None}
        if record.geometry is not None:
            row.update(size=record.geometry.size, jump=record.geometry.jump,
                       start=record.geometry.start)
        elif record.output.ndim == 2:
            row["size"] = "all"
        rows.append(row)
    return Table(f"Receptive fields for input {tuple(input_shape)}",
                 ["layer", "type", "output", "size", "jump", "start"], rows,
                 ["size: input pixels one unit sees; jump: input pixels between neighbouring "
                  "units (cumulative stride); start: centre of the first unit's field"])
