"""``Flatten``: merge dimensions ``start_dim..end_dim`` (by default all but the batch), and
``Unflatten``, which splits one dimension."""

from __future__ import annotations

import math
from typing import Any

from .. import _ops, _validate
from ..tensor import Tensor
from .module import Module
from .registry import builtin


def _dim(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int; got {type(value).__name__} {value!r}")
    return value


@builtin
class Flatten(Module):
    """Flatten dimensions ``start_dim`` to ``end_dim`` into one, as ``torch.nn.Flatten``.

    Parameters
    ----------
    start_dim : int, default 1
    end_dim : int, default -1

    Raises
    ------
    ValueError
        At call time, if a dim is out of range for the input or ``start_dim`` comes after
        ``end_dim``.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> nn.Flatten()(cl.tensor(np.zeros((2, 16, 5, 5), np.float32))).shape
    (2, 400)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = _dim(start_dim, "start_dim")
        self.end_dim = _dim(end_dim, "end_dim")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        x = _validate.as_tensor(input, "input", "Flatten")
        ndim = max(x.ndim, 1)
        for name, dim in (("start_dim", self.start_dim), ("end_dim", self.end_dim)):
            if not -ndim <= dim < ndim:
                raise ValueError(f"Flatten({name}={dim}) is out of range for input of shape "
                                 f"{x.shape} (dims -{ndim}..{ndim - 1})")
        if self.start_dim % ndim > self.end_dim % ndim:
            raise ValueError(f"Flatten needs start_dim <= end_dim; got start_dim="
                             f"{self.start_dim}, end_dim={self.end_dim} for input of shape "
                             f"{x.shape}")
        return _ops.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

    def get_config(self) -> dict[str, Any]:
        return {"start_dim": self.start_dim, "end_dim": self.end_dim}


def _sizes(value: object) -> tuple[int, ...]:
    if not isinstance(value, list | tuple) or not value or not all(
            isinstance(n, int) and not isinstance(n, bool) and (n > 0 or n == -1)
            for n in value) or list(value).count(-1) > 1:
        raise TypeError(f"unflattened_size must be a non-empty tuple of positive ints (one "
                        f"may be -1); got {value!r}")
    return tuple(value)


@builtin
class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``, as ``torch.nn.Unflatten``.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> nn.Unflatten(1, (2, 5))(cl.tensor(np.zeros((3, 10), np.float32))).shape
    (3, 2, 5)
    """

    def __init__(self, dim: int, unflattened_size: tuple[int, ...]) -> None:
        super().__init__()
        self.dim = _dim(dim, "dim")
        self.unflattened_size = _sizes(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        x = _validate.as_tensor(input, "input", "Unflatten")
        axis = _validate.dim_index(self.dim, x.ndim)
        known = math.prod(n for n in self.unflattened_size if n != -1)
        size = x.shape[axis] if x.ndim else 1
        if (size % known) if -1 in self.unflattened_size else (known != size):
            raise ValueError(f"Unflatten cannot split dimension {self.dim} of size {size} into "
                             f"{self.unflattened_size}")
        return x.reshape((*x.shape[:axis], *self.unflattened_size, *x.shape[axis + 1:]))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"

    def get_config(self) -> dict[str, Any]:
        return {"dim": self.dim, "unflattened_size": list(self.unflattened_size)}
