"""``summary()``: a per-layer table of shapes, parameters, multiply-adds and receptive fields.

Shapes come from running a zero tensor of batch 1 through the model (under ``no_grad``, in
eval mode, with forward hooks), so any model works, including Residual and Concat branches.
For every conv layer the table also gives the parameter count of a fully connected layer that
maps the same input volume to the same output volume, which is what weight sharing saves.

Receptive field (size r and jump j, per spatial dimension) through a conv or pool layer with
kernel k, stride s and dilation d (Araujo et al. 2019, "Computing receptive fields of CNNs")::

    r_out = r_in + (d * (k - 1)) * j_in
    j_out = j_in * s

Elementwise layers pass (r, j) through; after Flatten or Linear it is undefined ("-"). Where
branches meet (Residual, Concat), the larger field of the branches is kept.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate
from ..autograd import no_grad
from ..tensor import Tensor
from .conv import _ConvNd
from .conv_transpose import _ConvTransposeNd
from .flatten import Flatten
from .linear import Bilinear, Linear
from .module import Module
from .pooling import _AdaptiveAvgPoolNd, _AvgPoolNd, _MaxPoolNd

Field = tuple[tuple[int, ...], tuple[int, ...]] | None  # (sizes, jumps) per spatial dim
_COLUMNS = ("Layer", "Type", "Output shape", "Params", "MACs", "RF", "Jump",
            "FC-equivalent params", "Saving")


def _fmt(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def _dims(values: tuple[int, ...] | None) -> str:
    return "-" if values is None else "x".join(str(v) for v in values)


def saving_text(ratio: float | None) -> str:
    """'x1,234 fewer parameters' (or 'x2.5 more parameters' when a conv is the larger)."""
    if ratio is None:
        return ""
    if ratio >= 1:
        return f"x{ratio:,.0f} fewer parameters"
    return f"x{1 / ratio:,.1f} more parameters"


@dataclass
class Summary:
    """What :func:`summary` returns: ``rows`` (a list of dicts) plus totals.

    Each row has ``name``, ``type``, ``output_shape`` (without the batch dimension),
    ``params``, ``macs``, ``rf_size`` and ``rf_jump`` (tuples per spatial dimension, or None),
    ``fc_params`` and ``fc_ratio`` (conv layers only, else None). ``str()`` gives a text
    table; Jupyter shows ``_repr_html_``.
    """

    rows: list[dict[str, Any]]
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...] | None
    total_params: int
    trainable_params: int
    total_macs: int

    def _cells(self) -> list[list[str]]:
        return [[row["name"], row["type"],
                 "-" if row["output_shape"] is None else str(row["output_shape"]),
                 _fmt(row["params"]), _fmt(row["macs"]), _dims(row["rf_size"]),
                 _dims(row["rf_jump"]), _fmt(row["fc_params"]), saving_text(row["fc_ratio"])]
                for row in self.rows]

    def _footer(self) -> list[str]:
        return [f"Total params: {self.total_params:,} (trainable: {self.trainable_params:,})",
                f"Total multiply-adds (MACs) per sample: {self.total_macs:,}",
                f"Input shape: {self.input_shape}, output shape: {self.output_shape}"]

    def __str__(self) -> str:
        cells = [list(_COLUMNS), *self._cells()]
        widths = [max(len(row[i]) for row in cells) for i in range(len(_COLUMNS))]
        right = {3, 4, 7}

        def line(row: list[str]) -> str:
            return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                             for i, (c, w) in enumerate(zip(row, widths))).rstrip()

        rule = "-" * len(line(cells[0]))
        return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:]), rule,
                          *self._footer()])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in _COLUMNS)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                       for row in self._cells())
        foot = "<br>".join(html.escape(line) for line in self._footer())
        return (f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
                f"<p>{foot}</p>")


def _window_field(field_in: Field, kernel: tuple[int, ...], stride: tuple[int, ...]) -> Field:
    if field_in is None or len(field_in[0]) != len(kernel):
        return None
    sizes, jumps = field_in
    return (tuple(r + (k - 1) * j for r, k, j in zip(sizes, kernel, jumps)),
            tuple(j * s for j, s in zip(jumps, stride)))


def layer_field(module: Module, field_in: Field, x: Tensor, out: Tensor) -> Field:
    """Receptive field after one leaf layer, given the field of its input."""
    if isinstance(module, Flatten | Linear) or field_in is None:
        return None
    nd = len(field_in[0])
    if isinstance(module, _ConvNd):
        kernel = tuple(d * (k - 1) + 1 for k, d in zip(module.kernel_size, module.dilation))
        return _window_field(field_in, kernel, module.stride)
    if isinstance(module, _ConvTransposeNd):    # a stride > 1 jump would be fractional
        kernel = tuple(d * (k - 1) + 1 for k, d in zip(module.kernel_size, module.dilation))
        return _window_field(field_in, kernel, module.stride) \
            if set(module.stride) == {1} else None
    if isinstance(module, _MaxPoolNd | _AvgPoolNd):
        kernel = _validate.int_tuple(module.kernel_size, nd, "kernel_size")
        dilation = _validate.int_tuple(getattr(module, "dilation", 1), nd, "dilation")
        stride = _validate.int_tuple(module.stride, nd, "stride")
        return _window_field(field_in, tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation)),
                             stride)
    if isinstance(module, _AdaptiveAvgPoolNd):
        in_size, out_size = x.shape[2:], out.shape[2:]
        if any(n % m for n, m in zip(in_size, out_size)):
            return None  # uneven bins: no single kernel and stride
        steps = tuple(n // m for n, m in zip(in_size, out_size))
        return _window_field(field_in, steps, steps)
    # Elementwise layers keep the geometry; so, we assume, does any layer that keeps it.
    return field_in if x.shape[2:] == out.shape[2:] and x.ndim == out.ndim else None


def _merge(fields: list[Field]) -> Field:
    known = [f for f in fields if f is not None]
    if not known or len({len(f[0]) for f in known}) != 1:
        return None
    return (tuple(max(s) for s in zip(*(f[0] for f in known))),
            tuple(max(j) for j in zip(*(f[1] for f in known))))


def _macs(module: Module, x: Tensor, out: Tensor) -> int:
    if isinstance(module, _ConvNd):
        per_output = module.in_channels // module.groups * math.prod(module.kernel_size)
        return int(out._data.size) * per_output
    if isinstance(module, Linear):
        return int(out._data.size) * module.in_features
    if isinstance(module, _ConvTransposeNd):    # every input pixel meets every tap once
        per_input = module.out_channels // module.groups * math.prod(module.kernel_size)
        return int(x._data.size) * per_input
    if isinstance(module, Bilinear):  # x1 @ W[o] per output, then @ x2
        return int(out._data.size) * module.in2_features * (module.in1_features + 1)
    return 0


class _Recorder:
    """Forward hooks that fill the rows and track each tensor's receptive field."""

    def __init__(self, names: dict[int, str]) -> None:
        self.names = names
        self.fields: dict[int, Field] = {}
        self.keep: list[Any] = []  # hold tensors so their ids stay unique during the run
        self.done: dict[int, tuple[int, Field]] = {}  # module id -> (finish tick, field)
        self.started: dict[int, int] = {}
        self.tick = 0
        self.rows: list[dict[str, Any]] = []
        self.counted: set[int] = set()

    def field_of(self, value: Any) -> Field:
        return self.fields.get(id(value))

    def pre(self, module: Module, inputs: tuple) -> None:
        self.tick += 1
        self.started[id(module)] = self.tick

    def post(self, module: Module, inputs: tuple, output: Any) -> None:
        self.tick += 1
        out = output[0] if isinstance(output, tuple) else output
        x = inputs[0] if inputs else None
        self.keep += [x, out]
        children = list(module.children())
        if not children:
            result = layer_field(module, self.field_of(x), x, out) \
                if isinstance(x, Tensor) and isinstance(out, Tensor) else None
        elif id(out) in self.fields:
            result = self.fields[id(out)]
        else:  # branches met inside this container: keep the largest field
            start = self.started.get(id(module), 0)
            result = _merge([self.field_of(x)] + [
                self.done[id(c)][1] for c in children
                if id(c) in self.done and self.done[id(c)][0] > start])
        self.fields.setdefault(id(out), result)
        self.done[id(module)] = (self.tick, result)
        own = list(module.parameters(recurse=False))
        if not children or own:
            self._row(module, x, out, result, own)

    def _row(self, module: Module, x: Any, out: Any, result: Field, own: list) -> None:
        first = id(module) not in self.counted
        self.counted.add(id(module))
        params = sum(p.numel() for p in own) if first else 0
        row = {"name": self.names.get(id(module), "?"), "type": type(module).__name__,
               "output_shape": tuple(out.shape[1:]) if isinstance(out, Tensor) else None,
               "params": params, "macs": 0, "rf_size": None if result is None else result[0],
               "rf_jump": None if result is None else result[1], "fc_params": None,
               "fc_ratio": None}
        if isinstance(x, Tensor) and isinstance(out, Tensor):
            row["macs"] = _macs(module, x, out)
            if isinstance(module, _ConvNd | _ConvTransposeNd):
                in_size, out_size = int(x._data.size), int(out._data.size)
                bias = out_size if module.bias is not None else 0
                conv_params = sum(p.numel() for p in own)
                row["fc_params"] = in_size * out_size + bias
                row["fc_ratio"] = row["fc_params"] / conv_params
        self.rows.append(row)


def _input_shape(input_shape: Any) -> tuple[int, ...]:
    shape = tuple(input_shape) if isinstance(input_shape, tuple | list) else None
    if not shape or not all(isinstance(n, int | np.integer) and not isinstance(n, bool)
                            and n > 0 for n in shape):
        raise ValueError(f"input_shape must be a non-empty tuple of positive ints without the "
                         f"batch dimension, e.g. (1, 28, 28); got {input_shape!r}")
    return tuple(int(n) for n in shape)


def summary(model: Module, input_shape: tuple[int, ...], dtype: Any = None) -> Summary:
    """Run a zero input through ``model`` and tabulate every leaf layer.

    Parameters
    ----------
    model : Module
    input_shape : tuple of int
        One sample's shape, without the batch dimension: (C, H, W), (C, L) or (features,).
    dtype : numpy dtype, optional
        Of the zero input; by default that of the model's first parameter (else float32).

    Returns
    -------
    Summary
        ``rows`` (one dict per leaf layer call, in execution order) and totals; print it for
        the table. Parameters of a module called twice are counted on its first row only.

    Raises
    ------
    ValueError
        If ``input_shape`` is malformed; the model's own errors if it rejects the shape.

    Notes
    -----
    MACs count the multiply-adds of conv (``C_out * H_out * W_out * C_in / groups * kH * kW``)
    and linear (``in * out``) layers for one sample; other layers count 0. The
    FC-equivalent of a conv layer is ``in_volume * out_volume`` weights (+ ``out_volume``
    biases if the conv has a bias); the saving is that over the conv's parameter count.
    The model runs in eval mode (no BatchNorm statistics change, no dropout randomness drawn)
    and is put back in its previous mode afterwards.

    Examples
    --------
    >>> from convlens import nn
    >>> model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
    ...                       nn.Flatten(), nn.Linear(6 * 14 * 14, 10))
    >>> table = model.summary((1, 28, 28))
    >>> [(r["name"], r["params"], r["rf_size"]) for r in table.rows[:3]]
    [('0', 156, (5, 5)), ('1', 0, (5, 5)), ('2', 0, (6, 6))]
    >>> print(table.rows[0]["fc_params"], table.total_params)
    3692640 11926
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary expects an nn.Module; got {type(model).__name__}")
    shape = _input_shape(input_shape)
    if dtype is None:
        dtype = next((p.dtype for p in model.parameters()), np.float32)
    x = Tensor(np.zeros((1, *shape), dtype))
    names = {id(m): name or type(m).__name__ for name, m in model.named_modules()}
    recorder = _Recorder(names)
    recorder.fields[id(x)] = (((1,) * (len(shape) - 1), (1,) * (len(shape) - 1))
                              if len(shape) > 1 else None)
    modes = {id(m): m.training for m in model.modules()}
    handles = []
    for module in model.modules():
        handles += [module.register_forward_pre_hook(recorder.pre),
                    module.register_forward_hook(recorder.post)]
    try:
        model.eval()
        with no_grad():
            out = model(x)
    finally:
        for handle in handles:
            handle.remove()
        for module in model.modules():
            object.__setattr__(module, "training", modes[id(module)])
    out = out[0] if isinstance(out, tuple) else out
    params = list(model.parameters())
    return Summary(
        rows=recorder.rows, input_shape=shape,
        output_shape=tuple(out.shape[1:]) if isinstance(out, Tensor) else None,
        total_params=sum(p.numel() for p in params),
        trainable_params=sum(p.numel() for p in params if p.requires_grad),
        total_macs=sum(row["macs"] for row in recorder.rows))
