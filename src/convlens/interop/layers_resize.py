"""Layers for ONNX ``Resize``/``Upsample`` (through ``F.interpolate``) and ``DepthToSpace``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import functional as F
from .. import nn
from ..tensor import Tensor

_LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}


@nn.register
class OnnxResize(nn.Module):
    """``F.interpolate`` of the spatial dims by fixed ``scales`` or to fixed ``sizes``.

    ``mode`` is torch's (``nearest``, ``nearest-exact``, ``linear``, ``bicubic``; ``linear``
    picks linear, bilinear or trilinear from the input's rank).

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens.interop.layers_resize import OnnxResize
    >>> OnnxResize("nearest", scales=[2.0])(cl.tensor(np.array([[[1.0, 2.0]]]))).tolist()
    [[[1.0, 1.0, 2.0, 2.0]]]
    """

    def __init__(self, mode: str, align_corners: bool = False,
                 scales: Sequence[float] = (), sizes: Sequence[int] = ()) -> None:
        super().__init__()
        if mode not in ("nearest", "nearest-exact", "linear", "bicubic"):
            raise ValueError(f"mode must be nearest, nearest-exact, linear or bicubic; got "
                             f"{mode!r}")
        if bool(scales) == bool(sizes):
            raise ValueError("give exactly one of scales and sizes")
        self.mode, self.align_corners = mode, bool(align_corners)
        self.scales = tuple(float(s) for s in scales)
        self.sizes = tuple(int(s) for s in sizes)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's argument name
        nd = input.ndim - 2
        if len(self.scales or self.sizes) != nd:
            raise ValueError(f"OnnxResize has {len(self.scales or self.sizes)} spatial sizes "
                             f"for an input of shape {input.shape}")
        mode = _LINEAR[nd] if self.mode == "linear" else self.mode
        corners = self.align_corners if mode not in ("nearest", "nearest-exact") else None
        if self.sizes:
            return F.interpolate(input, size=self.sizes, mode=mode, align_corners=corners)
        return F.interpolate(input, scale_factor=self.scales, mode=mode, align_corners=corners)

    def get_config(self) -> dict[str, Any]:
        return {"mode": self.mode, "align_corners": self.align_corners,
                "scales": list(self.scales), "sizes": list(self.sizes)}


@nn.register
class DepthToSpace(nn.Module):
    """ONNX ``DepthToSpace``: ``mode="CRD"`` is torch's ``PixelShuffle``; ``"DCR"`` takes the
    block offsets from the leading channels."""

    def __init__(self, blocksize: int, mode: str = "DCR") -> None:
        super().__init__()
        if mode not in ("DCR", "CRD"):
            raise ValueError(f"mode must be 'DCR' or 'CRD'; got {mode!r}")
        self.blocksize, self.mode = int(blocksize), mode

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        n, c, h, w = input.shape
        b = self.blocksize
        if self.mode == "CRD":
            return F.pixel_shuffle(input, b)
        x = input.reshape((n, b, b, c // (b * b), h, w)).permute((0, 3, 4, 1, 5, 2))
        return x.reshape((n, c // (b * b), h * b, w * b))

    def get_config(self) -> dict[str, Any]:
        return {"blocksize": self.blocksize, "mode": self.mode}
