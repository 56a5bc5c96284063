"""``Optimizer``: the base class of SGD, Adam and AdamW, with PyTorch's structure.

An optimizer holds ``param_groups`` (a list of dicts, each with a ``"params"`` list and its own
hyperparameters) and ``state`` (a dict keyed by parameter, holding ndarrays and numbers).
Subclasses write one rule, :meth:`Optimizer._update`, that moves one parameter; the loop over
groups and parameters, ``zero_grad`` and the save/restore logic live here.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from numbers import Integral
from typing import Any

import numpy as np

from .. import _validate
from ..autograd import enable_grad, is_grad_enabled, no_grad
from ..tensor import Tensor
from ._checks import (  # noqa: F401 - re-exported for the optimizers
    check_betas,
    check_flag,
    check_fraction,
    check_non_negative,
)


class Optimizer:
    """Base class for optimizers, as ``torch.optim.Optimizer``.

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        The tensors to optimize (float32 or float64 leaves), or parameter groups: dicts with
        a ``"params"`` list plus hyperparameters that override ``defaults`` for that group.
    defaults : dict
        Hyperparameters used by every group that does not set its own.

    Attributes
    ----------
    param_groups : list of dict
        One dict per group: ``"params"`` (list of Tensor) and every hyperparameter.
    state : collections.defaultdict of dict
        Per-parameter state, keyed by the parameter Tensor; ``self.state[p]`` is an empty dict
        until the optimizer writes to it. The built-in optimizers keep ndarrays (same shape and
        dtype as the parameter) and numbers; a custom optimizer may keep Tensors.

    Raises
    ------
    TypeError
        If ``params`` is not an iterable of Tensors or dicts, or a parameter is not a float
        Tensor.
    ValueError
        If there are no parameters, a parameter appears twice, or a parameter is not a leaf.

    Notes
    -----
    Every update goes through the Tensor's in-place methods (``add_``, ``mul_``, ...), so each
    step bumps ``p.version`` and invalidates caches keyed on it (such as filter spectra).
    Parameters whose ``grad`` is None are skipped. Built-in subclasses implement
    ``_update(p, grad, group)`` and list their per-parameter state in ``_state_spec``
    ("array", "count" or "scalar"), which :meth:`load_state_dict` checks.

    A custom optimizer can be written exactly as for torch: call
    ``super().__init__(params, defaults)`` and override ``step(closure=None)`` (decorated with
    ``@torch.no_grad()``), reading ``self.param_groups`` and keeping whatever it likes in
    ``self.state[p]``. Without a ``_state_spec``, :meth:`load_state_dict` restores that state
    as saved (Tensors and ndarrays copied).

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> w = cl.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.5)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w.tolist()
    [0.0, 0.0]
    >>> opt.zero_grad()
    >>> w.grad is None
    True
    """

    # Per-parameter state names -> "array" (shaped like the parameter) or "count" (an int).
    _state_spec: dict[str, str] = {}

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]],
                 defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for group in _as_param_groups(params):
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {value}" for key, value in sorted(group.items())
                         if key != "params")
        return "\n".join(lines) + "\n)"

    # -- hooks for subclasses ------------------------------------------------------------
    def _check_hyperparameters(self, group: dict[str, Any], where: str = "") -> None:
        """Validate (and normalise) the hyperparameters of one group; ``where`` prefixes names."""

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        """Apply one step to ``p`` given its gradient (an ndarray of ``p``'s dtype)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    # -- public API ------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters, with its own hyperparameters, to ``param_groups``.

        Parameters
        ----------
        param_group : dict
            ``{"params": Tensor or list of Tensor, **hyperparameters}``; hyperparameters it
            leaves out take the optimizer's defaults.

        Raises
        ------
        TypeError
            If ``param_group`` is not a dict or holds something other than float Tensors.
        ValueError
            If a parameter is already in a group, is listed twice, or is not a leaf, or a
            hyperparameter is invalid.
        """
        if not isinstance(param_group, Mapping):
            raise TypeError(f"param_group must be a dict; got {type(param_group).__name__}")
        where = f"param_groups[{len(self.param_groups)}]"
        group = dict(param_group)
        group["params"] = _param_list(group.get("params"), where)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in group["params"]:
            if id(p) in seen:
                raise ValueError(f"{where}: a parameter of shape {p.shape} appears in more "
                                 "than one parameter group (or twice in this one)")
            seen.add(id(p))
        for key, value in self.defaults.items():
            group.setdefault(key, copy.deepcopy(value))
        self._check_hyperparameters(group, where + ": ")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to None (the default) or to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()``'s loss, if given.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss; it runs (with grad enabled) before the
            update, as in PyTorch.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():  # parameters change in place, which autograd must not record
            for i, group in enumerate(self.param_groups):
                for j, p in enumerate(group["params"]):
                    if p.grad is not None:
                        self._update(p, _grad_array(p, i, j), group)
        return loss

    def state_dict(self) -> dict[str, Any]:
        """A snapshot of the optimizer: ``{"state": {index: {...}}, "param_groups": [...]}``.

        Parameters are numbered 0, 1, ... in the order of the groups, as in PyTorch; each group
        lists its parameters' indices under ``"params"``. Everything else is a copy made of
        ndarrays, numbers, strings, bools and tuples, so it can be written as arrays plus JSON.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: {k: _copy_value(v) for k, v in values.items()}
                 for p, values in self.state.items() if id(p) in index and values}
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore the state and hyperparameters saved by :meth:`state_dict`.

        Parameters
        ----------
        state_dict : dict
            As returned by :meth:`state_dict`. Parameter indices may be ints or strings of
            digits (as after a JSON round trip), tuples may have become lists, step counts may
            be floats or 0-d arrays. Arrays are copied and cast to each parameter's dtype.

        Raises
        ------
        TypeError
            If ``state_dict`` is not a dict.
        ValueError
            If the groups or their sizes differ from this optimizer's, or the state does not
            fit the parameters (unknown names, wrong shapes, unlisted indices). Nothing is
            changed when it raises.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError("state_dict must be a dict with keys 'state' and 'param_groups'; "
                            f"got {type(state_dict).__name__}")
        missing = [key for key in ("state", "param_groups") if key not in state_dict]
        if missing:
            raise ValueError(f"state_dict lacks {missing}; an optimizer state_dict has keys "
                             "'state' and 'param_groups'")
        if not isinstance(state_dict["state"], Mapping):
            raise ValueError("state_dict['state'] must be a dict from parameter index to state; "
                             f"got {type(state_dict['state']).__name__}")
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"the loaded state_dict has {len(saved_groups)} parameter groups; "
                             f"this optimizer has {len(self.param_groups)}")
        by_index = self._match_params(saved_groups)
        new_state = {}
        for key, values in state_dict["state"].items():
            index = _index(key)
            if index not in by_index:
                raise ValueError(f"state_dict['state'] has an entry for parameter {key!r}, "
                                 "which no parameter group lists")
            if not isinstance(values, Mapping):
                raise ValueError(f"state_dict['state'][{key!r}] must be a dict of named state; "
                                 f"got {type(values).__name__}")
            p = by_index[index]
            new_state[p] = {name: self._load_value(name, value, p, index)
                            for name, value in values.items()}
        new_groups = []
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            new = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            for key, value in self.defaults.items():
                new.setdefault(key, copy.deepcopy(value))
            new["params"] = group["params"]
            self._check_hyperparameters(new, f"state_dict['param_groups'][{i}]: ")
            new_groups.append(new)
        self.state = defaultdict(dict, new_state)
        self.param_groups = new_groups

    # -- helpers ---------------------------------------------------------------------------
    def _match_params(self, saved_groups: list[Mapping[str, Any]]) -> dict[int, Tensor]:
        """Map the saved parameter indices onto this optimizer's parameters, group by group."""
        by_index: dict[int, Tensor] = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if not isinstance(saved, Mapping) or "params" not in saved:
                raise ValueError(f"state_dict['param_groups'][{i}] must be a dict with a "
                                 "'params' list of parameter indices")
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"state_dict['param_groups'][{i}] has "
                                 f"{len(saved['params'])} parameters; this optimizer's group "
                                 f"{i} has {len(group['params'])}")
            for key, p in zip(saved["params"], group["params"]):
                by_index[_index(key)] = p
        return by_index

    def _load_value(self, name: str, value: Any, p: Tensor, index: int) -> Any:
        """Check one saved state entry against the parameter it belongs to, and copy it."""
        kind = self._state_spec.get(name)
        where = f"state_dict['state'][{index}][{name!r}]"
        if not self._state_spec:  # a custom optimizer: restore what it saved, as torch does
            return _copy_value(value)
        if kind is None:
            known = ", ".join(sorted(self._state_spec)) or "none"
            raise ValueError(f"{where} is not state that {type(self).__name__} keeps "
                             f"(it keeps: {known}); was it saved by another optimizer?")
        array = np.asarray(value)
        if kind == "count":
            if not _is_count(array):
                raise ValueError(f"{where} must be a non-negative whole number; got {value!r}")
            return int(array)
        if kind == "scalar":
            if array.shape != () or array.dtype.kind not in "iuf":
                raise ValueError(f"{where} must be a number; got {value!r}")
            return float(array)
        if array.shape != p.shape or array.dtype.kind not in "iuf":
            raise ValueError(f"{where} must be a numeric array of the parameter's shape "
                             f"{p.shape}; got {array.dtype} array of shape {array.shape}")
        return np.array(array, dtype=p.dtype, copy=True)


def _as_param_groups(params: Any) -> list[dict[str, Any]]:
    """Turn the ``params`` argument into a list of group dicts."""
    if isinstance(params, Tensor | Mapping | set | str) or not isinstance(params, Iterable):
        raise TypeError("params must be an iterable (list) of Tensors or of dicts; "
                        f"got {type(params).__name__}")
    items = list(params)
    if not items:
        raise ValueError("params is empty: the optimizer got no parameters to optimize")
    if all(isinstance(item, Mapping) for item in items):
        return items
    if any(isinstance(item, Mapping) for item in items):
        raise TypeError("params must hold either only Tensors or only dicts (param groups)")
    return [{"params": items}]


def _param_list(params: Any, where: str) -> list[Tensor]:
    """Check a group's ``"params"`` entry: an ordered collection of float leaf Tensors."""
    if params is None:
        raise ValueError(f"{where} must have a 'params' entry")
    if isinstance(params, Tensor):
        params = [params]
    elif isinstance(params, set | Mapping | str) or not isinstance(params, Iterable):
        raise TypeError(f"{where}['params'] must be a Tensor or an ordered collection (list) "
                        f"of Tensors, so that state_dict indices are stable; "
                        f"got {type(params).__name__}")
    params = list(params)
    for j, p in enumerate(params):
        name = f"{where}['params'][{j}]"
        if not isinstance(p, Tensor):
            raise TypeError(f"optimizers can only optimize Tensors; {name} is a "
                            f"{type(p).__name__}")
        _validate.float_dtype(p.dtype, name, "the optimizer")
        if not p.is_leaf:
            raise ValueError(f"{name} is not a leaf tensor (it was computed by "
                             f"{p.grad_fn!r}); optimize the tensors it was computed from")
    return params


def _grad_array(p: Tensor, group: int, index: int) -> np.ndarray:
    """The gradient of ``p`` as an ndarray of ``p``'s dtype and shape (never written to)."""
    grad = p.grad._data if isinstance(p.grad, Tensor) else np.asarray(p.grad)
    if grad.shape != p._data.shape:
        raise ValueError(f"param_groups[{group}]['params'][{index}].grad must have the "
                         f"parameter's shape {p.shape}; got {grad.shape}")
    return grad if grad.dtype == p._data.dtype else grad.astype(p.dtype)


def sub_scaled_(p: Tensor, update: np.ndarray, alpha: Any, scratch: bool = True) -> None:
    """``p.sub_(update, alpha=alpha)`` under ``no_grad``; ``scratch``: ``update`` may be
    overwritten.

    The fast path subtracts ``update * alpha`` straight from ``p``'s memory, with the same two
    roundings as ``p.sub_`` (``alpha`` cast to ``p``'s dtype first) but without building
    Tensors. Anything unusual (grad mode on, a Tensor ``alpha``, mixed dtypes or shapes)
    goes through ``p.sub_``.
    """
    dtype = p._data.dtype
    if (is_grad_enabled() or not isinstance(alpha, int | float) or update.dtype != dtype
            or dtype.kind != "f" or update.shape != p._data.shape):
        p.sub_(update, alpha=alpha)
        return
    if alpha != 1:
        update = np.multiply(update, np.asarray(alpha, dtype), out=update if scratch else None)
    np.subtract(p._data, update, out=p._data)
    p._version += 1  # the write bumps the version counter, as Tensor._assign does


def scale_(p: Tensor, factor: Any) -> None:
    """``p.mul_(factor)`` under ``no_grad``, in place in ``p``'s memory (``factor`` cast to
    ``p``'s dtype, as ``mul_`` casts it); anything unusual goes through ``p.mul_``."""
    dtype = p._data.dtype
    if is_grad_enabled() or not isinstance(factor, int | float) or dtype.kind != "f":
        p.mul_(factor)
        return
    np.multiply(p._data, np.asarray(factor, dtype), out=p._data)
    p._version += 1


def _is_count(array: np.ndarray) -> bool:
    """True for a 0-d array holding a finite whole number >= 0 (a step count)."""
    if array.shape != () or array.dtype.kind not in "iuf":
        return False
    return bool(np.isfinite(array) and array >= 0 and array == np.floor(array))


def _copy_value(value: Any) -> Any:
    if isinstance(value, Tensor):
        return Tensor._wrap(value._data.copy())
    return value.copy() if isinstance(value, np.ndarray) else copy.deepcopy(value)


def _index(key: Any) -> int:
    """A parameter index saved as an int, or as a string of digits after a JSON round trip."""
    if isinstance(key, Integral) and not isinstance(key, bool):
        return int(key)
    if isinstance(key, str) and key.isdigit():
        return int(key)
    raise ValueError(f"parameter indices in a state_dict must be ints; got {key!r}")
