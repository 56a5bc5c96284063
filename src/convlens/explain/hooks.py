"""Seeing inside a forward pass: which modules count as layers, and a traced forward.

:func:`trace` runs a model once with forward hooks on every module and returns, per layer, the
output Tensor and its receptive-field :class:`~convlens.explain._geometry.Geometry`. Every
explain function builds on it, so all of them work on any convlens model, not only the zoo's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import nn
from ..autograd import enable_grad, no_grad
from ..nn.conv import _ConvNd
from ..nn.pooling import _AdaptiveAvgPoolNd, _AvgPoolNd, _MaxPoolNd
from ..tensor import Tensor
from ._geometry import Geometry, layer_geometry

# Containers whose output is one of their children's outputs: they add no row of their own.
_PASS_THROUGH = (nn.Sequential, nn.ModuleList)
_SPATIAL = (_ConvNd, _MaxPoolNd, _AvgPoolNd, _AdaptiveAvgPoolNd)


def layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The modules whose outputs explain reports, as (dotted name, module), in model order.

    Every module except the model itself and plain ``Sequential``/``ModuleList`` containers;
    a model without children is its own single layer, named after its class.
    """
    named = list(model.named_modules())
    if len(named) == 1:
        return [(type(model).__name__, model)]
    return [(name, module) for name, module in named[1:]
            if not isinstance(module, _PASS_THROUGH)]


def conv_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The Conv1d/Conv2d layers of ``model``, as (dotted name, module), in model order."""
    return [(name, module) for name, module in layers(model) if isinstance(module, _ConvNd)]


def find_layer(model: nn.Module, layer: str | nn.Module,
               candidates: list[tuple[str, nn.Module]], what: str = "layer"
               ) -> tuple[str, nn.Module]:
    """Look ``layer`` (a dotted name or a module) up among ``candidates``."""
    for name, module in candidates:
        if layer is module or (isinstance(layer, str) and layer == name):
            return name, module
    names = ", ".join(repr(name) for name, _ in candidates) or "none"
    shown = layer if isinstance(layer, str) else type(layer).__name__
    raise ValueError(f"layer must name a {what} of the model (one of {names}); got {shown!r}")


def spatial_rank(model: nn.Module) -> int | None:
    """1 or 2 for a model whose first conv/pool layer is 1-D or 2-D; None without any."""
    for _, module in layers(model):
        if isinstance(module, _SPATIAL):
            return module._nd
    return None


def model_dtype(model: nn.Module, x: np.ndarray) -> np.dtype:
    """The dtype of the model's first parameter; for a model without any (a pooling layer),
    ``x``'s own float dtype, or float32."""
    for param in model.parameters():
        return param.dtype
    return x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float32)


def prepare_input(model: nn.Module, x: Any, op: str) -> Tensor:
    """One input sample as a batch of one, in the model's dtype.

    ``x`` is one sample shaped (C, *spatial) or a batch of one (1, C, *spatial); for a model
    without conv or pooling layers every ``x`` is taken as one sample.
    """
    if isinstance(x, Tensor):
        x = x._data
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{op} expects x to be an ndarray or convlens Tensor; "
                        f"got {type(x).__name__}")
    nd = spatial_rank(model)
    if nd is not None and x.ndim == nd + 2:
        if x.shape[0] != 1:
            raise ValueError(f"{op} expects x to be one sample (C, ...) or a batch of one "
                             f"(1, C, ...); got shape {x.shape}")
        x = x[0]
    elif nd is not None and x.ndim != nd + 1:
        layout = "(C, L)" if nd == 1 else "(C, H, W)"
        raise ValueError(f"{op} expects x to be one {layout} sample for this {nd}-D model; "
                         f"got shape {x.shape}")
    if x.dtype.kind not in "fiub":
        raise TypeError(f"{op} expects x to hold numbers; got dtype {x.dtype}")
    return Tensor(np.ascontiguousarray(x[None], dtype=model_dtype(model, x)))


def zeros_input(model: nn.Module, input_shape: Any, op: str) -> Tensor:
    """A batch of one all-zero sample of ``input_shape`` (C, *spatial), in the model's dtype."""
    shape = tuple(input_shape) if isinstance(input_shape, tuple | list) else None
    if not shape or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0
                            for n in shape):
        raise ValueError(f"{op} expects input_shape to be a tuple of positive ints such as "
                         f"(1, 28, 28), without the batch axis; got {input_shape!r}")
    return prepare_input(model, np.zeros(shape), op)


@contextlib.contextmanager
def evaluating(model: nn.Module) -> Iterator[None]:
    """Put every module in eval mode (BatchNorm's running stats, no dropout), then restore."""
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for module, mode in modes:
            object.__setattr__(module, "training", mode)


@dataclass
class Record:
    """One layer's part in a traced forward pass.

    ``output`` keeps the batch axis; ``geometry`` is None when the output has no spatial axes
    (after Flatten or Linear) or its geometry cannot be worked out.
    """

    name: str
    module: nn.Module
    input_shape: tuple[int, ...]
    output: Tensor
    geometry: Geometry | None


def _spatial(tensor: Any, nd: int) -> tuple[int, ...] | None:
    """A batched (N, C, *S) tensor's S when it has ``nd`` spatial axes, else None."""
    if not isinstance(tensor, Tensor) or tensor.ndim != nd + 2:
        return None
    return tuple(tensor.shape[2:])


class _Tracer:
    """Forward hooks that follow each Tensor's geometry through the model."""

    def __init__(self, model: nn.Module, x: Tensor) -> None:
        self.nd = x.ndim - 2
        self.names = {id(module): name for name, module in layers(model)}
        self.seen: list[tuple[Tensor, Geometry | None]] = [(x, Geometry.identity(self.nd))]
        self.known = {id(x): 0}
        self.starts: dict[int, list[int]] = {}
        self.records: dict[str, Record] = {}

    def geometry_of(self, tensor: Any) -> Geometry | None:
        if id(tensor) in self.known:
            return self.seen[self.known[id(tensor)]][1]
        # Made by code in a custom forward (an F.relu between layers): the latest tensor with
        # the same spatial size is the best guess for where it sits.
        size = _spatial(tensor, self.nd)
        for other, geometry in reversed(self.seen):
            if geometry is not None and size is not None and _spatial(other, self.nd) == size:
                return geometry
        return None

    def before(self, module: nn.Module, inputs: tuple) -> None:
        self.starts.setdefault(id(module), []).append(len(self.seen))

    def after(self, module: nn.Module, inputs: tuple, output: Any) -> None:
        start = self.starts[id(module)].pop()
        source = inputs[0] if inputs else None
        if id(output) in self.known:
            geometry = self.geometry_of(output)
        elif not module._modules:
            in_size, out_size = _spatial(source, self.nd), _spatial(output, self.nd)
            geometry = None if in_size is None or out_size is None else layer_geometry(
                module, self.geometry_of(source), in_size, out_size)
        else:
            geometry = self._widest(start, _spatial(output, self.nd))
        self.known[id(output)] = len(self.seen)
        self.seen.append((output, geometry))
        if id(module) in self.names and isinstance(output, Tensor):
            name = self._unique(self.names[id(module)])
            shape = tuple(source.shape[1:]) if isinstance(source, Tensor) else ()
            self.records[name] = Record(name, module, shape, output, geometry)

    def _widest(self, start: int, size: tuple[int, ...] | None) -> Geometry | None:
        # A branching module (Residual, Concat) adds or stacks its branches: its output sees
        # what the widest branch of the same spatial size sees.
        found = [g for t, g in self.seen[start:] if g is not None and _spatial(t, self.nd) == size]
        return max(found, key=lambda g: int(np.prod(g.size)), default=None)

    def _unique(self, name: str) -> str:
        # A module called twice (shared weights) gets one row per call.
        if name not in self.records:
            return name
        count = 2
        while f"{name}#{count}" in self.records:
            count += 1
        return f"{name}#{count}"


def trace(model: nn.Module, x: Tensor, grad: bool = False) -> tuple[Tensor, dict[str, Record]]:
    """Run ``model(x)`` in eval mode and record every layer's output and geometry.

    Parameters
    ----------
    model : nn.Module
    x : Tensor
        A batched input (N, C, *spatial).
    grad : bool, default False
        Record the autograd graph (for saliency and Grad-CAM); otherwise run under no_grad.

    Returns
    -------
    output : Tensor
        The model's output.
    records : dict of str to Record
        One entry per layer, in the order the layers finished.
    """
    tracer = _Tracer(model, x)
    handles = []
    for module in model.modules():
        if module is not model or not model._modules:
            handles.append(module.register_forward_pre_hook(tracer.before))
            handles.append(module.register_forward_hook(tracer.after))
    try:
        with evaluating(model), (enable_grad() if grad else no_grad()):
            output = model(x)
    finally:
        for handle in handles:
            handle.remove()
    return output, tracer.records
