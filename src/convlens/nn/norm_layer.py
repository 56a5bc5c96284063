"""Normalisation layers that do not normalise over the batch: ``LayerNorm``, ``GroupNorm``,
``InstanceNorm1d``/``InstanceNorm2d`` and ``LocalResponseNorm``, with torch's arguments,
``state_dict`` names and reprs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validate
from ..functional import norm_layer as _norm
from ..tensor import Tensor
from . import _args, _budget
from .module import Module
from .normalization import _BatchNorm
from .parameter import Parameter
from .registry import builtin


def _affine_parameters(module: Module, shape: tuple[int, ...], weight: bool, bias: bool,
                       dtype: Any) -> None:
    """``weight`` (ones) and ``bias`` (zeros) of ``shape``, or registered as None."""
    for name, wanted, fill in (("weight", weight, np.ones), ("bias", bias, np.zeros)):
        if wanted:
            setattr(module, name, Parameter(fill(shape, dtype)))
        else:
            module.register_parameter(name, None)


def _dtype_of(module: Module) -> str:
    tensors = [t for t in (*module.parameters(), *module.buffers()) if t.dtype.kind == "f"]
    return str(tensors[0].dtype if tensors else np.dtype(module._dtype))


@builtin
class LayerNorm(Module):
    """Normalise each sample over its trailing ``normalized_shape`` dims, as torch.

    Parameters
    ----------
    normalized_shape : int or tuple of int
    eps : float, default 1e-5
    elementwise_affine : bool, default True
        Learn ``weight`` (ones) and ``bias`` (zeros) of shape ``normalized_shape``.
    bias : bool, default True
        With ``elementwise_affine``, whether to learn the bias.
    dtype : {np.float32, np.float64}, default np.float32

    Examples
    --------
    >>> from convlens import nn
    >>> nn.LayerNorm(8)
    LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)
    """

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, *,
                 dtype: Any = np.float32) -> None:
        super().__init__()
        self.normalized_shape = _norm._shape(normalized_shape)
        self.eps = _validate.real_number(eps, "eps", low=0.0)
        self.elementwise_affine = _args.boolean(elementwise_affine, "elementwise_affine")
        self._dtype = _args.float_dtype(dtype)
        _affine_parameters(self, self.normalized_shape, self.elementwise_affine,
                           self.elementwise_affine and _args.boolean(bias, "bias"), self._dtype)

    @classmethod
    def estimated_elements(cls, config: dict[str, Any]) -> int:
        """Parameter elements ``cls(**config)`` allocates (see ``nn._budget``)."""
        affine = config.get("elementwise_affine", True) is not False
        return 2 * _budget.product(config.get("normalized_shape")) if affine else 0

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return _norm.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")

    def get_config(self) -> dict[str, Any]:
        return {"normalized_shape": list(self.normalized_shape), "eps": self.eps,
                "elementwise_affine": self.elementwise_affine,
                "bias": self.bias is not None or not self.elementwise_affine,
                "dtype": _dtype_of(self)}


@builtin
class GroupNorm(Module):
    """Normalise groups of channels per sample, as ``torch.nn.GroupNorm``.

    Parameters
    ----------
    num_groups : int
        Divides ``num_channels``; 1 is a LayerNorm over (C, *), ``num_channels`` an
        InstanceNorm.
    num_channels : int
    eps : float, default 1e-5
    affine : bool, default True
        Learn per-channel ``weight`` and ``bias`` (C,).
    bias : bool, default True
        With ``affine``, whether to learn the bias (keyword-only, as in torch 2.13).
    dtype : {np.float32, np.float64}, default np.float32

    Examples
    --------
    >>> from convlens import nn
    >>> nn.GroupNorm(2, 4)
    GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, *, bias: bool = True, dtype: Any = np.float32) -> None:
        super().__init__()
        self.num_groups = _validate.positive_int(num_groups, "num_groups")
        self.num_channels = _validate.positive_int(num_channels, "num_channels")
        if self.num_channels % self.num_groups:
            raise ValueError(f"num_channels (={num_channels}) must be divisible by num_groups "
                             f"(={num_groups})")
        self.eps = _validate.real_number(eps, "eps", low=0.0)
        self.affine = _args.boolean(affine, "affine")
        self._dtype = _args.float_dtype(dtype)
        _affine_parameters(self, (self.num_channels,), self.affine,
                           self.affine and _args.boolean(bias, "bias"), self._dtype)

    @classmethod
    def estimated_elements(cls, config: dict[str, Any]) -> int:
        """Parameter elements ``cls(**config)`` allocates (see ``nn._budget``)."""
        return 2 * _budget.size(config.get("num_channels"))

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        x = _validate.float_tensor(input, "input", "GroupNorm")
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm expects input (N, {self.num_channels}, *); got shape "
                             f"{x.shape}")
        return _norm.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")

    def get_config(self) -> dict[str, Any]:
        return {"num_groups": self.num_groups, "num_channels": self.num_channels,
                "eps": self.eps, "affine": self.affine,
                "bias": self.bias is not None or not self.affine, "dtype": _dtype_of(self)}


class _InstanceNorm(_BatchNorm):
    """InstanceNorm1d/2d: BatchNorm's parameters and buffers, instance statistics."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, *,
                 bias: bool = True, dtype: Any = np.float32) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, bias=bias,
                         dtype=dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        name = type(self).__name__
        x = _args.input_tensor(name, input, self._layouts)
        unbatched = x.ndim == min(self._layouts)
        if unbatched:
            x = x.unsqueeze(0)
        if x.shape[1] != self.num_features:
            raise ValueError(f"{name} expects {self.num_features} channels (axis 1 of a batch, "
                             f"0 of one sample); got input of shape {input.shape}")
        # As torch: num_batches_tracked stays 0, and momentum=None means 0 (no update).
        use_input = self.training or not self.track_running_stats
        out = _norm.instance_norm(x, self.running_mean, self.running_var, self.weight,
                                  self.bias, use_input, self.momentum or 0.0, self.eps)
        return out.squeeze(0) if unbatched else out


@builtin
class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) or (C, L) input, as ``torch.nn.InstanceNorm1d``.

    Same parameters as :class:`InstanceNorm2d`.
    """

    _layouts = {2: "(C, L)", 3: "(N, C, L)"}


@builtin
class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) or (C, H, W) input, as torch's.

    Parameters
    ----------
    num_features : int
    eps : float, default 1e-5
    momentum : float or None, default 0.1
    affine : bool, default False
        Learn per-channel ``weight`` and ``bias``.
    bias : bool, default True
        With ``affine``, whether to learn the bias (keyword-only).
    track_running_stats : bool, default False
        Keep running statistics and use them in eval mode (``num_batches_tracked`` stays 0
        and ``momentum=None`` freezes them, as in torch).
    dtype : {np.float32, np.float64}, default np.float32

    Examples
    --------
    >>> from convlens import nn
    >>> nn.InstanceNorm2d(3, affine=True)
    InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=False)
    """

    _layouts = {3: "(C, H, W)", 4: "(N, C, H, W)"}


@builtin
class LocalResponseNorm(Module):
    """Normalise across ``size`` neighbouring channels, as ``torch.nn.LocalResponseNorm``.

    Examples
    --------
    >>> from convlens import nn
    >>> nn.LocalResponseNorm(2)
    LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        self.size = _validate.positive_int(size, "size")
        self.alpha = _validate.real_number(alpha, "alpha")
        self.beta = _validate.real_number(beta, "beta")
        self.k = _validate.real_number(k, "k")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return _norm.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"

    def get_config(self) -> dict[str, Any]:
        return {"size": self.size, "alpha": self.alpha, "beta": self.beta, "k": self.k}
