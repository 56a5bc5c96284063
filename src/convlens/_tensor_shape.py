"""Tensor methods that reshape or index (``view``, ``expand``, ``split``, ``gather``, ...),
built on :mod:`convlens._ops_shape` and :mod:`convlens._ops_index`; ``Tensor`` inherits them.
"""

from __future__ import annotations

from typing import Any

from . import _ops
from ._ops import sizes_arg


class ShapeMethods:
    """Mixin for :class:`convlens.Tensor`."""

    __slots__ = ()

    def reshape(self, *shape):
        return _ops.reshape(self, sizes_arg(shape, "shape"))

    def view(self, *shape):
        """A tensor of ``shape`` (sharing data when NumPy can), as ``Tensor.view``."""
        return _ops.reshape(self, sizes_arg(shape, "shape"))

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def view_as(self, other):
        return _ops.reshape(self, other.shape)

    def reshape_as(self, other):
        return _ops.reshape(self, other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        return _ops.flatten(self, start_dim, end_dim)

    def permute(self, *dims):
        return _ops.permute(self, sizes_arg(dims, "dims"))

    def transpose(self, dim0: int, dim1: int):
        return _ops.transpose(self, dim0, dim1)

    def t(self):
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with at most 2 dimensions; got shape "
                             f"{self.shape}")
        return self.T

    @property
    def T(self):  # noqa: N802 - numpy/torch spelling
        return _ops.permute(self, tuple(reversed(range(self.ndim))))

    def unsqueeze(self, dim: int):
        return _ops.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return _ops.squeeze(self, dim)

    def unfold(self, dimension: int, size: int, step: int):
        """Every slice of ``size`` elements along ``dimension``, ``step`` apart, in a new last
        dim, as ``Tensor.unfold`` (a copy here, not a view).

        >>> import convlens as cl
        >>> cl.arange(5.0).unfold(0, 2, 2).tolist()
        [[0.0, 1.0], [2.0, 3.0]]
        """
        return _ops.unfold(self, dimension, size, step)

    def expand(self, *sizes):
        """A broadcast view with ``sizes`` (``-1`` keeps a dim), as ``Tensor.expand``."""
        return _ops.expand(self, sizes_arg(sizes))

    def expand_as(self, other):
        return _ops.expand(self, tuple(other.shape))

    def repeat(self, *repeats):
        """``self`` tiled ``repeats`` times along each dim, as ``Tensor.repeat``."""
        return _ops.repeat(self, sizes_arg(repeats, "repeats"))

    def split(self, split_size: Any, dim: int = 0):
        return _ops.split(self, split_size, dim)

    def chunk(self, chunks: int, dim: int = 0):
        return _ops.chunk(self, chunks, dim)

    def unbind(self, dim: int = 0):
        """The slices along ``dim``, each without that dim."""
        return tuple(_ops.squeeze(part, dim) for part in _ops.split(self, 1, dim))

    def gather(self, dim: int, index):
        return _ops.gather(self, dim, index)

    def scatter(self, dim: int, index, src=None, value=None, reduce=None):
        return _ops.scatter(self, dim, index, src, value, reduce)

    def scatter_add(self, dim: int, index, src):
        return _ops.scatter(self, dim, index, src, add=True)

    def index_select(self, dim: int, index):
        return _ops.index_select(self, dim, index)

    def masked_fill(self, mask, value):
        return _ops.masked_fill(self, mask, value)
