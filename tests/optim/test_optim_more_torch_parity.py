"""Adadelta, RMSprop, Adagrad, Adamax, NAdam and RAdam follow torch.optim over 20 steps."""

import numpy as np
import pytest
from optim_reference import make_problem, max_difference, run_convlens, run_torch

import convlens as cl
from convlens import optim

torch = pytest.importorskip("torch")

ATOL_FLOAT64 = 1e-10
# torch keeps NAdam's mu_product (and its step counts) as float32 scalars unless its default
# dtype is float64; convlens keeps a Python float, so NAdam is compared to 1e-7.
ATOL = {"NAdam": 1e-7}

CASES = [
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1}),
    ("Adadelta", {"lr": 2.0, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.005, "momentum": 0.5, "centered": True, "weight_decay": 0.1,
                 "alpha": 0.9, "eps": 1e-3}),
    ("RMSprop", {"lr": 0.01, "maximize": True, "alpha": 0.3}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1,
                 "initial_accumulator_value": 0.5, "eps": 1e-3}),
    ("Adagrad", {"lr": 0.1, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.05, "betas": (0.3, 0.8), "eps": 0.1, "weight_decay": 0.2}),
    ("Adamax", {"lr": 0.05, "maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.05, "betas": (0.8, 0.9), "momentum_decay": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.05, "maximize": True, "eps": 1e-3}),
    ("RAdam", {}),
    # a small beta2 makes rho_t pass 5 within the 20 steps: both branches are compared
    ("RAdam", {"lr": 0.05, "betas": (0.9, 0.6)}),
    ("RAdam", {"lr": 0.05, "betas": (0.4, 0.7), "weight_decay": 0.1, "eps": 1e-3}),
    ("RAdam", {"lr": 0.05, "betas": (0.9, 0.7), "weight_decay": 0.1,
               "decoupled_weight_decay": True, "maximize": True}),
]


@pytest.mark.parametrize(("name", "kwargs"), CASES,
                         ids=[f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}"
                              for n, kw in CASES])
def test_trajectory_matches_torch_float64(name, kwargs):
    init, grads = make_problem(steps=20)
    ours = run_convlens(name, kwargs, init, grads)
    theirs = run_torch(name, kwargs, init, grads)
    assert max_difference(ours, theirs) <= ATOL.get(name, ATOL_FLOAT64)
    assert max_difference(ours[-1:], [init]) > 1e-3  # the parameters really moved


@pytest.mark.parametrize("name, groups", [
    ("RMSprop", [(slice(0, 2), {"momentum": 0.9}), (slice(2, 3), {"centered": True})]),
    ("Adagrad", [(slice(0, 1), {"lr": 0.5}), (slice(1, 3), {"lr_decay": 0.1})]),
    ("NAdam", [(slice(0, 2), {"lr": 0.01}), (slice(2, 3), {"betas": (0.5, 0.9)})]),
])
def test_parameter_groups_match_torch(name, groups):
    init, grads = make_problem(steps=20, seed=1)
    ours = run_convlens(name, {"lr": 0.05}, init, grads, groups)
    theirs = run_torch(name, {"lr": 0.05}, init, grads, groups)
    assert max_difference(ours, theirs) <= ATOL.get(name, ATOL_FLOAT64)


@pytest.mark.parametrize("name", ["Adadelta", "RMSprop", "Adagrad", "Adamax", "NAdam", "RAdam"])
def test_state_dict_resumes_the_same_trajectory(name):
    kwargs = {"lr": 0.05, "momentum": 0.5, "centered": True} if name == "RMSprop" else {}
    init, grads = make_problem(steps=12, seed=2)
    straight = run_convlens(name, kwargs, init, grads)
    params = [cl.tensor(a.copy(), requires_grad=True) for a in init]
    opt = getattr(optim, name)(params, **kwargs)
    for t, step in enumerate(grads):
        if t == 6:  # rebuild the optimizer from its state_dict half-way through
            saved = opt.state_dict()
            opt = getattr(optim, name)(params, **kwargs)
            opt.load_state_dict(saved)
        for p, g in zip(params, step):
            p.grad = None if g is None else cl.tensor(g.copy())
        opt.step()
    assert max_difference([[p.numpy() for p in params]], straight[-1:]) == 0


@pytest.mark.parametrize("name, kwargs, message", [
    ("Adadelta", {"rho": 1.5}, r"rho must be in \[0, 1\]; got 1.5"),
    ("RMSprop", {"momentum": -0.1}, "momentum must be a finite number"),
    ("Adagrad", {"lr_decay": -1.0}, "lr_decay must be a finite number"),
    ("Adamax", {"betas": (0.9, 1.0)}, r"betas\[1\] must be in \[0, 1\); got 1.0"),
    ("NAdam", {"momentum_decay": -0.5}, "momentum_decay must be a finite number"),
    ("RAdam", {"decoupled_weight_decay": 1}, "decoupled_weight_decay must be a bool"),
])
def test_invalid_hyperparameters_are_refused(name, kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        getattr(optim, name)([cl.tensor(np.zeros(2), requires_grad=True)], **kwargs)
