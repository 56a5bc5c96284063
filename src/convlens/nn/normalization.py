"""Batch normalisation layers, ``BatchNorm1d`` and ``BatchNorm2d``, with running statistics.

The running mean and variance are buffers (saved in ``state_dict`` as ``running_mean``,
``running_var`` and ``num_batches_tracked``, the names torch uses), updated in place while
training and used instead of the batch statistics in eval mode.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validate
from ..functional.norm import batch_norm
from ..tensor import Tensor
from . import _args
from .module import Module
from .parameter import Parameter
from .registry import builtin


class _BatchNorm(Module):
    """The shared body of BatchNorm1d/2d; see :class:`BatchNorm2d` for the parameters."""

    _layouts: dict[int, str] = {}

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *,
                 bias: bool = True, dtype: Any = np.float32) -> None:
        super().__init__()
        self.num_features = _validate.positive_int(num_features, "num_features")
        self.eps = _validate.real_number(eps, "eps", low=0.0)
        self.momentum = None if momentum is None else _validate.real_number(
            momentum, "momentum")
        self.affine = _args.boolean(affine, "affine")
        self.track_running_stats = _args.boolean(track_running_stats, "track_running_stats")
        dtype = _args.float_dtype(dtype)
        self._dtype = dtype
        with_bias = self.affine and _args.boolean(bias, "bias")
        if self.affine:
            self.weight = Parameter(np.ones(self.num_features, dtype))
        else:
            self.register_parameter("weight", None)
        if with_bias:
            self.bias = Parameter(np.zeros(self.num_features, dtype))
        else:
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype))
            self.register_buffer("running_var", np.ones(self.num_features, dtype))
            self.register_buffer("num_batches_tracked", np.array(0, np.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1.0)
            self.num_batches_tracked.zero_()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's argument name
        name = type(self).__name__
        x = _args.input_tensor(name, input, self._layouts)
        _args.channels(name, x, self.num_features, 1,
                       " or ".join(self._layouts.values()).replace("C", str(self.num_features)))
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.fill_(int(self.num_batches_tracked.item()) + 1)
            if self.momentum is None:  # cumulative moving average, as torch
                factor = 1.0 / float(self.num_batches_tracked.item())
        # Without running statistics, eval mode also normalises with the batch's own.
        use_batch = self.training or self.running_mean is None
        keep_running = not self.training or self.track_running_stats
        return batch_norm(x, self.running_mean if keep_running else None,
                          self.running_var if keep_running else None, self.weight, self.bias,
                          use_batch, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")

    def get_config(self) -> dict[str, Any]:
        tensors = [t for t in (self.weight, self.running_mean) if t is not None]
        dtype = tensors[0].dtype if tensors else self._dtype
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum,
                "affine": self.affine, "track_running_stats": self.track_running_stats,
                "bias": self.bias is not None or not self.affine, "dtype": str(np.dtype(dtype))}


@builtin
class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L) input, as ``torch.nn.BatchNorm1d``.

    Same parameters as :class:`BatchNorm2d`.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> bn = nn.BatchNorm1d(3)
    >>> y = bn(cl.tensor(np.arange(12, dtype=np.float32).reshape(4, 3)))
    >>> np.round(y.numpy().mean(axis=0), 6).tolist(), int(bn.num_batches_tracked.item())
    ([0.0, 0.0, 0.0], 1)
    """

    _layouts = {2: "(N, C)", 3: "(N, C, L)"}


@builtin
class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W) input, per channel, as ``torch.nn.BatchNorm2d``.

    Parameters
    ----------
    num_features : int
        C, the number of channels.
    eps : float, default 1e-5
        Added to the variance for stability.
    momentum : float or None, default 0.1
        ``running = (1 - momentum) * running + momentum * batch``; None uses the cumulative
        average over all batches seen.
    affine : bool, default True
        Learn a per-channel scale ``weight`` (init 1) and shift ``bias`` (init 0).
    bias : bool, default True
        With ``affine``, whether to learn the shift (keyword-only, as in torch 2.13).
    track_running_stats : bool, default True
        Keep ``running_mean``, ``running_var`` and ``num_batches_tracked`` buffers; without
        them, eval mode also uses batch statistics.
    dtype : {np.float32, np.float64}, default np.float32

    Notes
    -----
    ``y = (x - mean) / sqrt(var + eps) * weight + bias``, with the batch's mean and biased
    variance in training (the running variance is updated with the unbiased one) and the
    running statistics in eval mode.

    Examples
    --------
    >>> from convlens import nn
    >>> bn = nn.BatchNorm2d(6)
    >>> list(bn.state_dict())
    ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
    """

    _layouts = {4: "(N, C, H, W)"}
