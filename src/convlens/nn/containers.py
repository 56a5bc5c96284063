"""Containers: ``Sequential``, ``ModuleList``, and ``Residual`` and ``Concat`` for branching models.

``Residual`` and ``Concat`` let residual (ResNet) and inception-style models be built from stock
parts, so they save, load, summarise and export like any Sequential.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .. import _ops
from ..tensor import Tensor
from .module import Module
from .registry import builtin


def _check_module(value: object, where: str) -> Module:
    if not isinstance(value, Module):
        raise TypeError(f"{where} must be an nn.Module; got {type(value).__name__}")
    return value


def _index(length: int, idx: object, container: str) -> int:
    if not isinstance(idx, int) or isinstance(idx, bool):
        raise TypeError(f"{container} indices must be ints or slices; got {type(idx).__name__}")
    if not -length <= idx < length:
        raise IndexError(f"index {idx} is out of range for a {container} of length {length}")
    return idx % length


@builtin
class Sequential(Module):
    """Run modules one after another, as ``torch.nn.Sequential``.

    Children are named "0", "1", ... (or by the keys of one OrderedDict argument), so
    ``state_dict`` keys are "0.weight", "3.bias", ... as in torch.

    Parameters
    ----------
    *args : Module, or one mapping of names to Modules

    Examples
    --------
    >>> from convlens import nn
    >>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    >>> len(model), type(model[-1]).__name__, len(model[:2])
    (3, 'Linear', 2)
    >>> list(model.state_dict())
    ['0.weight', '0.bias', '2.weight', '2.bias']
    """

    def __init__(self, *args: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], Mapping):
            for name, module in args[0].items():
                self.add_module(name, _check_module(module, f"Sequential entry {name!r}"))
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), _check_module(module, f"Sequential argument {index}"))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx: int | slice) -> Module:
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return type(self)(OrderedDict(items[idx]))
        return items[_index(len(items), idx, "Sequential")][1]

    def __setitem__(self, idx: int, module: Module) -> None:
        name = list(self._modules)[_index(len(self), idx, "Sequential")]
        self.add_module(name, _check_module(module, "the assigned value"))

    def __delitem__(self, idx: int | slice) -> None:
        names = list(self._modules)
        doomed = names[idx] if isinstance(idx, slice) else [
            names[_index(len(names), idx, "Sequential")]]
        for name in doomed:
            del self._modules[name]
        # Renumber, as torch does, so indices and names agree again.
        modules = list(self._modules.values())
        self._modules.clear()
        for index, module in enumerate(modules):
            self._modules[str(index)] = module

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end, named ``str(len(self))``."""
        self.add_module(str(len(self)), _check_module(module, "the appended value"))
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Insert ``module`` before position ``index`` and renumber."""
        modules = list(self._modules.values())
        modules.insert(index, _check_module(module, "the inserted value"))
        self._modules.clear()
        for position, item in enumerate(modules):
            self._modules[str(position)] = item
        return self

    def forward(self, input: Any) -> Any:  # noqa: A002 - torch's argument name
        for module in self:
            input = module(input)
        return input

    def get_config(self) -> dict[str, Any]:
        return {"modules": dict(self._modules)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Sequential:
        return cls(OrderedDict(config["modules"]))


@builtin
class ModuleList(Module):
    """Hold submodules in a list, registered as "0", "1", ... (as ``torch.nn.ModuleList``).

    It has no ``forward``: a model that owns it decides how to call the modules.

    Examples
    --------
    >>> from convlens import nn
    >>> blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    >>> len(blocks), len(list(blocks.parameters()))
    (3, 6)
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        for module in modules or ():
            self.append(module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx: int | slice) -> Module | ModuleList:
        modules = list(self._modules.values())
        if isinstance(idx, slice):
            return type(self)(modules[idx])
        return modules[_index(len(modules), idx, "ModuleList")]

    def __setitem__(self, idx: int, module: Module) -> None:
        name = str(_index(len(self), idx, "ModuleList"))
        self.add_module(name, _check_module(module, "the assigned value"))

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), _check_module(module, "the appended value"))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def get_config(self) -> dict[str, Any]:
        return {"modules": list(self._modules.values())}


@builtin
class Residual(Module):
    """``body(x) + shortcut(x)``, with the identity as the default shortcut (He et al. 2016).

    Children are named ``body`` and ``shortcut`` ("body.0.weight", "shortcut.1.running_mean").

    Parameters
    ----------
    body : Module
    shortcut : Module, optional
        A projection such as a 1x1 conv when ``body`` changes the shape; None is the identity.

    Raises
    ------
    ValueError
        At call time, if the body and shortcut outputs differ in shape.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> block = nn.Residual(nn.Sequential(nn.Linear(3, 3), nn.ReLU()))
    >>> block(cl.tensor(np.zeros((2, 3), np.float32))).shape
    (2, 3)
    """

    def __init__(self, body: Module, shortcut: Module | None = None) -> None:
        super().__init__()
        self.body = _check_module(body, "body")
        self.shortcut = None if shortcut is None else _check_module(shortcut, "shortcut")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        out = self.body(input)
        skip = input if self.shortcut is None else self.shortcut(input)
        if tuple(out.shape) != tuple(skip.shape):
            which = "input" if self.shortcut is None else "shortcut output"
            raise ValueError(f"Residual needs the body output and the {which} to have the same "
                             f"shape; got {tuple(out.shape)} and {tuple(skip.shape)} (add a "
                             "shortcut projection)")
        return out + skip

    def get_config(self) -> dict[str, Any]:
        return {"body": self.body, "shortcut": self.shortcut}


@builtin
class Concat(Module):
    """Run each branch on the same input and concatenate the outputs along ``dim``.

    The inception-style container: branches are named "0", "1", ... as in a Sequential.

    Parameters
    ----------
    *branches : Module
    dim : int, default 1
        The channel axis for (N, C, ...) outputs.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> block = nn.Concat(nn.Conv2d(3, 4, 1), nn.Conv2d(3, 2, 3, padding=1))
    >>> block(cl.tensor(np.zeros((1, 3, 8, 8), np.float32))).shape
    (1, 6, 8, 8)
    """

    def __init__(self, *branches: Module, dim: int = 1) -> None:
        super().__init__()
        if not branches:
            raise ValueError("Concat needs at least one branch; got none")
        if not isinstance(dim, int) or isinstance(dim, bool):
            raise TypeError(f"dim must be an int; got {type(dim).__name__} {dim!r}")
        self.dim = dim
        for index, branch in enumerate(branches):
            self.add_module(str(index), _check_module(branch, f"branch {index}"))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx: int) -> Module:
        return list(self._modules.values())[_index(len(self), idx, "Concat")]

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        outputs = [branch(input) for branch in self]
        shapes = [tuple(out.shape) for out in outputs]
        ndim = len(shapes[0])
        if not -ndim <= self.dim < ndim or any(len(s) != ndim for s in shapes) or any(
            s[:self.dim % ndim] + s[self.dim % ndim + 1:]
            != shapes[0][:self.dim % ndim] + shapes[0][self.dim % ndim + 1:] for s in shapes
        ):
            raise ValueError(f"Concat(dim={self.dim}) needs branch outputs of equal rank that "
                             f"agree on every other dimension; got shapes {shapes}")
        return _ops.cat(outputs, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}" if self.dim != 1 else ""

    def get_config(self) -> dict[str, Any]:
        return {"branches": list(self._modules.values()), "dim": self.dim}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Concat:
        return cls(*config["branches"], dim=config.get("dim", 1))
