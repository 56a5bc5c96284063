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


def no_grad(func=None):
    """Context manager (or decorator) that stops graph recording, as ``torch.no_grad``.

    Use it as ``with cl.no_grad():``, ``@cl.no_grad()`` or ``@cl.no_grad``.

    Examples
    --------
    >>> import convlens as cl
    >>> w = cl.tensor([1.0, 2.0], requires_grad=True)
    >>> with cl.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    if callable(func):
        return _GradMode(False)(func)
    if func is not None:
        raise TypeError(f"no_grad takes no arguments (or decorates a function); got {func!r}")
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """Context manager (or decorator) that turns graph recording back on."""
    return _GradMode(True)


Backward = Callable[[np.ndarray], tuple[Any, ...]]


class Node:
    """One recorded op: its inputs and the closure that maps grad_output to their gradients.

    ``versions`` remembers each input's in-place write counter at forward time: a backward
    closure reads its inputs' data, so a later in-place write would give a silently wrong
    gradient; :func:`run_backward` refuses instead (PyTorch does the same).
    """

    __slots__ = ("inputs", "backward", "name", "versions")

    def __init__(self, inputs: tuple[Tensor, ...], backward: Backward, name: str) -> None:
        self.inputs = inputs
        self.backward = backward
        self.name = name
        self.versions = tuple(t._version for t in inputs)

    def __repr__(self) -> str:
        return f"<{self.name}Backward>"

    def check_versions(self, output: Tensor) -> None:
        """Raise ``RuntimeError`` if an input or ``output`` was written in place after forward.

        Such a write is not recorded in the graph, and backward closures may read the data
        it changed (``exp`` reuses its output, ``mul`` its inputs), so the gradient would be
        wrong. An op's output starts at version 0.
        """
        if output._version != 0:
            raise RuntimeError(
                f"the output of {self.name} (shape {tuple(output.shape)}) was changed in place "
                f"after it was computed, which autograd cannot follow; use an out-of-place op"
            )
        for position, (tensor, version) in enumerate(zip(self.inputs, self.versions)):
            if tensor._version != version:
                raise RuntimeError(
                    f"a tensor needed to compute the gradient of {self.name} (input {position}, "
                    f"shape {tuple(tensor.shape)}) was changed in place after the forward pass: "
                    f"it is at version {tensor._version}, expected version {version}; make "
                    f"in-place changes after backward(), or use an out-of-place op"
                )


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
    grads: dict[int, np.ndarray] = {id(root): grad}
    with no_grad():     # once for the whole pass, not once per node (as torch: no graph)
        _propagate(root, grads)


def _propagate(root: Tensor, grads: dict[int, np.ndarray]) -> None:
    from .tensor import Tensor

    for tensor in _topological_order(root):
        g = grads.pop(id(tensor), None)
        if g is None:
            continue
        for hook in tensor._hooks:
            replaced = hook(Tensor(g))
            if replaced is not None:
                g = replaced._data if isinstance(replaced, Tensor) else np.asarray(replaced)
        node = tensor._node
        if node is None or tensor._retains_grad:
            g = g.astype(tensor.dtype, copy=False)
            tensor.grad = Tensor(g.copy()) if tensor.grad is None else Tensor(tensor.grad._data + g)
        if node is None:
            continue
        node.check_versions(tensor)
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
