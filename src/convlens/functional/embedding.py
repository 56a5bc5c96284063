"""Index lookups: ``one_hot`` and ``embedding``, as in ``torch.nn.functional``."""

from __future__ import annotations

import numpy as np

from .. import _validate
from ..tensor import Tensor


def _indices(input, op: str) -> np.ndarray:  # noqa: A002
    x = _validate.as_tensor(input, "input", op)
    if x.dtype.kind not in "iu":
        raise TypeError(f"{op} expects input of an integer dtype (indices); got {x.dtype}")
    return x._data.astype(np.int64)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """(*,) class indices -> (*, num_classes) int64 rows of zeros with a one, as torch.

    Parameters
    ----------
    tensor : Tensor
        Non-negative integer class indices, any shape.
    num_classes : int, default -1
        -1 uses ``max(tensor) + 1``.

    Raises
    ------
    ValueError
        Negative indices, or indices not smaller than ``num_classes``.
    TypeError
        A non-integer ``tensor``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.one_hot(cl.tensor([0, 2]), 3).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    t = _indices(tensor, "one_hot")
    num_classes = _validate.positive_int(num_classes, "num_classes", minimum=-1)
    if t.size and t.min() < 0:
        raise ValueError(f"one_hot expects non-negative class values; got {int(t.min())}")
    if num_classes == -1:
        if not t.size:
            raise ValueError("one_hot cannot infer num_classes from an empty tensor; pass it")
        num_classes = int(t.max()) + 1
    if t.size and t.max() >= num_classes:
        raise ValueError(f"one_hot expects class values smaller than num_classes "
                         f"(={num_classes}); got {int(t.max())}")
    return Tensor(np.eye(num_classes, dtype=np.int64)[t])
