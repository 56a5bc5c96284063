"""``interpolate``: resize the spatial dims of (N, C, *d) input, as torch.nn.functional does.

Every mode is separable, so each spatial dim gets one small interpolation matrix ``M`` (out, in)
whose row ``i`` holds the weights that output position ``i`` takes from the input positions.
The forward applies the matrices dim by dim; the backward applies their transposes. The rows
follow torch's CPU kernels exactly (``aten/src/ATen/native/UpSample.h``):

- ``scale`` is ``(in - 1) / (out - 1)`` with ``align_corners``, else ``1 / scale_factor`` when
  a scale factor was given (and not recomputed), else ``in / out``;
- nearest: ``src = min(floor(dst * scale), in - 1)`` in float32 arithmetic, as torch (whose
  2-D kernel copies when ``out == in`` and halves when ``out == 2 * in``, whatever the factor);
  nearest-exact: ``floor((dst + 0.5) * scale)``;
- linear: ``src = scale * (dst + 0.5) - 0.5`` clamped at 0 (``scale * dst`` with
  ``align_corners``), between ``floor(src)`` and the next index;
- cubic: the same ``src`` without the clamp, Keys' cubic convolution with ``A = -0.75`` over
  ``floor(src) - 1 .. floor(src) + 2``, indices clamped to the border;
- area: adaptive average pooling bins ``floor(i * in / out) .. ceil((i + 1) * in / out)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np

from .. import _validate
from ..conv.geometry import MAX_RESULT_BYTES, check_allocation
from ..tensor import Tensor

_MODE_RANK = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
_CUBIC_A = -0.75


def _scale(n_in: int, n_out: int, align_corners: bool, factor: float | None,
           dtype: type) -> float:
    if align_corners:
        return dtype((n_in - 1) / (n_out - 1)) if n_out > 1 else dtype(0)
    if factor is not None and factor > 0:
        return dtype(1.0 / factor)
    return dtype(n_in) / dtype(n_out)


def _nearest(n_in: int, n_out: int, factor: float | None, exact: bool,
             shortcut: bool) -> np.ndarray:
    dst = np.arange(n_out)
    # torch's 2-D nearest kernel copies for out == in and halves for out == 2 * in whatever
    # the scale factor says; its 1-D and 3-D kernels always use the formula.
    if shortcut and not exact and n_out == n_in:
        return dst
    if shortcut and not exact and n_out == 2 * n_in:
        return dst >> 1
    scale = _scale(n_in, n_out, False, factor, np.float32)
    offset = np.float32(0.5) if exact else np.float32(0)
    src = np.floor((dst.astype(np.float32) + offset) * scale).astype(np.int64)
    return np.minimum(src, n_in - 1)


def _source(n_in: int, n_out: int, align_corners: bool, factor: float | None, dtype: type,
            cubic: bool) -> np.ndarray:
    scale = _scale(n_in, n_out, align_corners, factor, dtype)
    dst = np.arange(n_out).astype(dtype)
    if align_corners:
        return scale * dst
    src = scale * (dst + dtype(0.5)) - dtype(0.5)
    return src if cubic else np.maximum(src, dtype(0))


def _cubic_weights(t: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution weights of the 4 taps around ``floor(src)``; (out, 4)."""
    a = _CUBIC_A

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], axis=1)


def _matrix(mode: str, n_in: int, n_out: int, factor: float | None, align_corners: bool,
            dtype: type, nd: int) -> np.ndarray:
    """The (n_out, n_in) interpolation matrix of one of ``nd`` spatial dims."""
    m = np.zeros((n_out, n_in), dtype=np.float64)
    rows = np.arange(n_out)
    if mode in ("nearest", "nearest-exact"):
        m[rows, _nearest(n_in, n_out, factor, mode == "nearest-exact", nd == 2)] = 1
    elif mode == "area":
        for i in range(n_out):
            lo, hi = (i * n_in) // n_out, -(-(i + 1) * n_in // n_out)
            m[i, lo:hi] = 1 / (hi - lo)
    elif mode == "bicubic":
        src = _source(n_in, n_out, align_corners, factor, dtype, cubic=True)
        base = np.floor(src).astype(np.int64)
        weights = _cubic_weights(src - base)
        for k in range(4):
            np.add.at(m, (rows, np.clip(base - 1 + k, 0, n_in - 1)), weights[:, k])
    else:
        src = _source(n_in, n_out, align_corners, factor, dtype, cubic=False)
        i0 = np.floor(src).astype(np.int64)
        i1 = i0 + (i0 < n_in - 1)
        lam = np.minimum(src - i0, 1)
        np.add.at(m, (rows, i0), 1 - lam)
        np.add.at(m, (rows, i1), lam)
    return m.astype(dtype)


def _along(data: np.ndarray, matrix: np.ndarray, axis: int) -> np.ndarray:
    """Apply ``matrix`` (out, in) along ``axis`` of ``data``."""
    moved = np.moveaxis(data, axis, -1)
    return np.moveaxis(moved @ matrix.T, -1, axis)


def _per_dim(value: object, nd: int, name: str) -> tuple | None:
    if value is None:
        return None
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != nd:
            raise ValueError(f"{name} must be a number or a sequence of {nd} (one per spatial "
                             f"dim); got {value!r}")
        return tuple(value)
    return (value,) * nd


def _output_size(x: Tensor, size, scale_factor, nd: int) -> tuple[tuple[int, ...], tuple]:
    """The output sizes and the scale factors (or Nones) the kernels see."""
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate needs exactly one of size and scale_factor; got "
                         f"size={size!r}, scale_factor={scale_factor!r}")
    if size is not None:
        sizes = _per_dim(size, nd, "size")
        if not all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes):
            raise ValueError(f"size must be positive ints; got {size!r}")
        return tuple(int(s) for s in sizes), (None,) * nd
    factors = _per_dim(scale_factor, nd, "scale_factor")
    if not all(isinstance(f, Real) and not isinstance(f, bool) and math.isfinite(f) and f > 0
               for f in factors):
        raise ValueError(f"scale_factor must be positive finite numbers; got {scale_factor!r}")
    sizes = tuple(math.floor(n * float(f)) for n, f in zip(x.shape[2:], factors))
    if min(sizes) < 1:
        raise ValueError(f"interpolate would give an empty output {sizes} for input of shape "
                         f"{x.shape} and scale_factor={scale_factor!r}")
    return sizes, tuple(float(f) for f in factors)


def _check_mode(x: Tensor, mode: str, align_corners, antialias: bool) -> int:
    _validate.one_of(mode, MODES, "mode")
    nd = x.ndim - 2
    if nd not in (1, 2, 3) or (mode in _MODE_RANK and nd != _MODE_RANK[mode]):
        need = f"a {_MODE_RANK[mode] + 2}-D" if mode in _MODE_RANK else "a 3-D, 4-D or 5-D"
        raise ValueError(f"interpolate with mode={mode!r} expects {need} (N, C, *d) input; "
                         f"got shape {x.shape}")
    if align_corners is not None and mode not in _MODE_RANK:
        raise ValueError(f"align_corners can only be set with the interpolating modes linear, "
                         f"bilinear, bicubic and trilinear; got mode={mode!r}")
    if antialias:
        raise ValueError("interpolate does not support antialias=True (torch's anti-aliased "
                         "downsampling); resize with antialias=False or blur first")
    return nd


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",  # noqa: A002
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims of (N, C, *d) input, as ``torch.nn.functional.interpolate``.

    Parameters
    ----------
    input : Tensor
        (N, C, L) for ``linear``, (N, C, H, W) for ``bilinear``/``bicubic``, (N, C, D, H, W) for
        ``trilinear``; ``nearest``, ``nearest-exact`` and ``area`` take any of these.
    size : int or tuple of int, optional
        The output size; exactly one of ``size`` and ``scale_factor``.
    scale_factor : float or tuple of float, optional
        Output size ``floor(in * scale_factor)``.
    mode : {"nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area"}
    align_corners : bool, optional
        For the interpolating modes: map the corner pixels' centres onto each other.
    recompute_scale_factor : bool, optional
        With ``scale_factor``: interpolate with ``in / out`` instead of ``1 / scale_factor``.
    antialias : bool, default False
        True is refused (not implemented).

    Returns
    -------
    Tensor
        (N, C, *out), the same dtype.

    Raises
    ------
    ValueError
        Both or neither of ``size`` and ``scale_factor``, a mode that does not fit the input's
        rank, ``align_corners`` with a non-interpolating mode, or ``antialias=True``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.interpolate(cl.tensor([[[1.0, 2.0]]]), scale_factor=2).tolist()
    [[[1.0, 1.0, 2.0, 2.0]]]
    >>> F.interpolate(cl.tensor([[[1.0, 2.0]]]), size=4, mode="linear").tolist()
    [[[1.0, 1.25, 1.75, 2.0]]]
    """
    x = _validate.float_tensor(input, "input", "interpolate")
    nd = _check_mode(x, mode, align_corners, bool(antialias))
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is only meaningful with scale_factor; got "
                         "size as well")
    sizes, factors = _output_size(x, size, scale_factor, nd)
    check_allocation("interpolate", "the result", (*x.shape[:2], *sizes), x.dtype.itemsize,
                     f"size={size!r}" if size is not None else f"scale_factor={scale_factor!r}",
                     limit=MAX_RESULT_BYTES)
    if recompute_scale_factor:
        factors = (None,) * nd
    matrices = [_matrix(mode, n, m, f, bool(align_corners), x.dtype.type, nd)
                for n, m, f in zip(x.shape[2:], sizes, factors)]
    out = x._data
    for axis, matrix in enumerate(matrices, start=2):
        out = _along(out, matrix, axis)

    def backward(g):
        for axis, matrix in enumerate(matrices, start=2):
            g = _along(g, matrix.T, axis)
        return (g,)

    return Tensor._from_op(np.ascontiguousarray(out, x.dtype), (x,), backward, "Resize")
