"""Matrix products beyond ``@``: ``mm``, ``bmm`` and ``einsum``, forward beside backward."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._opbase import as_tensor, from_op

if TYPE_CHECKING:
    from .tensor import Tensor


def mm(a: Tensor, b: Tensor) -> Tensor:
    """The product of two matrices (no broadcasting), as ``torch.mm``."""
    from ._ops import matmul

    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm expects two 2-D tensors; got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


def bmm(a: Tensor, b: Tensor) -> Tensor:
    """Batched matrix products of (B, n, m) and (B, m, p) tensors, as ``torch.bmm``."""
    from ._ops import matmul

    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise ValueError(f"bmm expects two 3-D tensors with the same batch size; got shapes "
                         f"{a.shape} and {b.shape}")
    return matmul(a, b)


def _explicit(equation: str, shapes: Sequence[tuple[int, ...]]) -> tuple[list[str], str]:
    """Input and output subscripts with ``...`` spelled out and the output made explicit."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum equation {equation!r} names {len(terms)} operands; got "
                         f"{len(shapes)}")
    free = [c for c in string.ascii_letters if c not in equation]
    widest = max((len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes)
                  if "..." in t), default=0)
    ellipsis = "".join(free[:widest])
    terms = [t.replace("...", ellipsis[len(ellipsis) - (len(s) - len(t) + 3):]
                       if len(s) - len(t) + 3 else "") for t, s in zip(terms, shapes)]
    if arrow:
        out = rhs.replace("...", ellipsis)
    else:
        letters = "".join(terms)
        out = ellipsis + "".join(sorted(c for c in set(letters) - set(ellipsis)
                                        if letters.count(c) == 1))
    return terms, out


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation over ``operands``, as ``torch.einsum`` (operands may come as a list)."""
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    tensors = tuple(as_tensor(t) for t in operands)
    terms, out_term = _explicit(equation, [t.shape for t in tensors])
    out = np.einsum(f"{','.join(terms)}->{out_term}", *(t._data for t in tensors))

    def backward(g):
        return tuple(_grad_of(i, g, terms, out_term, tensors) if t.requires_grad else None
                     for i, t in enumerate(tensors))

    return from_op(out, tensors, backward, "Einsum")


def _grad_of(i: int, g: np.ndarray, terms: list[str], out_term: str, tensors) -> np.ndarray:
    """d out / d operand i: contract ``g`` with the other operands onto operand i's letters;
    letters only operand i has are broadcast back, repeated ones written onto the diagonal."""
    term = terms[i]
    unique = "".join(dict.fromkeys(term))
    others = [t for j, t in enumerate(terms) if j != i]
    reachable = "".join(c for c in unique if c in out_term or any(c in t for t in others))
    grad = np.einsum(f"{','.join([out_term, *others])}->{reachable}", g,
                     *(t._data for j, t in enumerate(tensors) if j != i))
    sizes = dict(zip(term, tensors[i].shape))
    grad = np.expand_dims(grad, tuple(k for k, c in enumerate(unique) if c not in reachable))
    grad = np.broadcast_to(grad, tuple(sizes[c] for c in unique))
    full = np.zeros(tensors[i].shape, dtype=g.dtype)
    np.einsum(f"{term}->{unique}", full)[...] = grad  # a writable view (the diagonal)
    return full
