"""The autograd engine: graph nodes, the backward pass, and grad-mode switches.

The graph is coarse, like PyTorch's autograd Functions: one node per conv, pool, linear or
elementwise op. Each op is written as a forward that computes an ndarray and a ``backward``
closure, defined right beside it, that maps ``grad_output`` to one gradient per input.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor

_grad_enabled = True


def is_grad_enabled() -> bool:
    """Return True when operations record a graph for backward."""
    return _grad_enabled


class _GradMode(contextlib.ContextDecorator):
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __enter__(self) -> None:
        global _grad_enabled
        self.previous = _grad_enabled
        _grad_enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self.previous


def no_grad() -> _GradMode:
    """Context manager (or decorator) that stops graph recording, as ``torch.no_grad``.

    Examples
    --------
    >>> import convlens as cl
    >>> w = cl.tensor([1.0, 2.0], requires_grad=True)
    >>> with cl.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """Context manager (or decorator) that turns graph recording back on."""
    return _GradMode(True)


Backward = Callable[[np.ndarray], tuple[Any, ...]]


class Node:
    """One recorded op: its inputs and the closure that maps grad_output to their gradients."""

    __slots__ = ("inputs", "backward", "name")

    def __init__(self, inputs: tuple[Tensor, ...], backward: Backward, name: str) -> None:
        self.inputs = inputs
        self.backward = backward
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}Backward>"


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched to reach its shape."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def _topological_order(root: Tensor) -> list[Tensor]:
    """Tensors reachable from ``root`` through recorded nodes, each after all its consumers."""
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        if tensor._node is not None:
            for parent in tensor._node.inputs:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    order.reverse()
    return order


def run_backward(root: Tensor, grad: np.ndarray) -> None:
    """Propagate ``grad`` (d loss / d root) back through the graph into leaf ``.grad`` fields."""
    from .tensor import Tensor

    grads: dict[int, np.ndarray] = {id(root): grad}
    for tensor in _topological_order(root):
        g = grads.pop(id(tensor), None)
        if g is None:
            continue
        for hook in tensor._hooks:
            replaced = hook(Tensor(g))
            if replaced is not None:
                g = replaced.data if isinstance(replaced, Tensor) else np.asarray(replaced)
        node = tensor._node
        if node is None or tensor._retains_grad:
            g = g.astype(tensor.dtype, copy=False)
            tensor.grad = Tensor(g.copy()) if tensor.grad is None else Tensor(tensor.grad.data + g)
        if node is None:
            continue
        with no_grad():
            input_grads = node.backward(g)
        for parent, parent_grad in zip(node.inputs, input_grads):
            if parent_grad is None or not parent.requires_grad:
                continue
            key = id(parent)
            if key in grads:
                grads[key] = grads[key] + parent_grad
            else:
                grads[key] = parent_grad


def iter_graph(root: Tensor) -> Iterator[Node]:
    """Yield each recorded node reachable from ``root`` once (for inspection and tests)."""
    for tensor in _topological_order(root):
        if tensor._node is not None:
            yield tensor._node
