"""``Flatten``: merge dimensions ``start_dim..end_dim`` (by default all but the batch)."""

from __future__ import annotations

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
