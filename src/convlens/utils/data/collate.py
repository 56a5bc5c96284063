"""``default_collate`` and ``default_convert``: samples into batches, as ``torch.utils.data``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np

from ..._ops import stack
from ...tensor import Tensor, tensor

__all__ = ["default_collate", "default_convert"]

_COLLATE_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                  "or lists; found {}")


def _numpy_to_tensor(array: np.ndarray, what: str) -> Tensor:
    if array.dtype.kind in "OSUV":
        raise TypeError(what.format(array.dtype))
    return tensor(array, dtype=array.dtype)


def _is_namedtuple(value: Any) -> bool:
    return isinstance(value, tuple) and hasattr(value, "_fields")


def _rebuild(elem: Any, values: Any) -> Any:
    """A container of ``elem``'s type holding ``values``, or a plain one if that fails."""
    try:
        return type(elem)(values)
    except TypeError:
        return dict(values) if isinstance(elem, Mapping) else list(values)


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch, recursing into dicts, tuples and lists.

    - Tensors are stacked along a new first dimension (``cl.stack``);
    - ndarrays and NumPy scalars become Tensors of their dtype, then are stacked;
    - Python floats give a float64 Tensor, ints an int64 Tensor, bools a bool Tensor;
    - strings and bytes stay a list;
    - a dict gives a dict of batches (same keys), a namedtuple a namedtuple of batches;
    - other sequences are transposed and each position collated, giving a **list** (as torch
      returns for tuples too).

    Raises
    ------
    TypeError
        For elements of any other type, or ndarrays of strings or objects.
    RuntimeError
        If the sequences in a batch have different lengths.

    Examples
    --------
    >>> import numpy as np
    >>> out = default_collate([(np.zeros(3), 1), (np.ones(3), 0)])
    >>> type(out).__name__, out[0].shape, out[1].tolist()
    ('list', (2, 3), [1, 0])
    >>> default_collate([{"x": 1.5, "name": "a"}, {"x": 2.0, "name": "b"}])["name"]
    ['a', 'b']
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(list(batch), 0)
    if isinstance(elem, np.ndarray | np.generic) and not isinstance(elem, np.str_ | np.bytes_):
        return default_collate([_numpy_to_tensor(np.asarray(b), _COLLATE_ERROR)
                                for b in batch])
    if isinstance(elem, bool):
        return tensor(np.array(batch, dtype=bool))
    if isinstance(elem, Integral):
        return tensor(np.array(batch, dtype=np.int64))
    if isinstance(elem, Real):
        return tensor(np.array(batch, dtype=np.float64))
    if isinstance(elem, str | bytes):
        return batch
    if isinstance(elem, Mapping):
        return _rebuild(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, Sequence):
        if len({len(b) for b in batch}) != 1:
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = [default_collate(s) for s in zip(*batch)]
        return transposed if isinstance(elem, tuple) else _rebuild(elem, transposed)
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def default_convert(data: Any) -> Any:
    """Turn ndarrays (also inside dicts, tuples and lists) into Tensors; leave the rest.

    The ``collate_fn`` that a DataLoader uses with ``batch_size=None``, as in torch.

    Examples
    --------
    >>> import numpy as np
    >>> out = default_convert((np.arange(3), "label", 2))
    >>> type(out[0]).__name__, out[1], out[2]
    ('Tensor', 'label', 2)
    """
    if isinstance(data, np.ndarray) and data.dtype.kind not in "OSUV":
        return tensor(data, dtype=data.dtype)
    if isinstance(data, np.generic) and not isinstance(data, np.str_ | np.bytes_):
        return tensor(np.asarray(data), dtype=data.dtype)
    if isinstance(data, Mapping):
        return _rebuild(data, {key: default_convert(value) for key, value in data.items()})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        return _rebuild(data, [default_convert(d) for d in data])
    return data
