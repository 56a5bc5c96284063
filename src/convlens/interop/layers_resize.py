"""Layers for ONNX ``Resize``/``Upsample`` (through ``F.interpolate``) and ``DepthToSpace``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import functional as F
from .. import nn
from ..tensor import Tensor
from .layers_dynamic import check_elements

_LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}


_COORDS = ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
           "half_pixel_symmetric")
_ROUND = {"round_prefer_floor": lambda v: np.ceil(v - 0.5), "round_prefer_ceil":
          lambda v: np.floor(v + 0.5), "floor": np.floor, "ceil": np.ceil}


def nearest_source(n_in: int, n_out: int, scale: float, coords: str,
                   nearest_mode: str) -> np.ndarray:
    """ONNX Resize's nearest source index for each output index along one dim."""
    x = np.arange(n_out, dtype=np.float64)
    if coords == "align_corners":
        src = x * (n_in - 1) / (n_out - 1) if n_out > 1 else x * 0
    elif coords == "asymmetric":
        src = x / scale
    elif coords == "pytorch_half_pixel" and n_out == 1:
        src = x * 0
    else:
        src = (x + 0.5) / scale - 0.5
        if coords == "half_pixel_symmetric":
            src += n_in / 2 * (1 - n_out / (scale * n_in))
    return np.clip(_ROUND[nearest_mode](src), 0, n_in - 1).astype(np.int64)


@nn.register
class OnnxResize(nn.Module):
    """ONNX ``Resize`` of the spatial dims by ``scales`` or to ``sizes``.

    ``mode`` ``nearest``, ``nearest-exact``, ``linear`` and ``bicubic`` are torch's, through
    ``F.interpolate`` (``linear`` picks linear, bilinear or trilinear from the rank);
    ``mode="onnx-nearest"`` picks each output's source by ONNX's ``coords`` and
    ``nearest_mode`` rules. ``computed="scales"`` or ``"sizes"`` reads them from a second
    input (all dims, as ONNX gives them) when the layer runs.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens.interop.layers_resize import OnnxResize
    >>> OnnxResize("nearest", scales=[2.0])(cl.tensor(np.array([[[1.0, 2.0]]]))).tolist()
    [[[1.0, 1.0, 2.0, 2.0]]]
    """

    def __init__(self, mode: str, align_corners: bool = False,
                 scales: Sequence[float] = (), sizes: Sequence[int] = (),
                 coords: str = "half_pixel", nearest_mode: str = "round_prefer_floor",
                 computed: str = "", axes: Sequence[int] = ()) -> None:
        super().__init__()
        self.axes = tuple(int(a) for a in axes)
        if mode not in ("nearest", "nearest-exact", "linear", "bicubic", "onnx-nearest"):
            raise ValueError(f"mode must be nearest, nearest-exact, linear, bicubic or "
                             f"onnx-nearest; got {mode!r}")
        if computed not in ("", "scales", "sizes") or (
                not computed and bool(scales) == bool(sizes)):
            raise ValueError("give exactly one of scales, sizes and computed")
        if coords not in _COORDS or nearest_mode not in _ROUND:
            raise ValueError(f"coords must be one of {_COORDS} and nearest_mode one of "
                             f"{tuple(_ROUND)}; got {coords!r}, {nearest_mode!r}")
        self.mode, self.align_corners = mode, bool(align_corners)
        self.scales = tuple(float(s) for s in scales)
        self.sizes = tuple(int(s) for s in sizes)
        self.coords, self.nearest_mode, self.computed = coords, nearest_mode, computed

    def _targets(self, input: Tensor, values: Tensor | None) -> tuple[tuple, tuple]:  # noqa: A002
        nd = input.ndim - 2
        scales, sizes = self.scales, self.sizes
        if self.computed:
            given = [float(v) for v in np.asarray(values.numpy()).reshape(-1)]
            # scales leave N and C at 1; sizes repeat them
            keep = [1.0, 1.0] if self.computed == "scales" else [float(n) for n in
                                                                  input.shape[:2]]
            if self.axes:  # values for the named axes only
                axes = [a % input.ndim for a in self.axes]
                if sorted(axes) != list(range(2, input.ndim)) or len(given) != len(axes):
                    raise ValueError(f"axes {list(self.axes)} must name each spatial dim once "
                                     f"for {len(given)} values")
                given = keep + [given[axes.index(d)] for d in range(2, input.ndim)]
            if len(given) != input.ndim or given[:2] != keep:
                raise ValueError(f"{self.computed} must give {input.ndim} values leaving the "
                                 f"batch and channel dims alone; got {given}")
            scales, sizes = (given[2:], ()) if self.computed == "scales" else (
                (), tuple(int(v) for v in given[2:]))
        if len(scales or sizes) != nd:
            raise ValueError(f"OnnxResize has {len(scales or sizes)} spatial sizes for an "
                             f"input of shape {input.shape}")
        out = sizes or [int(np.floor(n * s)) for n, s in zip(input.shape[2:], scales)]
        check_elements([*input.shape[:2], *out], f"Resize's {'sizes' if sizes else 'scales'}")
        return tuple(scales), tuple(sizes)

    def forward(self, input: Tensor, values: Tensor | None = None) -> Tensor:  # noqa: A002
        scales, sizes = self._targets(input, values)
        nd = input.ndim - 2
        if self.mode == "onnx-nearest":
            return self._nearest(input, scales, sizes)
        mode = _LINEAR[nd] if self.mode == "linear" else self.mode
        corners = self.align_corners if mode not in ("nearest", "nearest-exact") else None
        if sizes:
            return F.interpolate(input, size=sizes, mode=mode, align_corners=corners)
        return F.interpolate(input, scale_factor=scales, mode=mode, align_corners=corners)

    def _nearest(self, x: Tensor, scales: tuple, sizes: tuple) -> Tensor:
        for d, n_in in enumerate(x.shape[2:]):
            n_out = sizes[d] if sizes else int(np.floor(n_in * scales[d]))
            scale = n_out / n_in if sizes else scales[d]
            index = nearest_source(n_in, n_out, scale, self.coords, self.nearest_mode)
            x = x[(slice(None),) * (2 + d) + (index,)]
        return x

    def get_config(self) -> dict[str, Any]:
        return {"mode": self.mode, "align_corners": self.align_corners,
                "scales": list(self.scales), "sizes": list(self.sizes), "coords": self.coords,
                "nearest_mode": self.nearest_mode, "computed": self.computed,
                "axes": list(self.axes)}


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
