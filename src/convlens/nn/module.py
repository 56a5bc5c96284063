"""``Module``: the base class of every layer and model, with PyTorch's registration rules.

Attributes assigned in ``__init__`` are sorted by type: a :class:`Parameter` goes to the
module's parameters, a ``Module`` to its children, and names declared with
:meth:`Module.register_buffer` hold buffers (running statistics). Everything else is a plain
attribute. Names, iteration order and ``state_dict`` keys follow ``torch.nn.Module``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..tensor import Tensor
from . import state as _state
from ._hooks import RemovableHandle
from .parameter import Parameter


def _as_buffer(value: Any, name: str) -> Tensor | None:
    if value is None or isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray | np.generic):
        return Tensor(np.asarray(value))
    raise TypeError(f"buffer {name!r} must be a convlens Tensor, an ndarray or None; "
                    f"got {type(value).__name__}")


class Module:
    """Base class for layers and models, as ``torch.nn.Module``.

    Subclasses call ``super().__init__()`` first, create their parameters and children in
    ``__init__``, and implement :meth:`forward`. Calling the module runs ``forward`` and then
    the forward hooks.

    Examples
    --------
    >>> import numpy as np
    >>> from convlens import nn
    >>> class Scale(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.factor = nn.Parameter(np.ones(1, np.float32))
    ...     def forward(self, x):
    ...         return x * self.factor
    >>> [name for name, _ in Scale().named_parameters()]
    ['factor']
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward(); subclasses of "
                                  "nn.Module must define forward()")

    # -- attribute registration -----------------------------------------------------------
    def _registry(self, kind: str) -> OrderedDict:
        registry = self.__dict__.get(kind)
        if registry is None:
            raise AttributeError(f"cannot assign {kind.strip('_')} before Module.__init__() "
                                 f"call (in {type(self).__name__})")
        return registry

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter):
            self._discard(name, keep="_parameters")
            self._registry("_parameters")[name] = value
        elif isinstance(value, Module):
            self._discard(name, keep="_modules")
            self._registry("_modules")[name] = value
        elif name in self.__dict__.get("_parameters", ()):
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} "
                                "(nn.Parameter or None expected)")
            self._parameters[name] = None
        elif name in self.__dict__.get("_modules", ()):
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module "
                                f"{name!r} (nn.Module or None expected)")
            self._modules[name] = None
        elif name in self.__dict__.get("_buffers", ()):
            self._buffers[name] = _as_buffer(value, name)
        else:
            object.__setattr__(self, name, value)

    def _discard(self, name: str, keep: str = "") -> None:
        """Forget ``name`` everywhere but in registry ``keep`` (so a reassignment keeps its
        position, and with it the state_dict order)."""
        self.__dict__.pop(name, None)
        for kind in ("_parameters", "_modules", "_buffers"):
            if kind != keep:
                self.__dict__.get(kind, {}).pop(name, None)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: look in the registries.
        for kind in ("_parameters", "_buffers", "_modules"):
            registry = self.__dict__.get(kind)
            if registry is not None and name in registry:
                return registry[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for kind in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(kind, ()):
                del self.__dict__[kind][name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        extra = [*self._parameters, *self._buffers, *self._modules]
        return sorted(set(super().__dir__()) | set(extra))

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add ``param`` (or None, a declared but absent parameter) under ``name``."""
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter {name!r} "
                            "(nn.Parameter or None expected)")
        self._discard(name, keep="_parameters")
        self._registry("_parameters")[name] = param

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Add a buffer: state that is not learned (e.g. running statistics).

        Persistent buffers are part of :meth:`state_dict`; ``None`` declares an absent one.
        An ndarray is wrapped in a Tensor.
        """
        self._check_name(name, "buffer")
        buffer = _as_buffer(tensor, name)
        self._discard(name, keep="_buffers")
        self._registry("_buffers")[name] = buffer
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name`` (as ``self.name = module``)."""
        self._check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._discard(name, keep="_modules")
        self._registry("_modules")[name] = module

    register_module = add_module

    def _check_name(self, name: object, what: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{what} name must be a str; got {type(name).__name__}")
        if not name or "." in name:
            raise ValueError(f"{what} name must be non-empty and contain no '.'; got {name!r}")
        if hasattr(type(self), name):
            raise KeyError(f"attribute {name!r} already exists on {type(self).__name__}")

    # -- iteration -----------------------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """Yield (name, module) for this module and all descendants, depth first."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                               remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, kind: str, prefix: str, recurse: bool,
                       remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in module.__dict__[kind].items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Yield (dotted name, Parameter), each shared parameter once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target: str) -> Module:
        """The descendant at dotted path ``target`` ("" is this module)."""
        module = self
        for part in target.split(".") if target else ():
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r} "
                                     f"(looking up {target!r})")
            module = child
        return module

    # -- modes, gradients, conversion ------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (BatchNorm uses batch statistics, Dropout drops) on all modules."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool; got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode; same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of all parameters (set them to None, or to zeros)."""
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad.zero_()

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every child (recursively), then on this module; return self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def _cast_floats(self, dtype: type) -> Module:
        # In place, so parameter identity (and optimizers holding them) survive the cast.
        for tensor in (*self.parameters(), *self.buffers()):
            if tensor.dtype.kind == "f" and tensor.dtype != dtype:
                tensor.data = tensor._data.astype(dtype)
                if tensor.grad is not None:
                    tensor.grad = Tensor(tensor.grad._data.astype(dtype))
        return self

    def float(self) -> Module:
        """Cast floating-point parameters and buffers to float32, in place."""
        return self._cast_floats(np.float32)

    def double(self) -> Module:
        """Cast floating-point parameters and buffers to float64, in place."""
        return self._cast_floats(np.float64)

    def to(self, *args: Any, dtype: Any = None, device: Any = None,
           non_blocking: bool = False) -> Module:
        """Cast floating-point parameters and buffers to ``dtype``, in place, as torch's
        ``module.to(dtype)`` or ``module.to(device, dtype)``; the only device is the CPU
        (any other raises)."""
        from .._tensor_api import target_dtype

        dtype = target_dtype(args, dtype, device)
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise TypeError(f"Module.to casts to a float dtype; got {dtype}")
        return self._cast_floats(dtype.type)

    def cpu(self) -> Module:
        """Return self: parameters always live on the CPU."""
        return self

    def cuda(self, device: Any = None) -> Module:
        """Raises: convlens runs on the CPU only."""
        from ..device import cpu_only_error

        raise cpu_only_error("cuda")

    # -- calling -----------------------------------------------------------------------------
    def register_forward_hook(self, hook: Callable[[Module, tuple, Any], Any]
                              ) -> RemovableHandle:
        """Call ``hook(module, inputs, output)`` after every forward; returns a handle.

        If the hook returns something other than None, that replaces the output.
        """
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def register_forward_pre_hook(self, hook: Callable[[Module, tuple], Any]
                                  ) -> RemovableHandle:
        """Call ``hook(module, inputs)`` before every forward; a non-None result replaces
        the inputs (a tuple, or a single value)."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not (self._forward_pre_hooks or self._forward_hooks):  # the usual case: no hooks
            return self.forward(*args, **kwargs)
        for hook in tuple(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in tuple(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    # -- state -----------------------------------------------------------------------------
    def state_dict(self, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers by dotted name, with PyTorch's keys.

        Values share memory with the module (detached Tensors unless ``keep_vars``), as in
        torch: copy them if you want a snapshot.
        """
        return _state.state_dict(self, destination, prefix, keep_vars)

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> _state.IncompatibleKeys:
        """Copy values into parameters and buffers in place; see :func:`state.load_state_dict`."""
        return _state.load_state_dict(self, state_dict, strict)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this module (used by ``convlens.save``)."""
        raise TypeError(f"{type(self).__module__}.{type(self).__qualname__} cannot be saved: "
                        "define get_config() returning its constructor arguments and decorate "
                        "the class with @convlens.nn.register")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Module:
        """Rebuild a module from :meth:`get_config` output (``cls(**config)`` by default)."""
        return cls(**config)

    def summary(self, input_shape: tuple[int, ...], dtype: Any = None):
        """Per-layer table of output shapes, parameters, MACs and receptive fields.

        See :func:`convlens.nn.summary.summary`.
        """
        from .summary import summary

        return summary(self, input_shape, dtype=dtype)

    # -- printing ---------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (hyperparameters)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + repr(child).replace("\n", "\n  ")
                       for name, child in self._modules.items()]
        if len(extra_lines) == 1 and not child_lines:
            return f"{type(self).__name__}({extra_lines[0]})"
        lines = extra_lines + child_lines
        if not lines:
            return f"{type(self).__name__}()"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"
