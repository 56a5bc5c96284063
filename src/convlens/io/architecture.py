"""A model's architecture as JSON: registered type names plus constructor arguments.

A node is ``{"type": "Conv2d", "config": {...}}``; the config holds the JSON values that
``get_config()`` returned, with nested modules as ``{"__module__": node}``. A module that
appears twice (weight sharing) is written once and then referred to as ``{"__shared__": i}``,
where ``i`` counts modules in the order they are written. A reference may only point back to a
module that is already complete, so a file cannot describe a cycle.

Decoding looks every type name up in :mod:`convlens.nn.registry` and never imports anything.
Before it builds a layer that allocates parameters, it adds up how many elements the layer
would hold and refuses a file that declares more than its weights can fill.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..nn.conv import _ConvNd
from ..nn.conv_transpose import _ConvTransposeNd
from ..nn.linear import Linear
from ..nn.module import Module
from ..nn.normalization import _BatchNorm
from ..nn.registry import lookup, registered_name

MODULE = "__module__"
SHARED = "__shared__"
MAX_MODULES = 20_000
MAX_MODULE_DEPTH = 40
_REBUILD_ERRORS = (TypeError, ValueError, KeyError, IndexError, AttributeError)


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class Encoder:
    """Turns a module tree into a JSON node; ``TypeError`` names any class it cannot save."""

    def __init__(self) -> None:
        self.index: dict[int, int] = {}
        self.active: set[int] = set()

    def node(self, module: Module, where: str) -> dict[str, Any]:
        if id(module) in self.active:
            raise ValueError(f"cannot save the model: {where} contains itself (a cycle)")
        if id(module) in self.index:
            return {SHARED: self.index[id(module)]}
        cls = type(module)
        name = registered_name(cls)
        if name is None:
            raise TypeError(f"cannot save {where}: {_qualname(cls)} is not a registered layer "
                            "type; decorate the class with @convlens.nn.register and give it "
                            "get_config()")
        self.index[id(module)] = len(self.index)
        self.active.add(id(module))
        config = module.get_config()
        if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
            raise TypeError(f"cannot save {where}: {_qualname(cls)}.get_config() must return "
                            f"a dict with str keys; got {type(config).__name__}")
        encoded = {key: self.value(value, f"{where}.{key}") for key, value in config.items()}
        self.active.discard(id(module))
        return {"type": name, "config": encoded}

    def value(self, value: Any, where: str) -> Any:
        if isinstance(value, Module):
            node = self.node(value, where)
            return node if SHARED in node else {MODULE: node}
        if isinstance(value, np.generic):
            value = value.item()
        if value is None or isinstance(value, bool | int | str):
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(f"cannot save {where}: {value} is not a finite number")
            return value
        if isinstance(value, np.dtype) or (isinstance(value, type)
                                           and issubclass(value, np.generic)):
            return np.dtype(value).name
        if isinstance(value, list | tuple):
            return [self.value(item, f"{where}[{i}]") for i, item in enumerate(value)]
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            if MODULE in value or SHARED in value:
                raise ValueError(f"cannot save {where}: the keys {MODULE!r} and {SHARED!r} are "
                                 "reserved")
            return {key: self.value(item, f"{where}.{key}") for key, item in value.items()}
        raise TypeError(f"cannot save {where}: a {type(value).__name__} is not JSON-able "
                        "(get_config() may return numbers, strings, bools, None, lists, dicts "
                        "with str keys, dtypes and Modules)")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 \
        else None


def estimated_elements(cls: type, config: dict[str, Any]) -> int:
    """Parameter and buffer elements a built-in layer will allocate for ``config``.

    Arguments that are not positive ints count as 1: the constructor rejects them before it
    allocates anything. A registered class that allocates from its config (such as
    ``interop.layers.Constant``) says how many bytes with a ``config_nbytes(config)``
    classmethod; they count here in 4-byte elements.
    """
    def get(name: str) -> int:
        return _int(config.get(name)) or 1

    declared = getattr(cls, "config_nbytes", None)
    if callable(declared):
        return -(-int(declared(config)) // 4)
    layer_estimate = getattr(cls, "estimated_elements", None)
    if callable(layer_estimate):          # layers that know their own size (nn/_budget.py)
        return int(layer_estimate(config))

    if issubclass(cls, Linear):
        return get("in_features") * get("out_features") + get("out_features")
    if issubclass(cls, _ConvNd | _ConvTransposeNd):
        kernel = config.get("kernel_size")
        sizes = kernel if isinstance(kernel, list) else [kernel] * cls._nd
        taps = math.prod(_int(k) or 1 for k in sizes[:cls._nd])
        return get("out_channels") * (get("in_channels") // get("groups") or 1) * taps \
            + get("out_channels")
    if issubclass(cls, _BatchNorm):
        return 4 * get("num_features")
    return 0


class Decoder:
    """Rebuilds modules from JSON nodes; every problem is a ``ModelFileError``.

    Parameters
    ----------
    error : callable
        Wraps a message into the ModelFileError to raise (it adds the file name).
    budget : int
        Bytes of weights the file holds; layers may not declare more (at 4 bytes per element).
    """

    def __init__(self, error, budget: int) -> None:
        self.error = error
        self.budget = budget
        self.elements = 0
        self.built: dict[int, Module] = {}
        self.count = 0

    def node(self, node: Any, where: str, depth: int = 0) -> Module:
        if depth > MAX_MODULE_DEPTH:
            raise self.error(f"{where}: modules are nested deeper than {MAX_MODULE_DEPTH} "
                             "levels")
        if not isinstance(node, dict) or set(node) != {"type", "config"} \
                or not isinstance(node["config"], dict):
            raise self.error(f"{where}: an architecture node must be an object with exactly "
                             f"'type' and 'config' (an object); got {_short(node)}")
        cls = lookup(node["type"])
        if cls is None:
            raise self.error(f"{where}: unknown layer type {_short(node['type'])}; built-in "
                             "types and classes decorated with @convlens.nn.register (import "
                             "their module before loading) are allowed")
        index, self.count = self.count, self.count + 1
        if self.count > MAX_MODULES:
            raise self.error(f"the architecture has more than {MAX_MODULES} modules")
        config = {key: self.value(value, f"{where}.{key}", depth)
                  for key, value in node["config"].items()}
        self.elements += estimated_elements(cls, config)
        if 4 * self.elements > self.budget + 2**20:
            raise self.error(f"{where}: the architecture declares at least {self.elements:,} "
                             f"parameter elements, more than the {self.budget:,} bytes of "
                             "weights in the file can hold")
        try:
            module = cls.from_config(config)
        except _REBUILD_ERRORS as error:
            raise self.error(f"{where}: cannot rebuild {node['type']} from its config "
                             f"({error})") from None
        if not isinstance(module, Module):
            raise self.error(f"{where}: {node['type']}.from_config did not return a Module")
        self.built[index] = module
        return module

    def value(self, value: Any, where: str, depth: int) -> Any:
        if isinstance(value, list):
            return [self.value(item, f"{where}[{i}]", depth) for i, item in enumerate(value)]
        if not isinstance(value, dict):
            return value
        if MODULE in value:
            if len(value) != 1:
                raise self.error(f"{where}: a {MODULE!r} object must have no other keys")
            return self.node(value[MODULE], where, depth + 1)
        if SHARED in value:
            target = value[SHARED]
            if len(value) != 1 or not isinstance(target, int) or target not in self.built:
                raise self.error(f"{where}: {SHARED!r} must refer to a module that is already "
                                 f"complete; got {_short(value)} (a cycle or a bad index)")
            return self.built[target]
        return {key: self.value(item, f"{where}.{key}", depth) for key, item in value.items()}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
