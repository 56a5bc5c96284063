"""``parameter_efficiency``: what weight sharing saves over a fully connected layer."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .. import nn
from ._table import Table
from .hooks import conv_layers as _conv_layers
from .hooks import trace, zeros_input


def parameter_efficiency(model: nn.Module, input_shape: Sequence[int]) -> Table:
    """Each conv layer's parameters against a fully connected layer of the same size.

    Parameters
    ----------
    model : nn.Module
        Any convlens model; it is run once on zeros (in eval mode) to find each conv layer's
        input and output shapes.
    input_shape : tuple of int
        One sample's shape, (C, H, W) or (C, L), without the batch axis.

    Returns
    -------
    Table
        One row per conv layer with keys ``layer``, ``input`` and ``output`` (volumes without
        the batch axis), ``params`` (weight plus bias), ``fc_params`` (a Linear layer from the
        flattened input volume to the flattened output volume, with a bias when the conv has
        one) and ``ratio`` (``fc_params / params``).

    Raises
    ------
    ValueError
        If ``input_shape`` is not a tuple of positive ints.

    Notes
    -----
    For a conv with ``C_out`` filters of shape ``(C_in / groups, *K)`` mapping a volume of
    ``V_in = C_in * prod(S_in)`` numbers to ``V_out = C_out * prod(S_out)``::

        params    = C_out * (C_in / groups) * prod(K) [+ C_out]
        fc_params = V_in * V_out [+ V_out]

    Examples
    --------
    >>> import convlens as cl
    >>> table = cl.explain.parameter_efficiency(cl.models.create("lenet5"), (1, 28, 28))
    >>> row = table[0]
    >>> row["params"], row["fc_params"], round(row["ratio"])
    (156, 3692640, 23671)
    """
    _, records = trace(model, zeros_input(model, input_shape, "parameter_efficiency"))
    convs = {id(module) for _, module in _conv_layers(model)}
    rows = []
    for record in records.values():
        if id(record.module) not in convs:
            continue
        conv = record.module
        params = sum(p.numel() for p in (conv.weight, conv.bias) if p is not None)
        in_volume = math.prod(record.input_shape)
        out_volume = math.prod(record.output.shape[1:])
        fc = in_volume * out_volume + (out_volume if conv.bias is not None else 0)
        rows.append({"layer": record.name, "input": record.input_shape,
                     "output": tuple(record.output.shape[1:]), "params": params,
                     "fc_params": fc, "ratio": fc / params})
    return Table(f"Conv parameters vs fully connected, for input {tuple(input_shape)}",
                 ["layer", "input", "output", "params", "fc_params", "ratio"], rows,
                 ["fc_params: a Linear layer from the flattened input volume to the flattened "
                  "output volume; ratio = fc_params / params"])
