"""Validation of the tensors passed to conv1d/2d/3d (the geometry is checked in conv.geometry)."""

from __future__ import annotations

from .. import _validate
from ..tensor import Tensor

_LAYOUTS = {1: "(C, L)", 2: "(C, H, W)", 3: "(C, D, H, W)"}
_BATCHED = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}
_WEIGHT = {1: "(C_out, C_in/groups, K)", 2: "(C_out, C_in/groups, kH, kW)",
           3: "(C_out, C_in/groups, kD, kH, kW)"}


def check_conv_inputs(op: str, nd: int, x, weight, bias) -> tuple[Tensor, Tensor, Tensor | None]:
    """Check the tensors' types, dtypes, ranks and the bias shape; return them as Tensors."""
    x = _validate.float_tensor(x, "input", op)
    weight = _validate.float_tensor(weight, "weight", op)
    _validate.rank(x.shape, {nd + 1: _LAYOUTS[nd], nd + 2: _BATCHED[nd]}, "input", op)
    _validate.rank(weight.shape, {nd + 2: _WEIGHT[nd]}, "weight", op)
    _validate.same_dtype(x.dtype, weight.dtype, ("input", "weight"), op)
    if 0 in weight.shape[2:]:
        raise ValueError(f"{op} expects a kernel of non-zero size; got weight of shape "
                         f"{weight.shape}")
    if bias is not None:
        bias = _validate.float_tensor(bias, "bias", op)
        if bias.shape != (weight.shape[0],):
            raise ValueError(f"{op} expects bias of shape (out_channels,) = ({weight.shape[0]},); "
                             f"got {bias.shape}")
        _validate.same_dtype(x.dtype, bias.dtype, ("input", "bias"), op)
    return x, weight, bias


_WEIGHT_T = {1: "(C_in, C_out/groups, K)", 2: "(C_in, C_out/groups, kH, kW)",
             3: "(C_in, C_out/groups, kD, kH, kW)"}


def check_conv_transpose_inputs(op: str, nd: int, x, weight, bias, groups
                                ) -> tuple[Tensor, Tensor, Tensor | None]:
    """As :func:`check_conv_inputs` for conv_transpose1d/2d/3d, whose weight is
    (C_in, C_out/groups, *kernel) and whose bias is (C_out,) = (weight.shape[1] * groups,)."""
    x = _validate.float_tensor(x, "input", op)
    weight = _validate.float_tensor(weight, "weight", op)
    _validate.rank(x.shape, {nd + 1: _LAYOUTS[nd], nd + 2: _BATCHED[nd]}, "input", op)
    _validate.rank(weight.shape, {nd + 2: _WEIGHT_T[nd]}, "weight", op)
    _validate.same_dtype(x.dtype, weight.dtype, ("input", "weight"), op)
    if 0 in weight.shape[2:]:
        raise ValueError(f"{op} expects a kernel of non-zero size; got weight of shape "
                         f"{weight.shape}")
    groups = _validate.positive_int(groups, "groups")
    if bias is not None:
        bias = _validate.float_tensor(bias, "bias", op)
        out_channels = weight.shape[1] * groups
        if bias.shape != (out_channels,):
            raise ValueError(f"{op} expects bias of shape (out_channels,) = ({out_channels},) "
                             f"= weight.shape[1] * groups; got {bias.shape}")
        _validate.same_dtype(x.dtype, bias.dtype, ("input", "bias"), op)
    return x, weight, bias
