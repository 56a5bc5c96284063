"""Upsampling layers: ``Upsample``, ``UpsamplingNearest2d`` and ``UpsamplingBilinear2d`` (over
:func:`convlens.functional.interpolate`), ``PixelShuffle``, ``PixelUnshuffle`` and
``ChannelShuffle``, with torch's arguments and reprs. None has parameters.
"""

from __future__ import annotations

from typing import Any

from .. import _validate
from ..functional.interpolate import MODES, interpolate
from ..functional.pixel_shuffle import channel_shuffle, pixel_shuffle, pixel_unshuffle
from ..tensor import Tensor
from ._args import plain
from .module import Module
from .registry import builtin


@builtin
class Upsample(Module):
    """Resize (N, C, *d) input, as ``torch.nn.Upsample``; see ``functional.interpolate``.

    Parameters
    ----------
    size : int or tuple of int, optional
    scale_factor : float or tuple of float, optional
    mode : str, default "nearest"
        nearest, nearest-exact, linear, bilinear, bicubic, trilinear or area.
    align_corners : bool, optional
    recompute_scale_factor : bool, optional

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> up = nn.Upsample(scale_factor=2, mode="bilinear")
    >>> up, up(cl.tensor(np.zeros((1, 3, 4, 4), np.float32))).shape
    (Upsample(scale_factor=2.0, mode='bilinear'), (1, 3, 8, 8))
    """

    def __init__(self, size: int | tuple[int, ...] | None = None,
                 scale_factor: float | tuple[float, ...] | None = None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.size = plain(size)
        scale_factor = plain(scale_factor)
        if isinstance(scale_factor, tuple):
            scale_factor = tuple(float(f) for f in scale_factor)
        elif scale_factor is not None:
            scale_factor = float(_validate.real_number(scale_factor, "scale_factor"))
        self.scale_factor = scale_factor
        self.mode = _validate.one_of(mode, MODES, "mode")
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           self.recompute_scale_factor)

    def extra_repr(self) -> str:
        what = (f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None
                else f"size={self.size!r}")
        return f"{what}, mode={self.mode!r}"

    def get_config(self) -> dict[str, Any]:
        return {"size": self.size, "scale_factor": self.scale_factor, "mode": self.mode,
                "align_corners": self.align_corners,
                "recompute_scale_factor": self.recompute_scale_factor}


@builtin
class UpsamplingNearest2d(Upsample):
    """``Upsample(mode="nearest")`` for (N, C, H, W) input, as torch's (deprecated there)."""

    def __init__(self, size: int | tuple[int, int] | None = None,
                 scale_factor: float | tuple[float, float] | None = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")

    def get_config(self) -> dict[str, Any]:
        return {"size": self.size, "scale_factor": self.scale_factor}


@builtin
class UpsamplingBilinear2d(Upsample):
    """``Upsample(mode="bilinear", align_corners=True)``, as torch's (deprecated there)."""

    def __init__(self, size: int | tuple[int, int] | None = None,
                 scale_factor: float | tuple[float, float] | None = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)

    def get_config(self) -> dict[str, Any]:
        return {"size": self.size, "scale_factor": self.scale_factor}


class _Factor(Module):
    _name = ""

    def __init__(self, factor: int) -> None:
        super().__init__()
        setattr(self, self._name, _validate.positive_int(factor, self._name))

    def extra_repr(self) -> str:
        return f"{self._name}={getattr(self, self._name)}"

    def get_config(self) -> dict[str, Any]:
        return {self._name: getattr(self, self._name)}


@builtin
class PixelShuffle(_Factor):
    """(*, C * r**2, H, W) -> (*, C, H * r, W * r), as ``torch.nn.PixelShuffle``.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> nn.PixelShuffle(2)(cl.tensor(np.zeros((1, 8, 3, 3), np.float32))).shape
    (1, 2, 6, 6)
    """

    _name = "upscale_factor"

    def __init__(self, upscale_factor: int) -> None:
        super().__init__(upscale_factor)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return pixel_shuffle(input, self.upscale_factor)


@builtin
class PixelUnshuffle(_Factor):
    """(*, C, H * r, W * r) -> (*, C * r**2, H, W), as ``torch.nn.PixelUnshuffle``."""

    _name = "downscale_factor"

    def __init__(self, downscale_factor: int) -> None:
        super().__init__(downscale_factor)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return pixel_unshuffle(input, self.downscale_factor)


@builtin
class ChannelShuffle(_Factor):
    """Interleave the channels of ``groups`` groups (ShuffleNet), as ``torch.nn.ChannelShuffle``."""

    _name = "groups"

    def __init__(self, groups: int) -> None:
        super().__init__(groups)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return channel_shuffle(input, self.groups)
