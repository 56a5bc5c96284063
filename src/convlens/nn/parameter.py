"""``Parameter``: a Tensor that a Module registers as learnable."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a Module registers as learnable, as ``torch.nn.Parameter``.

    Assigning a Parameter to a Module attribute adds it to ``parameters()`` and
    ``state_dict()``. The results of ops on a Parameter are plain Tensors.

    Parameters
    ----------
    data : array_like
        Initial values, copied (Python floats become float32, ndarrays keep their dtype).
    requires_grad : bool, default True

    Examples
    --------
    >>> import numpy as np
    >>> from convlens import nn
    >>> p = nn.Parameter(np.zeros(3, np.float32))
    >>> p.requires_grad, p.shape
    (True, (3,))
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
