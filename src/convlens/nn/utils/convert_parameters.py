"""Flatten parameters into one vector and back, as ``torch.nn.utils``."""

from __future__ import annotations

from collections.abc import Iterable

from ..._ops import cat
from ...tensor import Tensor


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Concatenate the flattened ``parameters`` into one 1-D tensor (differentiable).

    Examples
    --------
    >>> import convlens as cl
    >>> parameters_to_vector([cl.tensor([[1.0, 2.0]]), cl.tensor([3.0])]).tolist()
    [1.0, 2.0, 3.0]
    """
    vec = []
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"parameters must be Tensors; got {type(p).__name__}")
        vec.append(p.reshape(-1))
    return cat(vec)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Slice ``vec`` into the shapes of ``parameters`` and make each one's data that slice.

    As in torch, each parameter's data becomes a view of ``vec`` (no copy).

    Raises
    ------
    TypeError
        If ``vec`` is not a Tensor.
    ValueError
        If ``vec`` is not 1-D or its length differs from the parameters' total size.

    Examples
    --------
    >>> import convlens as cl
    >>> a, b = cl.zeros(2), cl.zeros(1)
    >>> vector_to_parameters(cl.tensor([1.0, 2.0, 3.0]), [a, b])
    >>> a.tolist(), b.tolist()
    ([1.0, 2.0], [3.0])
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected convlens.Tensor, but got: {type(vec).__name__}")
    parameters = list(parameters)
    total = sum(p.numel() for p in parameters)
    if vec.ndim != 1 or vec.shape[0] != total:
        raise ValueError(f"vec must be a 1-D tensor of the parameters' total size {total}; "
                         f"got shape {vec.shape}")
    pointer = 0
    for p in parameters:
        n = p.numel()
        p.data = vec[pointer:pointer + n].reshape(p.shape).detach()
        pointer += n
