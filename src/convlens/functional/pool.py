"""Pooling, one module per family; this module keeps every pooling name importable.

- :mod:`.pool_max`: ``max_pool1d/2d/3d``;
- :mod:`.pool_avg`: ``avg_pool1d/2d/3d`` and ``lp_pool1d/2d``;
- :mod:`.pool_adaptive`: ``adaptive_avg_pool1d/2d/3d`` and ``adaptive_max_pool1d/2d``;
- :mod:`.pool_unpool`: ``max_unpool1d/2d``;
- :mod:`.pool_fractional`: ``fractional_max_pool2d``;
- :mod:`._pool_common`: argument checks, window geometry and the size limits
  :data:`MAX_BYTES`, :data:`MAX_TAPS` and :data:`MAX_WORK`.

Window geometry follows PyTorch, including ``ceil_mode`` and its divisor rules; a NaN or inf
reaches exactly the outputs whose windows hold it.
"""

from ._pool_common import MAX_BYTES, MAX_TAPS, MAX_WORK
from .pool_adaptive import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_avg_pool_nd,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool_nd,
)
from .pool_avg import avg_pool1d, avg_pool2d, avg_pool3d, avg_pool_nd, lp_pool1d, lp_pool2d
from .pool_fractional import fractional_max_pool2d
from .pool_max import max_pool1d, max_pool2d, max_pool3d, max_pool_nd
from .pool_unpool import max_unpool1d, max_unpool2d

__all__ = [
    "MAX_BYTES", "MAX_TAPS", "MAX_WORK", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "adaptive_avg_pool3d", "adaptive_avg_pool_nd", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "adaptive_max_pool_nd", "avg_pool1d", "avg_pool2d", "avg_pool3d", "avg_pool_nd",
    "fractional_max_pool2d", "lp_pool1d", "lp_pool2d", "max_pool1d", "max_pool2d", "max_pool3d",
    "max_pool_nd", "max_unpool1d", "max_unpool2d",
]
