"""ONNX's windowed ops where no stock layer fits: Conv with a computed weight, and pools.

:class:`OnnxConv` runs ``F.conv1d/2d/3d`` on a weight (and bias) the graph computes.
:class:`OnnxPool` is ONNX's ``MaxPool``/``AveragePool`` in full: per-side ``pads``, every
``auto_pad``, ``dilations`` (for averages too), ``count_include_pad`` and ``ceil_mode``, at
any padding width. Both work out ``auto_pad="SAME_*"`` from the input's size when they run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import functional as F
from .. import nn
from ..autograd import no_grad
from ..functional.padding import pad_pairs
from ..tensor import Tensor

AUTO_PADS = ("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER")
_CONVS = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_MAX_POOLS = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}


def onnx_pairs(auto_pad: str, in_size: Sequence[int], kernel: Sequence[int],
               stride: Sequence[int], dilation: Sequence[int],
               pads: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The (low, high) padding per spatial dim that ONNX's ``auto_pad`` and ``pads`` ask for.

    ``SAME_*`` pads so that ``out = ceil(in / stride)``; an odd extra pixel goes at the end
    (``SAME_UPPER``) or the start (``SAME_LOWER``).

    Examples
    --------
    >>> onnx_pairs("SAME_LOWER", [5], [2], [1], [1], [(0, 0)])
    [(1, 0)]
    """
    if auto_pad == "NOTSET":
        return [tuple(p) for p in pads]
    if auto_pad == "VALID":
        return [(0, 0)] * len(kernel)
    pairs = []
    for n, k, s, d in zip(in_size, kernel, stride, dilation):
        total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
        small, large = total // 2, total - total // 2
        pairs.append((large, small) if auto_pad == "SAME_LOWER" else (small, large))
    return pairs


def _check_auto_pad(auto_pad: str) -> str:
    if auto_pad not in AUTO_PADS:
        raise ValueError(f"auto_pad must be one of {AUTO_PADS}; got {auto_pad!r}")
    return auto_pad


@nn.register
class OnnxConv(nn.Module):
    """ONNX ``Conv`` whose weight (and bias) are inputs: ``forward(x, weight, bias=None)``.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens.interop.onnx_window import OnnxConv
    >>> x, w = cl.tensor(np.ones((1, 1, 4, 4))), cl.tensor(np.ones((2, 1, 3, 3)))
    >>> OnnxConv(auto_pad="SAME_UPPER")(x, w).shape
    (1, 2, 4, 4)
    """

    def __init__(self, stride: Sequence[int] = (), pads: Sequence[Sequence[int]] = (),
                 dilation: Sequence[int] = (), groups: int = 1,
                 auto_pad: str = "NOTSET") -> None:
        super().__init__()
        self.stride, self.dilation = tuple(map(int, stride)), tuple(map(int, dilation))
        self.pads = tuple((int(lo), int(hi)) for lo, hi in pads)
        self.groups, self.auto_pad = int(groups), _check_auto_pad(auto_pad)

    def forward(self, input: Tensor, weight: Tensor,  # noqa: A002 - torch's argument name
                bias: Tensor | None = None) -> Tensor:
        nd = weight.ndim - 2
        if nd not in _CONVS:
            raise ValueError(f"OnnxConv supports 1-D to 3-D weights; got shape {weight.shape}")
        stride, dilation = self.stride or (1,) * nd, self.dilation or (1,) * nd
        pairs = onnx_pairs(self.auto_pad, input.shape[2:], weight.shape[2:], stride, dilation,
                           self.pads or ((0, 0),) * nd)
        if bias is not None:
            bias = bias.reshape((-1,))
        return _CONVS[nd](input, weight, bias, stride, tuple(pairs), dilation, self.groups)

    def get_config(self) -> dict[str, Any]:
        return {"stride": list(self.stride), "pads": [list(p) for p in self.pads],
                "dilation": list(self.dilation), "groups": self.groups,
                "auto_pad": self.auto_pad}


@nn.register
class OnnxPool(nn.Module):
    """ONNX ``MaxPool`` (``mode="max"``, or ``"argmax"`` for its Indices output, row-major or
    ``column_major``) or ``AveragePool`` (``mode="avg"``), every option.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens.interop.onnx_window import OnnxPool
    >>> x = cl.tensor(np.arange(5.0).reshape(1, 1, 5))
    >>> OnnxPool("avg", [2], [2], pads=[(1, 0)])(x).numpy().tolist()  # pads not counted
    [[[0.0, 1.5, 3.5]]]
    """

    def __init__(self, mode: str, kernel_size: Sequence[int], stride: Sequence[int] = (),
                 pads: Sequence[Sequence[int]] = (), dilation: Sequence[int] = (),
                 auto_pad: str = "NOTSET", ceil_mode: bool = False,
                 count_include_pad: bool = False, column_major: bool = False) -> None:
        super().__init__()
        self.column_major = bool(column_major)  # argmax: ONNX storage_order=1
        if mode not in ("max", "avg", "argmax"):
            raise ValueError(f"mode must be 'max', 'avg' or 'argmax'; got {mode!r}")
        self.mode, self.kernel_size = mode, tuple(int(k) for k in kernel_size)
        nd = len(self.kernel_size)
        if nd not in _CONVS or min(self.kernel_size) < 1:
            raise ValueError(f"kernel_size must be 1 to 3 positive ints; got {kernel_size}")
        self.stride = tuple(map(int, stride)) or (1,) * nd
        self.dilation = tuple(map(int, dilation)) or (1,) * nd
        self.pads = tuple((int(lo), int(hi)) for lo, hi in pads) or ((0, 0),) * nd
        if any(len(v) != nd for v in (self.stride, self.dilation, self.pads)) or min(
                self.stride + self.dilation) < 1 or min(sum(self.pads, ())) < 0:
            raise ValueError(f"stride, dilation and pads must have {nd} entries (positive, "
                             f"and non-negative pads); got {stride}, {dilation}, {pads}")
        self.auto_pad, self.ceil_mode = _check_auto_pad(auto_pad), bool(ceil_mode)
        self.count_include_pad = bool(count_include_pad)

    def _geometry(self, in_size: Sequence[int]) -> tuple[list, list, list]:
        """(pairs, output size, extra high padding so that every window is in bounds)."""
        pairs = onnx_pairs(self.auto_pad, in_size, self.kernel_size, self.stride,
                           self.dilation, self.pads)
        out_size, extra = [], []
        for n, k, s, d, (lo, hi) in zip(in_size, self.kernel_size, self.stride,
                                         self.dilation, pairs):
            span = d * (k - 1) + 1
            if self.auto_pad in ("SAME_UPPER", "SAME_LOWER"):
                out = -(-n // s)
            else:
                out = (n + lo + hi - span + (s - 1 if self.ceil_mode else 0)) // s + 1
                if self.ceil_mode and (out - 1) * s >= n + lo:
                    out -= 1
            if out < 1:
                raise ValueError(f"the {k}-wide window (dilation {d}) does not fit the input "
                                 f"size {n} with padding {(lo, hi)}")
            out_size.append(out)
            extra.append(max(0, (out - 1) * s + span - (n + lo + hi)))
        return pairs, out_size, extra

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's argument name
        nd = len(self.kernel_size)
        if input.ndim != nd + 2:
            raise ValueError(f"a {nd}-D pool needs an (N, C, *{nd} dims) input; got shape "
                             f"{input.shape}")
        pairs, out_size, extra = self._geometry(input.shape[2:])
        full = [(lo, hi + e) for (lo, hi), e in zip(pairs, extra)]
        crop = (..., *(slice(0, o) for o in out_size))
        if self.mode == "max":
            padded = pad_pairs(input, ((0, 0), (0, 0), *full), "zeros", -np.inf)
            return _MAX_POOLS[nd](padded, self.kernel_size, self.stride, 0, self.dilation)[crop]
        if self.mode == "argmax":
            return self._argmax(input, pairs, full, crop)
        n, c = input.shape[:2]
        flat = input.reshape((n * c, 1, *input.shape[2:]))
        padded = pad_pairs(flat, ((0, 0), (0, 0), *full), "zeros", 0.0)
        ones = Tensor(np.ones((1, 1, *self.kernel_size), input.dtype))
        conv = _CONVS[nd]
        total = conv(padded, ones, None, self.stride, 0, self.dilation)
        with no_grad():
            counts = conv(Tensor(self._mask(input.shape[2:], pairs, full, input.dtype)), ones,
                          None, self.stride, 0, self.dilation)
        out = (total / Tensor(np.maximum(counts.numpy(), 1)))[crop]
        return out.reshape((n, c, *out_size))

    def _argmax(self, input: Tensor, pairs, full, crop) -> Tensor:  # noqa: A002
        """ONNX MaxPool's Indices: offsets into the whole (N, C, *spatial) input, row-major."""
        nd = len(self.kernel_size)
        with no_grad():
            padded = pad_pairs(input, ((0, 0), (0, 0), *full), "zeros", -np.inf)
            _, tap = _MAX_POOLS[nd](padded, self.kernel_size, self.stride, 0, self.dilation,
                                    return_indices=True)
        tap = tap.numpy()[crop]
        coords = np.unravel_index(tap, padded.shape[2:])
        spatial = input.shape[2:]
        inside = [np.clip(c - lo, 0, n - 1) for c, (lo, _), n in zip(coords, pairs, spatial)]
        flat = np.ravel_multi_index(inside[::-1], spatial[::-1]) if self.column_major else \
            np.ravel_multi_index(inside, spatial)
        n, c = input.shape[:2]
        plane = int(np.prod(spatial))
        base = (np.arange(n * c).reshape(n, c, *(1,) * nd)) * plane
        return Tensor((flat + base).astype(np.int64))

    def _mask(self, in_size, pairs, full, dtype) -> np.ndarray:
        """1 where a padded position counts toward an average's divisor, else 0."""
        mask = np.zeros([1, 1] + [lo + n + hi for n, (lo, hi) in zip(in_size, full)], dtype)
        counted = pairs if self.count_include_pad else [(0, 0)] * len(pairs)
        inside = tuple(slice(flo - lo, flo + n + hi) for n, (lo, hi), (flo, _) in
                       zip(in_size, counted, full))
        mask[(0, 0, *inside)] = 1
        return mask

    def get_config(self) -> dict[str, Any]:
        return {"mode": self.mode, "kernel_size": list(self.kernel_size),
                "stride": list(self.stride), "pads": [list(p) for p in self.pads],
                "dilation": list(self.dilation), "auto_pad": self.auto_pad,
                "ceil_mode": self.ceil_mode, "count_include_pad": self.count_include_pad,
                "column_major": self.column_major}


_CONV_TRANSPOSES = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def transpose_pairs(auto_pad: str, in_size: Sequence[int], full: Sequence[int],
                    stride: Sequence[int], output_padding: Sequence[int],
                    output_shape: Sequence[int], pads: Sequence[tuple[int, int]]) -> list:
    """ONNX ConvTranspose's (low, high) crop of the full output ``full`` (may be negative)."""
    if output_shape or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        target = output_shape or [n * s for n, s in zip(in_size, stride)]
        pairs = []
        for f, op, t in zip(full, output_padding, target):
            total = f + op - t
            half = total // 2
            # ONNX's rule: SAME_UPPER puts the larger half last, everything else first.
            pairs.append((half, total - half) if auto_pad == "SAME_UPPER" else
                         (total - half, half))
        return pairs
    if auto_pad == "VALID":
        return [(0, 0)] * len(full)
    return [tuple(p) for p in pads]


@nn.register
class OnnxConvTranspose(nn.Module):
    """ONNX ``ConvTranspose``: ``forward(x, weight, bias=None)`` with every ONNX option
    (per-side ``pads``, ``auto_pad``, ``output_padding``, ``output_shape``).

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens.interop.onnx_window import OnnxConvTranspose
    >>> x, w = cl.tensor(np.ones((1, 1, 3))), cl.tensor(np.ones((1, 2, 3)))
    >>> OnnxConvTranspose(stride=[2], pads=[(1, 0)])(x, w).shape
    (1, 2, 6)
    """

    def __init__(self, stride: Sequence[int] = (), pads: Sequence[Sequence[int]] = (),
                 dilation: Sequence[int] = (), groups: int = 1, auto_pad: str = "NOTSET",
                 output_padding: Sequence[int] = (), output_shape: Sequence[int] = ()) -> None:
        super().__init__()
        self.stride, self.dilation = tuple(map(int, stride)), tuple(map(int, dilation))
        self.pads = tuple((int(lo), int(hi)) for lo, hi in pads)
        self.groups, self.auto_pad = int(groups), _check_auto_pad(auto_pad)
        self.output_padding = tuple(map(int, output_padding))
        self.output_shape = tuple(map(int, output_shape))

    def forward(self, input: Tensor, weight: Tensor,  # noqa: A002 - torch's argument name
                bias: Tensor | None = None) -> Tensor:
        nd = weight.ndim - 2
        if nd not in _CONV_TRANSPOSES:
            raise ValueError(f"OnnxConvTranspose supports 1-D to 3-D weights; got shape "
                             f"{weight.shape}")
        stride, dilation = self.stride or (1,) * nd, self.dilation or (1,) * nd
        extra = self.output_padding or (0,) * nd
        y = _CONV_TRANSPOSES[nd](input, weight, None, stride, 0, 0, self.groups, dilation)
        pairs = transpose_pairs(self.auto_pad, input.shape[2:], y.shape[2:], stride, extra,
                                self.output_shape[-nd:] if self.output_shape else (),
                                self.pads or ((0, 0),) * nd)
        grow = [(max(-lo, 0), max(-hi, 0) + e) for (lo, hi), e in zip(pairs, extra)]
        if any(sum(g) for g in grow):
            y = pad_pairs(y, ((0, 0), (0, 0), *grow), "zeros", 0.0)
        y = y[(..., *(slice(max(lo, 0), n - max(hi, 0)) for (lo, hi), n in
                       zip(pairs, y.shape[2:])))]
        if bias is not None:
            y = y + bias.reshape((-1, *(1,) * nd))
        return y

    def get_config(self) -> dict[str, Any]:
        return {"stride": list(self.stride), "pads": [list(p) for p in self.pads],
                "dilation": list(self.dilation), "groups": self.groups,
                "auto_pad": self.auto_pad, "output_padding": list(self.output_padding),
                "output_shape": list(self.output_shape)}
