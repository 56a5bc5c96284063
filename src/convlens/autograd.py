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

from ._opbase import tensor_cls

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


class set_grad_enabled(contextlib.ContextDecorator):  # noqa: N801 - torch's spelling
    """Turn graph recording on or off, as ``torch.set_grad_enabled``.

    Called on its own it switches at once (``cl.set_grad_enabled(False)``); used as a context
    manager or decorator it restores the previous mode afterwards.

    Examples
    --------
    >>> import convlens as cl
    >>> with cl.set_grad_enabled(False):
    ...     cl.is_grad_enabled()
    False
    >>> cl.is_grad_enabled()
    True
    """

    def __init__(self, mode: bool) -> None:
        global _grad_enabled
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(mode) needs a bool; got {mode!r}")
        self.previous, self.mode = _grad_enabled, mode
        _grad_enabled = mode

    def __enter__(self) -> None:
        global _grad_enabled
        _grad_enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self.previous


def inference_mode(mode: Any = True):
    """``no_grad`` under torch's other name (convlens has no separate inference tensors).

    Use as ``with cl.inference_mode():``, ``@cl.inference_mode()`` or ``@cl.inference_mode``.
    """
    if callable(mode):
        return _GradMode(False)(mode)
    return _GradMode(False) if mode else _GradMode(_grad_enabled)


Backward = Callable[[np.ndarray], tuple[Any, ...]]


class Node:
    """One recorded op: its inputs and the closure that maps grad_output to their gradients.

    ``versions`` remembers each input's in-place write counter at forward time: a backward
    closure reads its inputs' data, so a later in-place write would give a silently wrong
    gradient; :func:`run_backward` refuses instead (PyTorch does the same).
    """

    __slots__ = ("inputs", "backward", "name", "versions", "out_version")

    def __init__(self, inputs: tuple[Tensor, ...], backward: Backward, name: str) -> None:
        self.inputs = inputs
        self.backward = backward
        self.name = name
        self.versions = tuple([t._counter[0] for t in inputs])  # each input's _version
        self.out_version = 0  # an in-place op on a graph tensor records its new version here

    def __repr__(self) -> str:
        return f"<{self.name}Backward>"

    def check_versions(self, output: Tensor) -> None:
        """Raise ``RuntimeError`` if an input or ``output`` was written in place after forward.

        Such a write is not recorded in the graph, and backward closures may read the data
        it changed (``exp`` reuses its output, ``mul`` its inputs), so the gradient would be
        wrong. An op's output starts at version 0 (or where an in-place op left it).
        """
        if output._counter[0] != self.out_version:
            raise RuntimeError(
                f"the output of {self.name} (shape {tuple(output.shape)}) was changed in place "
                f"after it was computed, which autograd cannot follow; use an out-of-place op"
            )
        for tensor, version in zip(self.inputs, self.versions):
            if tensor._counter[0] != version:
                position = next(i for i, t in enumerate(self.inputs) if t is tensor)
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


_FREED = ("Trying to backward through the graph a second time (or directly access saved "
          "tensors after they have already been freed). Saved intermediate values of the graph "
          "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
          "you need to backward through the graph a second time or if you need to access saved "
          "tensors after calling backward.")

# Ops whose backward reads no saved values, so (as in torch) a second backward through them
# works without retain_graph=True.
_SAVES_NOTHING = frozenset({"Add", "Sub", "Neg", "Reshape", "Permute", "Sum", "Mean", "Cat",
                            "Stack", "Expand", "Repeat", "Split", "ToCopy"})


def _freed(grad_output: np.ndarray) -> tuple[Any, ...]:
    raise RuntimeError(_FREED)


def _topological_order(roots: list[Tensor]) -> list[Tensor]:
    """Tensors reachable from ``roots`` through recorded nodes, each after all its consumers."""
    order: list[Tensor] = []
    visited: set[int] = set()
    # A depth-first search with an explicit stack; an entry ``(tensor, True)`` comes back
    # once all of the tensor's inputs are done. Locals are bound once: this runs per backward.
    stack: list[tuple[Tensor, bool]] = [(root, False) for root in reversed(roots)]
    pop, push, mark, emit = stack.pop, stack.append, visited.add, order.append
    while stack:
        tensor, expanded = pop()
        if expanded:
            emit(tensor)
            continue
        key = id(tensor)
        if key in visited:
            continue
        mark(key)
        push((tensor, True))
        node = tensor._node
        if node is not None:
            for parent in node.inputs:
                if parent.requires_grad and id(parent) not in visited:
                    push((parent, False))
    order.reverse()
    return order


def run_backward(roots: Tensor | list[Tensor], grads: np.ndarray | list[np.ndarray], *,
                 retain_graph: bool = False, inputs: list[Tensor] | None = None,
                 accumulate: bool = True) -> dict[int, np.ndarray]:
    """Propagate ``grads`` (d loss / d root) back through the graph.

    With ``accumulate``, leaf gradients (or only those of ``inputs``, when given) are added to
    their ``.grad``; otherwise nothing is written and the gradients of ``inputs`` are returned
    by ``id``. Without ``retain_graph``, the nodes passed are freed: a second backward through
    one that saved values raises torch's error.
    """
    global _grad_enabled
    roots = roots if isinstance(roots, list) else [roots]
    grads = grads if isinstance(grads, list) else [grads]
    pending: dict[int, np.ndarray] = {}
    for root, grad in zip(roots, grads):
        _add(pending, id(root), grad)
    wanted = None if inputs is None else {id(t) for t in inputs}
    captured: dict[int, np.ndarray] = {}
    for tensor in _topological_order(roots):
        key = id(tensor)
        g = pending.pop(key, None)
        if g is None:
            continue
        if tensor._hooks:
            g = _run_hooks(tensor, g)
        node = tensor._node
        if wanted is not None:
            if key in wanted:
                captured[key] = g.astype(tensor.dtype, copy=False)
                if accumulate:
                    _accumulate_grad(tensor, g)
        elif accumulate and (node is None or tensor._retains_grad):
            _accumulate_grad(tensor, g)
        if node is None:
            continue
        node.check_versions(tensor)
        previous, _grad_enabled = _grad_enabled, False  # no_grad(), without its object
        try:
            input_grads = node.backward(g)
        finally:
            _grad_enabled = previous
        if not retain_graph and node.name not in _SAVES_NOTHING:
            node.backward = _freed
        for parent, parent_grad in zip(node.inputs, input_grads):
            if parent_grad is not None and parent.requires_grad:
                _add(pending, id(parent), parent_grad)
    return captured


def _add(pending: dict[int, np.ndarray], key: int, grad: np.ndarray) -> None:
    pending[key] = pending[key] + grad if key in pending else grad


def _run_hooks(tensor: Tensor, g: np.ndarray) -> np.ndarray:
    """Pass ``g`` through the tensor's hooks, each of which may replace it."""
    Tensor = tensor_cls()
    for hook in tensor._hooks:
        replaced = hook(Tensor(g))
        if replaced is not None:
            g = replaced._data if isinstance(replaced, Tensor) else np.asarray(replaced)
    return g


def _accumulate_grad(tensor: Tensor, g: np.ndarray) -> None:
    """Add ``g`` into ``tensor.grad`` (a fresh copy when there is none yet)."""
    g = g.astype(tensor.dtype, copy=False)
    if tensor.grad is None:
        tensor.grad = tensor_cls()._wrap(np.asarray(g.copy()))  # Tensor(g.copy()), one copy
    else:
        tensor.grad = tensor_cls()(tensor.grad._data + g)


def iter_graph(root: Tensor) -> Iterator[Node]:
    """Yield each recorded node reachable from ``root`` once (for inspection and tests)."""
    for tensor in _topological_order([root]):
        if tensor._node is not None:
            yield tensor._node


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple[Any, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, as ``torch.autograd.grad``.

    Nothing is written to any ``.grad``. ``retain_graph`` defaults to ``create_graph``.

    Parameters
    ----------
    outputs : Tensor or sequence of Tensor
    inputs : Tensor or sequence of Tensor
        Tensors that require grad (leaves or intermediate results).
    grad_outputs : Tensor or sequence of (Tensor or None), optional
        d loss / d output; may be left out for one-element outputs.
    retain_graph : bool, optional
        Keep the graph for another backward.
    create_graph : bool, default False
        Must be False: convlens's backward rules run on ndarrays, so there are no
        higher-order gradients.
    allow_unused : bool, optional
        Return None for inputs the outputs do not depend on, instead of raising.
    materialize_grads : bool, default False
        Return zeros instead of None for unused inputs.

    Returns
    -------
    tuple of Tensor (or None)

    Raises
    ------
    NotImplementedError
        If ``create_graph=True`` or ``is_grads_batched=True``.
    RuntimeError
        As torch: an output does not require grad, or an input is unused.

    Examples
    --------
    >>> import convlens as cl
    >>> x = cl.tensor([1.0, 2.0], requires_grad=True)
    >>> cl.autograd.grad((x * x).sum(), x)[0].tolist()
    [2.0, 4.0]
    """
    from .tensor import Tensor

    if create_graph or is_grads_batched:
        raise NotImplementedError(
            "convlens computes first-order gradients only: create_graph=True and "
            "is_grads_batched=True are not supported (backward rules run on ndarrays)")
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    seeds = [_seed(out, g, i) for i, (out, g) in enumerate(zip(outputs, grad_outputs))]
    for i, tensor in enumerate(inputs):
        if not tensor.requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not "
                               f"require grad")
    captured = run_backward(outputs, seeds, retain_graph=bool(retain_graph), inputs=inputs,
                            accumulate=False)
    results = []
    for tensor in inputs:
        found = captured.get(id(tensor))
        if found is None and materialize_grads:
            found = np.zeros(tensor.shape, tensor.dtype)
        if found is None and not allow_unused:
            raise RuntimeError("One of the differentiated Tensors appears to not have been "
                               "used in the graph. Set allow_unused=True if this is the "
                               "desired behavior.")
        results.append(None if found is None else Tensor(np.array(found)))
    return tuple(results)


def _seed(output: Tensor, grad_output: Any, position: int) -> np.ndarray:
    """The starting gradient for one output, checked as ``Tensor.backward`` checks it."""
    if not output.requires_grad:
        raise RuntimeError(f"element {position} of tensors does not require grad and does not "
                           f"have a grad_fn")
    if grad_output is None:
        if output._data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs; got "
                               f"an output of shape {tuple(output.shape)}")
        return np.ones_like(output._data)
    grad = np.asarray(getattr(grad_output, "_data", grad_output), dtype=output.dtype)
    if grad.shape != output.shape:
        raise ValueError(f"grad_outputs[{position}] must have the output's shape "
                         f"{tuple(output.shape)}; got {grad.shape}")
    return grad
