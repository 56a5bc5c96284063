"""Run a convlens optimizer and its torch twin on the same parameters and gradients."""

from __future__ import annotations

import numpy as np

import convlens as cl
from convlens import optim

SHAPES = [(3, 4), (5,), (2, 1, 3)]


def make_problem(steps: int, dtype=np.float64, seed: int = 0):
    """Initial parameters and a sequence of per-step gradients (None = no gradient)."""
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = []
    for t in range(steps):
        step = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
        if t % 3 == 2:  # now and then the last parameter gets no gradient: it must be skipped
            step[-1] = None
        grads.append(step)
    return init, grads


def split_groups(params, groups):
    """Turn a flat parameter list into ``params`` for an optimizer.

    ``groups`` is None (one flat list) or a list of (slice, overrides) pairs.
    """
    if groups is None:
        return list(params)
    return [{"params": list(params[sl]), **overrides} for sl, overrides in groups]


def run_convlens(name, kwargs, init, grads, groups=None):
    params = [cl.tensor(a.copy(), requires_grad=True) for a in init]
    opt = getattr(optim, name)(split_groups(params, groups), **kwargs)
    history = []
    for step in grads:
        for p, g in zip(params, step):
            p.grad = None if g is None else cl.tensor(g.copy())
        opt.step()
        history.append([p.numpy().copy() for p in params])
    return history


def run_torch(name, kwargs, init, grads, groups=None):
    import torch

    params = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    opt = getattr(torch.optim, name)(split_groups(params, groups), **kwargs)
    history = []
    for step in grads:
        for p, g in zip(params, step):
            p.grad = None if g is None else torch.tensor(g.copy())
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


def max_difference(history_a, history_b) -> float:
    return max(float(np.max(np.abs(a - b)))
               for step_a, step_b in zip(history_a, history_b)
               for a, b in zip(step_a, step_b))
