"""``state_dict`` and ``load_state_dict`` for Modules, with PyTorch's keys and checks.

Keys are dotted paths of parameters and persistent buffers ("0.weight", "features.3.bias",
"1.running_mean", "1.num_batches_tracked"), in registration order, children after a module's
own entries: the order and names ``torch.nn.Module.state_dict`` gives the same model.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor

if TYPE_CHECKING:
    from .module import Module


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` returns: keys the model wanted but did not get, and extras."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def state_dict(module: Module, destination: dict | None = None, prefix: str = "",
               keep_vars: bool = False) -> OrderedDict[str, Tensor]:
    """Collect parameters and persistent buffers of ``module`` and its descendants."""
    out = OrderedDict() if destination is None else destination
    for name, param in module._parameters.items():
        if param is not None:
            out[prefix + name] = param if keep_vars else param.detach()
    for name, buffer in module._buffers.items():
        if buffer is not None and name not in module._non_persistent:
            out[prefix + name] = buffer if keep_vars else buffer.detach()
    for name, child in module._modules.items():
        if child is not None:
            state_dict(child, out, f"{prefix}{name}.", keep_vars)
    return out


def as_state_array(value: Any, key: str) -> np.ndarray:
    """Turn one state_dict value into a numeric ndarray without importing its library.

    Accepts convlens Tensors, ndarrays and anything ``np.asarray`` understands, which includes
    CPU torch tensors (a tensor that requires grad is detached first, duck-typed).
    """
    if isinstance(value, Tensor):
        return value._data
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, RuntimeError):
        detach = getattr(value, "detach", None)
        if not callable(detach):
            raise TypeError(f"state_dict[{key!r}] cannot be converted to an array; got "
                            f"{type(value).__name__}") from None
        try:
            array = np.asarray(detach())
        except (TypeError, ValueError, RuntimeError) as error:
            raise TypeError(f"state_dict[{key!r}] cannot be converted to an array: "
                            f"{error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"state_dict[{key!r}] must hold numbers (bool, int or float); got an "
                        f"array of dtype {array.dtype}")
    return array


def _quoted(keys: list[str]) -> str:
    return ", ".join(f'"{key}"' for key in keys)


def load_state_dict(module: Module, values: Any, strict: bool = True) -> IncompatibleKeys:
    """Copy ``values`` into the parameters and buffers of ``module``, in place.

    Parameters
    ----------
    module : Module
    values : mapping of str to array_like
        ndarrays, convlens Tensors or anything ``np.asarray`` accepts (torch tensors too).
        Values are cast to each target's dtype.
    strict : bool, default True
        Require the keys to match exactly. Shapes must match even when False.

    Returns
    -------
    IncompatibleKeys
        ``missing_keys`` and ``unexpected_keys``.

    Raises
    ------
    TypeError
        If ``values`` is not a mapping or holds non-numeric values.
    ValueError
        On missing or unexpected keys (when ``strict``) or a shape mismatch; nothing is copied
        then, so the module is left as it was.
    """
    if not isinstance(values, Mapping):
        raise TypeError(f"load_state_dict expects a mapping of names to arrays; got "
                        f"{type(values).__name__}")
    if not isinstance(strict, bool):
        raise TypeError(f"strict must be a bool; got {strict!r}")
    targets = state_dict(module, keep_vars=True)
    errors, arrays = [], {}
    for key, value in values.items():
        if key not in targets:
            continue
        array = as_state_array(value, key)
        if array.shape != targets[key].shape:
            errors.append(f"size mismatch for {key}: copying a param with shape {array.shape} "
                          f"from checkpoint, the shape in current model is "
                          f"{targets[key].shape}.")
        arrays[key] = array
    missing = [key for key in targets if key not in values]
    unexpected = [key for key in values if key not in targets]
    if strict and unexpected:
        errors.insert(0, f"Unexpected key(s) in state_dict: {_quoted(unexpected)}.")
    if strict and missing:
        errors.insert(0, f"Missing key(s) in state_dict: {_quoted(missing)}.")
    if errors:
        raise ValueError(f"Error(s) in loading state_dict for {type(module).__name__}:\n\t"
                         + "\n\t".join(errors))
    with no_grad():  # a copy into a parameter is not an op to differentiate
        for key, array in arrays.items():
            targets[key].copy_(array)
    return IncompatibleKeys(missing, unexpected)
