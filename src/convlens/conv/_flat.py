"""The flat layout of the compiled engine's direct loops: planes, phases and tap offsets.

A zero-padded plane stored row after row turns a convolution into a sum of shifted copies:
at stride 1, output pixel ``(i, j)`` reads input ``i * Wp + j + tap offset``, so one kernel tap
is one contiguous multiply-add over the whole plane (the last ``Wp - Wo`` columns of every
output row are computed and thrown away). A tap is a channel and a kernel position together,
with offset ``channel * plane + row * Wp + column``, so one list of offsets covers a group.

**Strides** are folded into *phases*: at stride ``(sh, sw)`` the padded plane is split into
``sh * sw`` phase planes, ``plane[a, b] = padded[a * sh + ph, b * sw + pw]``. Kernel row ``r``
(dilation included) reads phase ``r % sh`` at row shift ``r // sh``, so a strided convolution
is a stride-1 one over the phase planes, with no thrown-away work beyond the row ends.

**1-D layers with short outputs** put the samples in the rows: (N, C, L) becomes one plane of
N rows per channel, so each loop runs over the whole batch instead of a few outputs.

``grad_input`` is a correlation that reads ``grad_output`` at "pixel - tap offset": it is
computed per phase, from the taps of that phase, on a copy of ``grad_output`` shifted right
by a margin of zeros (the largest tap offset), so that no index goes below zero.

Everything here is NumPy; the loops are in :mod:`convlens.conv._compiled_kernels`.
"""

from __future__ import annotations

import functools

import numpy as np

from .geometry import ConvSpec

# 1-D layers with fewer outputs than this per sample put their samples in the rows.
SAMPLE_ROWS_BELOW = 64


@functools.lru_cache(maxsize=256)
def layout(x_shape: tuple[int, ...], w_shape: tuple[int, ...], spec: ConvSpec) -> FlatLayout:
    """The :class:`FlatLayout` of a layer, built once per shapes (a training loop repeats them)."""
    return FlatLayout(x_shape, w_shape, spec)


class FlatLayout:
    """Geometry of one layer's flat passes (2-D; a 1-D layer is one row high).

    Its arrays (tap offsets) are shared by every call on the same shapes: read them, never
    write them.
    """

    def __init__(self, x_shape: tuple[int, ...], w_shape: tuple[int, ...], spec: ConvSpec):
        self.spec = spec
        self.N, self.C, self.O, self.G = x_shape[0], x_shape[1], w_shape[0], spec.groups
        self.Cg, self.Og = self.C // self.G, self.O // self.G
        padded = spec.padded_size(tuple(x_shape[2:]))
        out = spec.output_size(tuple(x_shape[2:]), tuple(w_shape[2:]))
        self.sample_rows = spec.nd == 1 and out[0] < SAMPLE_ROWS_BELOW
        if spec.nd == 2:
            self.samples, (self.Hp, self.Wp), (self.Ho, self.Wo) = self.N, padded, out
            self.KH, self.KW = w_shape[2:]
            (self.sh, self.sw), (self.dh, self.dw) = spec.stride, spec.dilation
        else:
            rows = self.N if self.sample_rows else 1
            self.samples = 1 if self.sample_rows else self.N
            self.Hp, self.Wp, self.Ho, self.Wo = rows, padded[0], rows, out[0]
            self.KH, self.KW, self.sh, self.dh = 1, w_shape[2], 1, 1
            self.sw, self.dw = spec.stride[0], spec.dilation[0]
        self.Hq, self.Wq = -(-self.Hp // self.sh), -(-self.Wp // self.sw)  # phase plane size
        self.phases, self.plane = self.sh * self.sw, self.Hq * self.Wq
        self.L = (self.Ho - 1) * self.Wq + self.Wo        # flat run covering every output row
        shift_r, phase_r = np.divmod(np.arange(self.KH) * self.dh, self.sh)
        shift_c, phase_c = np.divmod(np.arange(self.KW) * self.dw, self.sw)
        # per kernel position (row-major): its phase plane and its shift within the plane
        self.tap_phase = (phase_r[:, None] * self.sw + phase_c[None, :]).ravel()
        self.tap_shift = (shift_r[:, None] * self.Wq + shift_c[None, :]).ravel()
        self.margin = int(self.tap_shift.max())
        self.out_size = (self.Ho, self.Wo) if spec.nd == 2 else (self.Wo,)
        self.in_size = tuple(x_shape[2:])

    # -- work, for the cost model ------------------------------------------------------------
    def macs(self, pass_: str) -> int:
        """Multiply-adds of a pass, thrown-away positions included."""
        K = self.KH * self.KW
        if pass_ == "grad_input":
            return self.samples * self.C * self.Og * K * self.plane
        return self.samples * self.O * self.Cg * K * (self.Ho * self.Wq)

    @functools.cached_property
    def _pieces(self) -> list[tuple[int, int, tuple[slice, slice], tuple[slice, slice]]]:
        """Per phase (ph, pw) with input pixels: where they sit in its plane, and which
        input rows and columns they are (strided slices of the unpadded input)."""
        if self.spec.nd == 2:
            (lo_h, _), (lo_w, _) = self.spec.padding
            H, W = self.in_size
        else:
            lo_h, H, ((lo_w, _),), (W,) = 0, self.Hp, self.spec.padding, self.in_size
        pieces = []
        for ph in range(self.sh):
            rows = _strided(lo_h, H, ph, self.sh)
            for pw in range(self.sw):
                cols = _strided(lo_w, W, pw, self.sw)
                if rows is not None and cols is not None:
                    pieces.append((ph, pw, (rows[0], cols[0]), (rows[1], cols[1])))
        return pieces

    def _as_rows(self, a: np.ndarray) -> np.ndarray:
        """An (N, C, *in) array as the (samples, C, H, W) view the planes are cut from."""
        if self.sample_rows:
            return a.transpose(1, 0, 2)[None]                 # (1, C, N, W)
        return a.reshape(self.samples, self.C, -1, a.shape[-1])

    def source(self, x: np.ndarray) -> np.ndarray:
        """(samples, C * phases * plane): x zero-padded, in phase planes."""
        src = np.zeros((self.samples, self.C, self.sh, self.sw, self.Hq, self.Wq), x.dtype)
        rows = self._as_rows(x)
        for ph, pw, inside, pixels in self._pieces:
            src[:, :, ph, pw, inside[0], inside[1]] = rows[:, :, pixels[0], pixels[1]]
        return src.reshape(self.samples, -1)

    @functools.cached_property
    def taps(self) -> np.ndarray:
        """Offsets (uint64) into a group's source of every (channel, kernel position) tap."""
        within = self.tap_phase * self.plane + self.tap_shift
        offsets = np.arange(self.Cg)[:, None] * (self.phases * self.plane) + within[None, :]
        return offsets.ravel().astype(np.uint64)

    @property
    def group_size(self) -> int:
        """Source elements per group."""
        return self.Cg * self.phases * self.plane

    def output_buffer(self, dtype) -> np.ndarray:
        """(samples, O, Ho * Wo): what the forward loops write (the real outputs only)."""
        return np.empty((self.samples, self.O, self.Ho * self.Wo), dtype=dtype)

    def output(self, flat: np.ndarray) -> np.ndarray:
        """The forward's (samples, O, Ho * Wo) as (N, O, *out)."""
        if self.sample_rows:
            return np.ascontiguousarray(flat[0].reshape(self.O, self.N, self.Wo).transpose(1, 0, 2))
        return flat.reshape(self.N, self.O, *self.out_size)

    def grad_rows(self, grad_output: np.ndarray, margin: int = 0) -> np.ndarray:
        """(samples, O, margin + plane): grad_output after ``margin`` zeros, laid out as the
        forward's output, zero at every thrown-away position."""
        full = np.zeros((self.samples, self.O, margin + self.plane), grad_output.dtype)
        rows = full[:, :, margin:margin + self.Ho * self.Wq].reshape(
            self.samples, self.O, self.Ho, self.Wq)
        if self.sample_rows:
            rows[0, :, :, :self.Wo] = grad_output.transpose(1, 0, 2)
        else:
            rows[..., :self.Wo] = grad_output.reshape(self.samples, self.O, self.Ho, self.Wo)
        return full

    # -- grad_input --------------------------------------------------------------------------
    @functools.cached_property
    def input_taps(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per phase, its kernel positions and the offsets (uint64) of every (output channel,
        position) tap into grad_rows(margin=self.margin), read at pixel - shift."""
        taps = []
        for phase in range(self.phases):
            positions = np.flatnonzero(self.tap_phase == phase)
            within = self.margin - self.tap_shift[positions]
            offsets = np.arange(self.Og)[:, None] * (self.margin + self.plane) + within[None, :]
            taps.append((positions, offsets.ravel().astype(np.uint64)))
        return taps

    def input_grad(self, phase_planes: np.ndarray) -> np.ndarray:
        """(phases, samples, C, plane) back to grad_input (N, C, *in): every input pixel is in
        exactly one phase plane; the padding's gradients are dropped."""
        planes = phase_planes.reshape(self.sh, self.sw, self.samples, self.C, self.Hq, self.Wq)
        grad = np.empty((self.N, self.C, *self.in_size), phase_planes.dtype)
        rows = self._as_rows(grad)
        for ph, pw, inside, pixels in self._pieces:
            rows[:, :, pixels[0], pixels[1]] = planes[ph, pw, :, :, inside[0], inside[1]]
        return grad


def _strided(low: int, size: int, phase: int, stride: int) -> tuple[slice, slice] | None:
    """The input pixels of one phase along one axis, padded by ``low`` in front: their slice
    in the phase plane and in the input, or None if the phase holds padding only."""
    first = -(-(low - phase) // stride)          # first plane index that is not padding
    start = first * stride + phase - low         # its input pixel
    if start >= size:
        return None
    count = -(-(size - start) // stride)
    return slice(first, first + count), slice(start, start + (count - 1) * stride + 1, stride)
