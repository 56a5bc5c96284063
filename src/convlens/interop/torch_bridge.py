"""The PyTorch bridge: ``from_torch(module)`` and ``to_torch(model)``, weights included.

Layers the two libraries share map one to one with the same arguments and ``state_dict``
keys, so outputs and gradients agree. A custom ``torch.nn.Module`` is traced with
``torch.fx`` into a :class:`~convlens.interop.Graph`. torch is imported only inside these
functions: ``import convlens.interop`` never loads it.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from .. import nn
from .errors import UnsupportedError

# torch.nn class name -> (convlens class, names of the constructor arguments to copy)
_SAME = {
    "Conv1d": (nn.Conv1d, ("in_channels", "out_channels", "kernel_size", "stride", "padding",
                           "dilation", "groups", "padding_mode")),
    "Linear": (nn.Linear, ("in_features", "out_features")),
    "ReLU": (nn.ReLU, ()), "Sigmoid": (nn.Sigmoid, ()), "Tanh": (nn.Tanh, ()),
    "Identity": (nn.Identity, ()), "LeakyReLU": (nn.LeakyReLU, ("negative_slope",)),
    "Softmax": (nn.Softmax, ("dim",)), "Flatten": (nn.Flatten, ("start_dim", "end_dim")),
    "Dropout": (nn.Dropout, ("p",)),
    "BatchNorm1d": (nn.BatchNorm1d, ("num_features", "eps", "momentum", "affine",
                                     "track_running_stats")),
    "MaxPool1d": (nn.MaxPool1d, ("kernel_size", "stride", "padding", "dilation",
                                 "return_indices", "ceil_mode")),
    "AvgPool1d": (nn.AvgPool1d, ("kernel_size", "stride", "padding", "ceil_mode",
                                 "count_include_pad")),
    "AdaptiveAvgPool1d": (nn.AdaptiveAvgPool1d, ("output_size",)),
}
_SAME["Conv2d"] = (nn.Conv2d, _SAME["Conv1d"][1])
_SAME["BatchNorm2d"] = (nn.BatchNorm2d, _SAME["BatchNorm1d"][1])
_SAME["MaxPool2d"] = (nn.MaxPool2d, _SAME["MaxPool1d"][1])
_SAME["AvgPool2d"] = (nn.AvgPool2d, _SAME["AvgPool1d"][1] + ("divisor_override",))
_SAME["AdaptiveAvgPool2d"] = (nn.AdaptiveAvgPool2d, ("output_size",))
_WITH_DTYPE = (nn.Conv1d, nn.Conv2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d)


def _import_torch():
    try:
        import torch
    except ImportError:
        raise ImportError("the PyTorch bridge needs torch: pip install torch") from None
    return torch


def _state_arrays(module) -> dict[str, np.ndarray]:
    return {key: value.detach().cpu().numpy().copy() for key, value in
            module.state_dict().items()}


def convert_leaf(module) -> nn.Module:
    """The convlens layer equal to one torch layer, with its weights (no children)."""
    name = type(module).__name__
    if name not in _SAME or type(module).__module__.split(".")[0] != "torch":
        raise UnsupportedError(
            f"from_torch has no rule for {type(module).__module__}.{type(module).__qualname__}; "
            f"supported torch.nn layers: {', '.join(sorted(_SAME))}, plus Sequential and "
            "custom modules that torch.fx can trace")
    cls, arguments = _SAME[name]
    kwargs: dict[str, Any] = {arg: getattr(module, arg) for arg in arguments}
    params = list(module.parameters()) + [b for b in module.buffers() if b.is_floating_point()]
    if cls in _WITH_DTYPE:
        dtype = np.float64 if params and params[0].dtype == _import_torch().float64 else np.float32
        kwargs["dtype"] = dtype
        if name.startswith(("Conv", "Linear")):
            kwargs["bias"] = module.bias is not None
        if name.startswith("Conv"):
            kwargs["generator"] = 0
        if name.startswith("BatchNorm") and module.affine:
            kwargs["bias"] = module.bias is not None
    if name.startswith("AdaptiveAvgPool") and isinstance(kwargs["output_size"], list):
        kwargs["output_size"] = tuple(kwargs["output_size"])
    layer = cls(**kwargs)
    layer.load_state_dict(_state_arrays(module))
    return layer


def from_torch(module) -> nn.Module:
    """Convert a ``torch.nn.Module`` to convlens, copying weights and the train/eval mode.

    Parameters
    ----------
    module : torch.nn.Module
        A torch.nn layer convlens shares (Conv1d/2d, Linear, BatchNorm1d/2d, pools,
        activations, Flatten, Dropout, Identity), a ``Sequential`` of such (nested too), or a
        custom module whose ``forward`` ``torch.fx`` can trace using those layers and adds,
        products, ``torch.cat``, ``torch.flatten``, reshapes and activation functions.

    Returns
    -------
    nn.Module
        Same outputs and gradients. A ``Sequential`` keeps its ``state_dict`` keys; a traced
        module becomes a :class:`Graph` whose layers are named after the torch paths, with
        "." replaced by "_".

    Raises
    ------
    UnsupportedError
        Naming the torch module type or traced operation that has no rule.
    ImportError
        If torch is not installed.
    """
    torch = _import_torch()
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch expects a torch.nn.Module; got {type(module).__name__}")
    if type(module) is torch.nn.Sequential:
        result = nn.Sequential(OrderedDict(
            (name, from_torch(child)) for name, child in module.named_children()))
    elif type(module).__module__.startswith("torch.nn"):  # a torch layer: shared, or refused
        result = convert_leaf(module)
    else:
        from ._torch_fx import trace

        result = trace(module, from_torch)
    return result.train(module.training)


def to_torch(model: nn.Module):
    """Convert a convlens model to an equivalent ``torch.nn.Module``, weights included.

    Stock layers become their torch.nn twins with the same arguments; ``Sequential``,
    ``Residual``, ``Concat`` and :class:`Graph` become small torch modules with the same
    children, so the ``state_dict`` keys are identical. Padding torch's conv layers lack
    (per-side pairs, "full", strided "same") is applied with ``F.pad`` inside the layer.

    Raises
    ------
    UnsupportedError
        For a module type with no torch counterpart (e.g. a user-registered layer).
    ImportError
        If torch is not installed.
    """
    torch = _import_torch()
    if not isinstance(model, nn.Module):
        raise TypeError(f"to_torch expects a convlens nn.Module; got {type(model).__name__}")
    from ._torch_layers import build

    result = build(model, torch)
    dtypes = {p.dtype for p in model.state_dict().values() if p.dtype.kind == "f"}
    if np.dtype(np.float64) in dtypes:
        result = result.double()
    state = {key: torch.from_numpy(np.array(value._data)) for key, value in
             model.state_dict().items()}
    result.load_state_dict(state, strict=True)
    return result.train(model.training)
