"""Keyed and parameter containers: ``ModuleDict``, ``ParameterList`` and ``ParameterDict``,
as in ``torch.nn``. Entries are registered under their keys ("0", "1", ... for the list), so
``state_dict`` keys match torch's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from ..tensor import Tensor
from . import _budget
from .containers import _check_module, _index
from .module import Module
from .parameter import Parameter
from .registry import builtin


def _items(values: Mapping | Iterable | None, what: str) -> list[tuple[str, Any]]:
    """(key, value) pairs from a mapping or an iterable of pairs, in order."""
    if values is None:
        return []
    pairs = list(values.items()) if isinstance(values, Mapping) else list(values)
    for pair in pairs:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise TypeError(f"{what} takes a mapping or an iterable of (key, value) pairs; "
                            f"got an element {pair!r}")
    return [(k, v) for k, v in pairs]


def _as_parameter(value: Any, where: str) -> Parameter | None:
    """torch's rule: a Tensor (or array) that is not a Parameter becomes one."""
    if value is None or isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value._data)
    if isinstance(value, np.ndarray):
        return Parameter(value)
    raise TypeError(f"{where} must be an nn.Parameter, a Tensor or an ndarray; got "
                    f"{type(value).__name__}")


def _shape_config(params: Mapping[str, Parameter | None]) -> dict[str, Any]:
    return {key: None if p is None else {"shape": list(p.shape), "dtype": str(p.dtype)}
            for key, p in params.items()}


def _from_shape(spec: dict[str, Any] | None) -> Parameter | None:
    # np.zeros does not touch memory; load_state_dict then checks every shape against the file.
    return None if spec is None else Parameter(np.zeros(tuple(spec["shape"]),
                                                        np.dtype(spec["dtype"])))


@builtin
class ModuleDict(Module):
    """Hold submodules under string keys, as ``torch.nn.ModuleDict`` (insertion order kept).

    Examples
    --------
    >>> from convlens import nn
    >>> heads = nn.ModuleDict({"cls": nn.Linear(4, 3), "box": nn.Linear(4, 2)})
    >>> list(heads), "cls" in heads, list(heads.state_dict())[:2]
    (['cls', 'box'], True, ['cls.weight', 'cls.bias'])
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable | None = None) -> None:
        super().__init__()
        self.update(modules or {})

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, _check_module(module, f"ModuleDict entry {key!r}"))

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def update(self, modules: Mapping[str, Module] | Iterable) -> None:
        for key, module in _items(modules, "ModuleDict.update"):
            self[key] = module

    def get_config(self) -> dict[str, Any]:
        return {"modules": dict(self._modules)}


@builtin
class ParameterList(Module):
    """Hold Parameters in a list, registered as "0", "1", ... (as ``torch.nn.ParameterList``).

    Tensors and ndarrays that are not Parameters are wrapped into one, as torch does.

    Examples
    --------
    >>> import numpy as np
    >>> from convlens import nn
    >>> params = nn.ParameterList([np.zeros(2), np.ones((2, 2))])
    >>> len(params), list(params.state_dict()), params[1].shape
    (2, ['0', '1'], (2, 2))
    """

    def __init__(self, values: Iterable | None = None) -> None:
        super().__init__()
        for value in values or ():
            self.append(value)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())

    def __getitem__(self, idx: int | slice) -> Parameter | ParameterList:
        params = list(self._parameters.values())
        if isinstance(idx, slice):
            return type(self)(params[idx])
        return params[_index(len(params), idx, "ParameterList")]

    def __setitem__(self, idx: int, value: Any) -> None:
        name = str(_index(len(self), idx, "ParameterList"))
        self.register_parameter(name, _as_parameter(value, "the assigned value"))

    def append(self, value: Any) -> ParameterList:
        self.register_parameter(str(len(self)), _as_parameter(value, "the appended value"))
        return self

    def extend(self, values: Iterable) -> ParameterList:
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(f"({i}): Parameter of shape {p.shape}, dtype {p.dtype}"
                         for i, p in enumerate(self))

    def get_config(self) -> dict[str, Any]:
        return {"values": list(_shape_config(self._parameters).values())}

    @classmethod
    def estimated_elements(cls, config: dict[str, Any]) -> int:
        """Parameter elements ``cls(**config)`` allocates (see ``nn._budget``)."""
        return sum(_budget.product(spec.get("shape")) for spec in config.get("values", [])
                   if isinstance(spec, dict))

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ParameterList:
        return cls([_from_shape(spec) for spec in config["values"]])


@builtin
class ParameterDict(Module):
    """Hold Parameters under string keys, as ``torch.nn.ParameterDict``.

    Examples
    --------
    >>> import numpy as np
    >>> from convlens import nn
    >>> params = nn.ParameterDict({"scale": np.ones(3)})
    >>> list(params.state_dict()), params["scale"].requires_grad
    (['scale'], True)
    """

    def __init__(self, parameters: Mapping | Iterable | None = None) -> None:
        super().__init__()
        self.update(parameters or {})

    def __getitem__(self, key: str) -> Parameter:
        return self._parameters[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.register_parameter(key, _as_parameter(value, f"ParameterDict entry {key!r}"))

    def __delitem__(self, key: str) -> None:
        del self._parameters[key]

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parameters)

    def __contains__(self, key: object) -> bool:
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def items(self):
        return self._parameters.items()

    def values(self):
        return self._parameters.values()

    def pop(self, key: str) -> Parameter:
        value = self[key]
        del self[key]
        return value

    def update(self, parameters: Mapping | Iterable) -> None:
        for key, value in _items(parameters, "ParameterDict.update"):
            self[key] = value

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): Parameter of shape {p.shape}, dtype {p.dtype}"
                         for k, p in self.items())

    def get_config(self) -> dict[str, Any]:
        return {"parameters": _shape_config(self._parameters)}

    @classmethod
    def estimated_elements(cls, config: dict[str, Any]) -> int:
        """Parameter elements ``cls(**config)`` allocates (see ``nn._budget``)."""
        return sum(_budget.product(spec.get("shape"))
                   for spec in (config.get("parameters") or {}).values() if isinstance(spec, dict))

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ParameterDict:
        return cls({key: _from_shape(spec) for key, spec in config["parameters"].items()})
