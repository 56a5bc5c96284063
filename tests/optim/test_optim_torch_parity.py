"""SGD, Adam and AdamW follow torch.optim's parameter trajectory step by step."""

import numpy as np
import pytest
from optim_reference import make_problem, max_difference, run_convlens, run_torch

torch = pytest.importorskip("torch")

# The issue asks for 1e-6; we hold float64 to 1e-12 because a misplaced eps (inside vs outside
# the square root) or a missing bias correction can shift a trajectory by less than 1e-6.
ATOL_FLOAT64 = 1e-12

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.2, "dampening": 0.5}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "maximize": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1,
             "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.02, "maximize": True}),
    # beta1 < 0.5 takes torch.lerp's other rounding branch; a large eps shows where it sits
    ("Adam", {"lr": 0.05, "betas": (0.3, 0.8), "eps": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.0}),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.1, "maximize": True, "eps": 0.01}),
]


@pytest.mark.parametrize(("name", "kwargs"), CASES,
                         ids=[f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}"
                              for n, kw in CASES])
def test_trajectory_matches_torch_float64(name, kwargs):
    init, grads = make_problem(steps=20)
    ours = run_convlens(name, kwargs, init, grads)
    theirs = run_torch(name, kwargs, init, grads)
    assert max_difference(ours, theirs) <= ATOL_FLOAT64
    # the parameters really moved, so the comparison is not vacuous
    assert max_difference(ours[-1:], [init]) > 0.05


GROUP_CASES = [
    ("SGD", {"lr": 0.1, "momentum": 0.9},
     [(slice(0, 2), {}), (slice(2, 3), {"lr": 0.02, "momentum": 0.5, "dampening": 0.1})]),
    ("SGD", {"lr": 0.1},
     [(slice(0, 1), {"nesterov": True, "momentum": 0.7}), (slice(1, 3), {"lr": 0.3})]),
    ("Adam", {"lr": 0.01},
     [(slice(0, 1), {"lr": 0.05, "betas": (0.8, 0.99)}), (slice(1, 3), {"amsgrad": True})]),
    ("AdamW", {"lr": 0.01},
     [(slice(0, 2), {"weight_decay": 0.5}), (slice(2, 3), {"lr": 0.001})]),
]


@pytest.mark.parametrize(("name", "kwargs", "groups"), GROUP_CASES)
def test_param_groups_with_different_hyperparameters_match_torch(name, kwargs, groups):
    init, grads = make_problem(steps=20, seed=1)
    ours = run_convlens(name, kwargs, init, grads, groups)
    theirs = run_torch(name, kwargs, init, grads, groups)
    assert max_difference(ours, theirs) <= ATOL_FLOAT64


@pytest.mark.parametrize(("name", "kwargs"), [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.01}),
    ("AdamW", {"lr": 0.01}),
])
def test_trajectory_matches_torch_float32(name, kwargs):
    init, grads = make_problem(steps=20, dtype=np.float32, seed=2)
    ours = run_convlens(name, kwargs, init, grads)
    theirs = run_torch(name, kwargs, init, grads)
    assert all(p.dtype == np.float32 for p in ours[-1])
    for step_ours, step_theirs in zip(ours, theirs):
        for a, b in zip(step_ours, step_theirs):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
