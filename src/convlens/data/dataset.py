"""``ArrayDataset``: inputs and integer labels held as two ndarrays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def _check_x(x: Any) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"ArrayDataset expects x to be an ndarray; got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError("ArrayDataset expects x to be a float array (scale integer pixels to "
                        f"[0, 1] first); got dtype {x.dtype}")
    if x.ndim not in (3, 4):
        raise ValueError("ArrayDataset expects x shaped (N, C, L) for sequences or (N, C, H, W) "
                         f"for images; got shape {x.shape}")
    return np.ascontiguousarray(x, dtype=np.float32)


def _check_y(y: Any, n: int) -> np.ndarray:
    if not isinstance(y, np.ndarray):
        y = np.asarray(y)
    if y.dtype.kind not in "iu":
        raise TypeError(f"ArrayDataset expects y to hold integer class labels; got dtype {y.dtype}")
    if y.shape != (n,):
        raise ValueError(f"ArrayDataset expects y of shape ({n},) to match x; got {y.shape}")
    if n and y.min() < 0:
        raise ValueError(f"ArrayDataset expects labels >= 0; got {y.min()}")
    return np.ascontiguousarray(y, dtype=np.int64)


def _check_classes(classes: Sequence[str] | None, y: np.ndarray) -> tuple[str, ...]:
    top = int(y.max()) + 1 if len(y) else 0
    if classes is None:
        return tuple(str(i) for i in range(top))
    if isinstance(classes, str) or not all(isinstance(c, str) for c in classes):
        raise TypeError("ArrayDataset expects classes to be a sequence of strings; "
                        f"got {classes!r}")
    classes = tuple(classes)
    if len(classes) < top:
        raise ValueError(f"ArrayDataset has labels up to {top - 1}, so classes needs at least "
                         f"{top} names; got {len(classes)}")
    return classes


class ArrayDataset:
    """A labelled dataset held in memory: float32 inputs ``x`` and int64 labels ``y``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W) or (N, C, L)
        Inputs, a float array (converted to contiguous float32).
    y : array_like of int, shape (N,)
        Class labels, integers >= 0 (converted to int64).
    classes : sequence of str, optional
        Class names, indexed by label. Defaults to ``"0"``, ``"1"``, ... up to the largest label.
    name : str, default ""
        A name for messages and reports, such as ``"mnist-5k"``.

    Attributes
    ----------
    x : ndarray of float32, shape (N, *input_shape)
    y : ndarray of int64, shape (N,)
    classes : tuple of str
    name : str

    Raises
    ------
    TypeError
        If ``x`` is not a float ndarray, ``y`` is not integer, or ``classes`` are not strings.
    ValueError
        If ``x`` is not 3-D or 4-D, ``y`` does not have one label per sample, a label is
        negative, or ``classes`` has fewer names than labels.

    Examples
    --------
    >>> import numpy as np
    >>> ds = ArrayDataset(np.zeros((5, 1, 8, 8)), np.array([0, 1, 2, 1, 0]), name="toy")
    >>> len(ds), ds.input_shape, ds.num_classes, ds.classes
    (5, (1, 8, 8), 3, ('0', '1', '2'))
    >>> x0, y0 = ds[0]
    >>> x0.shape, x0.dtype, int(y0)
    ((1, 8, 8), dtype('float32'), 0)
    """

    def __init__(self, x: np.ndarray, y: Any, classes: Sequence[str] | None = None,
                 name: str = "") -> None:
        if not isinstance(name, str):
            raise TypeError(f"ArrayDataset expects name to be a str; got {type(name).__name__}")
        self.x = _check_x(x)
        self.y = _check_y(y, len(self.x))
        self.classes = _check_classes(classes, self.y)
        self.name = name

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index: Any) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(x[index], y[index])``; an int index gives one sample."""
        return self.x[index], self.y[index]

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one sample, such as ``(1, 28, 28)`` or ``(1, 40)``."""
        return tuple(self.x.shape[1:])

    @property
    def num_classes(self) -> int:
        """The number of class names (labels run from 0 to ``num_classes - 1``)."""
        return len(self.classes)

    def subset(self, indices: Any, name: str | None = None) -> ArrayDataset:
        """Return a new dataset holding the samples at ``indices`` (an int array or a slice).

        The class names carry over, so labels keep their meaning in the subset.
        """
        return ArrayDataset(self.x[indices], self.y[indices], self.classes,
                            self.name if name is None else name)

    def __repr__(self) -> str:
        return (f"ArrayDataset(name={self.name!r}, samples={len(self)}, "
                f"input_shape={self.input_shape}, num_classes={self.num_classes})")
