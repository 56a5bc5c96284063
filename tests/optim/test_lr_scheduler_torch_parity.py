"""StepLR, CosineAnnealingLR and OneCycleLR give torch's learning rates (and momenta)."""

import numpy as np
import pytest

import convlens as cl
from convlens import optim

torch = pytest.importorskip("torch")

LRS = (0.1, 0.03)  # two parameter groups with different learning rates


def _optimizers(name, kwargs):
    ours = getattr(optim, name)(
        [{"params": [cl.tensor(np.zeros(2), requires_grad=True)], "lr": lr} for lr in LRS],
        **kwargs)
    theirs = getattr(torch.optim, name)(
        [{"params": [torch.zeros(2, dtype=torch.float64, requires_grad=True)], "lr": lr}
         for lr in LRS], **kwargs)
    return ours, theirs


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def _sequence(opt, scheduler, steps):
    """(last lr, group lr, momentum) after construction and after each of ``steps`` steps."""
    records = []
    for _ in range(steps + 1):
        records.append((scheduler.get_last_lr(), [g["lr"] for g in opt.param_groups],
                        _momenta(opt)))
        opt.step()
        if len(records) <= steps:
            scheduler.step()
    return records


def _compare(name, opt_kwargs, scheduler, sched_kwargs, steps):
    ours, theirs = _optimizers(name, opt_kwargs)
    ours_sched = getattr(optim.lr_scheduler, scheduler)(ours, **sched_kwargs)
    theirs_sched = getattr(torch.optim.lr_scheduler, scheduler)(theirs, **sched_kwargs)
    got = _sequence(ours, ours_sched, steps)
    want = _sequence(theirs, theirs_sched, steps)
    # Same float operations in the same order: the values are equal, not just close.
    assert got == want
    assert len({lr for lrs, _, _ in got for lr in lrs}) >= 3  # the schedule really moved
    return ours_sched, theirs_sched


@pytest.mark.parametrize("kwargs", [{"step_size": 3, "gamma": 0.5}, {"step_size": 1},
                                    {"step_size": 7, "gamma": 0.9}])
def test_step_lr_matches_torch(kwargs):
    _compare("SGD", {"momentum": 0.9}, "StepLR", kwargs, steps=25)


@pytest.mark.parametrize("kwargs", [{"T_max": 10}, {"T_max": 10, "eta_min": 0.001},
                                    {"T_max": 1, "eta_min": 0.01}, {"T_max": 7}])
def test_cosine_annealing_matches_torch_past_t_max(kwargs):
    # 4.5 half-periods: down, back up, down again, ... where the recursion takes its
    # special step at each valley.
    _compare("SGD", {}, "CosineAnnealingLR", kwargs, steps=max(9 * kwargs["T_max"] // 2, 8))


ONE_CYCLE = [
    ("SGD", {"momentum": 0.9}, {"max_lr": 1.0, "total_steps": 25}),
    ("SGD", {"momentum": 0.9}, {"max_lr": 1.0, "total_steps": 25, "anneal_strategy": "linear"}),
    ("SGD", {"momentum": 0.9}, {"max_lr": [1.0, 0.5], "total_steps": 31, "three_phase": True}),
    ("SGD", {}, {"max_lr": 0.4, "total_steps": 31, "three_phase": True,
                 "anneal_strategy": "linear", "pct_start": 0.25}),
    ("SGD", {}, {"max_lr": 0.4, "epochs": 3, "steps_per_epoch": 7, "cycle_momentum": False,
                 "div_factor": 10.0, "final_div_factor": 100.0}),
    ("Adam", {}, {"max_lr": 0.01, "total_steps": 20, "base_momentum": [0.8, 0.7],
                  "max_momentum": 0.9}),
    ("AdamW", {}, {"max_lr": 0.01, "total_steps": 20, "three_phase": True,
                   "anneal_strategy": "linear", "pct_start": 0.4}),
    ("SGD", {"momentum": 0.9}, {"max_lr": 1.0, "total_steps": 10, "pct_start": 1.0}),
]


@pytest.mark.parametrize(("name", "opt_kwargs", "kwargs"), ONE_CYCLE)
def test_one_cycle_matches_torch(name, opt_kwargs, kwargs):
    total = kwargs.get("total_steps") or kwargs["epochs"] * kwargs["steps_per_epoch"]
    # total - 1 steps: torch itself divides by zero at the very last step when pct_start=1.
    steps = total - 1 if kwargs.get("pct_start") == 1.0 else total
    ours, theirs = _compare(name, opt_kwargs, "OneCycleLR", kwargs, steps=steps)
    if steps == total:  # one step beyond the cycle is refused by both
        with pytest.raises(ValueError, match=f"built for total_steps={total}"):
            ours.step()
        with pytest.raises(ValueError):
            theirs.step()


def test_one_cycle_group_bounds_match_torch():
    ours, theirs = _optimizers("SGD", {"momentum": 0.9})
    optim.lr_scheduler.OneCycleLR(ours, max_lr=[1.0, 0.5], total_steps=10)
    torch.optim.lr_scheduler.OneCycleLR(theirs, max_lr=[1.0, 0.5], total_steps=10)
    keys = ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum", "momentum", "lr")
    for group, torch_group in zip(ours.param_groups, theirs.param_groups):
        assert {k: group[k] for k in keys} == {k: torch_group[k] for k in keys}
