"""``Unfold`` and ``Fold`` (im2col and col2im), as ``torch.nn.Unfold`` and ``torch.nn.Fold``,
over :func:`convlens.functional.unfold` and :func:`convlens.functional.fold`. No parameters.
"""

from __future__ import annotations

from typing import Any

from ..functional._pool_common import window_tuple
from ..functional.fold import SlidingBlocks, fold, unfold
from ..tensor import Tensor
from ._args import plain
from .module import Module
from .registry import builtin


class _Blocks(Module):
    """The sliding-block arguments both layers share, checked when the layer is made."""

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        SlidingBlocks(kernel_size, dilation, padding, stride)    # checked now, as each call will
        self.kernel_size, self.dilation = plain(kernel_size), plain(dilation)
        self.padding, self.stride = plain(padding), plain(stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")

    def get_config(self) -> dict[str, Any]:
        return {"kernel_size": self.kernel_size, "dilation": self.dilation,
                "padding": self.padding, "stride": self.stride}


@builtin
class Unfold(_Blocks):
    """(N, C, H, W) -> (N, C * kH * kW, L): every sliding block as a column, as
    ``torch.nn.Unfold``; see :func:`convlens.functional.unfold`.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> nn.Unfold(kernel_size=2)(cl.tensor(np.zeros((1, 3, 4, 4), np.float32))).shape
    (1, 12, 9)
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)


@builtin
class Fold(_Blocks):
    """(N, C * kH * kW, L) -> (N, C, H, W): the columns summed back into an image, as
    ``torch.nn.Fold``; see :func:`convlens.functional.fold`."""

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        window_tuple(output_size, 2, "output_size")
        super().__init__(kernel_size, dilation, padding, stride)
        self.output_size = plain(output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}, " + super().extra_repr()

    def get_config(self) -> dict[str, Any]:
        return {"output_size": self.output_size, **super().get_config()}

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                    self.stride)
