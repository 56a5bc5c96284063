"""PNG row unfiltering as one compiled loop (used by :mod:`._png` on first use, with numba
only); the same bytes as :func:`convlens.image._png._unfilter`'s NumPy and Python path."""

from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True, boundscheck=False)
def unfilter(rows, channels, out):  # pragma: no cover - compiled
    """out (H, W * channels) uint8 from rows (H, 1 + W * channels), each row's filter type in
    its column 0 (all of them at most 4, checked by the caller)."""
    height, stride = out.shape
    for y in range(height):
        kind = rows[y, 0]
        for x in range(stride):
            value = rows[y, x + 1]
            left = out[y, x - channels] if x >= channels else 0
            up = out[y - 1, x] if y > 0 else 0
            if kind == 1:
                value += left
            elif kind == 2:
                value += up
            elif kind == 3:
                value += (int(left) + int(up)) >> 1
            elif kind == 4:
                corner = out[y - 1, x - channels] if y > 0 and x >= channels else 0
                a, b, c = int(left), int(up), int(corner)
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                if pa <= pb and pa <= pc:
                    value += left
                elif pb <= pc:
                    value += up
                else:
                    value += corner
            out[y, x] = value
