"""The schedulers added for issue 11 give torch's learning-rate sequences, and resume."""

import json
import math

import numpy as np
import pytest

import convlens as cl
from convlens import optim
from convlens.optim import lr_scheduler

torch = pytest.importorskip("torch")

LRS = (0.1, 0.03)


def _pair(opt_kwargs=None):
    opt_kwargs = opt_kwargs or {"momentum": 0.9}
    ours = optim.SGD([{"params": [cl.tensor(np.zeros(2), requires_grad=True)], "lr": lr}
                      for lr in LRS], **opt_kwargs)
    theirs = torch.optim.SGD([{"params": [torch.zeros(2, dtype=torch.float64,
                                                      requires_grad=True)], "lr": lr}
                              for lr in LRS], **opt_kwargs)
    return ours, theirs


def _record(opt, scheduler, steps, metrics=None):
    records = []
    for t in range(steps + 1):
        records.append((scheduler.get_last_lr(), [g["lr"] for g in opt.param_groups]))
        opt.step()
        if t < steps:
            scheduler.step() if metrics is None else scheduler.step(metrics[t])
    return records


def _close(got, want):
    for (last_a, lr_a), (last_b, lr_b) in zip(got, want, strict=True):
        np.testing.assert_allclose(last_a + lr_a, [float(v) for v in last_b + lr_b],
                                   rtol=1e-13, atol=0)


CASES = [
    ("MultiStepLR", {"milestones": [3, 7, 7, 12], "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [0, 5]}),
    ("ExponentialLR", {"gamma": 0.8}),
    ("LambdaLR", {"lr_lambda": lambda epoch: 1.0 / (1 + epoch) ** 0.5}),
    ("LambdaLR", {"lr_lambda": [lambda e: 0.9**e, lambda e: min(1.0, (e + 1) / 4)]}),
    ("MultiplicativeLR", {"lr_lambda": lambda epoch: 0.95 if epoch % 2 else 0.8}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.5, "total_iters": 7}),
    ("ConstantLR", {}),
    ("ConstantLR", {"factor": 0.25, "total_iters": 3}),
    ("PolynomialLR", {}),
    ("PolynomialLR", {"total_iters": 9, "power": 2.5}),
    ("CosineAnnealingWarmRestarts", {"T_0": 3}),
    ("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 2, "eta_min": 0.001}),
    ("CosineAnnealingWarmRestarts", {"T_0": 1, "T_mult": 3}),
]


@pytest.mark.parametrize(("name", "kwargs"), CASES,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_sequence_matches_torch(name, kwargs):
    ours, theirs = _pair()
    got = _record(ours, getattr(lr_scheduler, name)(ours, **kwargs), 25)
    want = _record(theirs, getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs), 25)
    _close(got, want)
    assert len({lr for lrs, _ in got for lr in lrs}) >= 3  # the schedule really moved


def _sequential(lib, opt):
    sched = lib.optim.lr_scheduler
    warmup = sched.LinearLR(opt, start_factor=0.1, total_iters=4)
    middle = sched.ConstantLR(opt, factor=0.5, total_iters=3)
    decay = sched.CosineAnnealingLR(opt, T_max=8, eta_min=0.001)
    return sched.SequentialLR(opt, [warmup, middle, decay], milestones=[5, 9])


def test_sequential_lr_matches_torch():
    ours, theirs = _pair()
    _close(_record(ours, _sequential(cl, ours), 25),
           _record(theirs, _sequential(torch, theirs), 25))


def test_sequential_lr_with_exponential_and_step_matches_torch():
    ours, theirs = _pair()
    mine = lr_scheduler.SequentialLR(ours, [lr_scheduler.ExponentialLR(ours, 0.9),
                                            lr_scheduler.StepLR(ours, 3, 0.5)], [6])
    ref = torch.optim.lr_scheduler.SequentialLR(
        theirs, [torch.optim.lr_scheduler.ExponentialLR(theirs, 0.9),
                 torch.optim.lr_scheduler.StepLR(theirs, 3, 0.5)], [6])
    _close(_record(ours, mine, 20), _record(theirs, ref, 20))


PLATEAU_METRICS = [1.0, 0.9, 0.95, 0.91, 0.9, 0.9, 0.92, 0.85, 0.86, 0.86, 0.86, 0.86, 0.7,
                   0.7, 0.71, 0.72, 0.73, 0.74, 0.75, 0.76]


@pytest.mark.parametrize("kwargs", [
    {"patience": 2},
    {"patience": 1, "factor": 0.5, "cooldown": 2, "min_lr": [0.02, 0.0]},
    {"mode": "max", "patience": 1, "threshold": 0.05, "threshold_mode": "abs"},
    {"patience": 0, "factor": 0.3, "min_lr": 0.01, "threshold": 0.1},
])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    ours, theirs = _pair()
    n = len(PLATEAU_METRICS)
    got = _record(ours, lr_scheduler.ReduceLROnPlateau(ours, **kwargs), n, PLATEAU_METRICS)
    want = _record(theirs, torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **kwargs), n,
                   PLATEAU_METRICS)
    _close(got, want)
    assert len({lr for lrs, _ in got for lr in lrs}) >= 3


def _build(name, opt):
    if name == "SequentialLR":
        return _sequential(cl, opt)
    if name == "ReduceLROnPlateau":
        return lr_scheduler.ReduceLROnPlateau(opt, patience=1)
    return getattr(lr_scheduler, name)(opt, **dict(CASES)[name])


@pytest.mark.parametrize("name", ["MultiStepLR", "ExponentialLR", "LinearLR", "PolynomialLR",
                                  "CosineAnnealingWarmRestarts", "SequentialLR",
                                  "ReduceLROnPlateau", "LambdaLR"])
def test_state_dict_resumes_through_json(name):
    def run(opt, scheduler, start, stop):
        for t in range(start, stop):
            opt.step()
            if name == "ReduceLROnPlateau":
                scheduler.step(PLATEAU_METRICS[t])
            else:
                scheduler.step()
        return scheduler.get_last_lr()

    straight_opt, _ = _pair()
    straight = run(straight_opt, _build(name, straight_opt), 0, 16)
    opt, _ = _pair()
    scheduler = _build(name, opt)
    run(opt, scheduler, 0, 7)
    saved = json.loads(json.dumps({"opt": opt.state_dict(), "sched": scheduler.state_dict()},
                                  default=float))
    opt2, _ = _pair()  # torch's resume order: build both, then load both
    scheduler2 = _build(name, opt2)
    opt2.load_state_dict(saved["opt"])
    scheduler2.load_state_dict(saved["sched"])
    assert run(opt2, scheduler2, 7, 16) == straight


def test_resuming_with_last_epoch_matches_torch():
    ours, theirs = _pair()
    for group, tgroup in zip(ours.param_groups, theirs.param_groups):
        group["initial_lr"] = tgroup["initial_lr"] = group["lr"]
    mine = lr_scheduler.CosineAnnealingLR(ours, T_max=10, last_epoch=4)
    ref = torch.optim.lr_scheduler.CosineAnnealingLR(theirs, T_max=10, last_epoch=4)
    _close(_record(ours, mine, 8), _record(theirs, ref, 8))
    fresh, _ = _pair()
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups"):
        lr_scheduler.ExponentialLR(fresh, 0.5, last_epoch=3)


def test_warm_restarts_with_fractional_epochs_matches_torch():
    ours, theirs = _pair()
    mine = lr_scheduler.CosineAnnealingWarmRestarts(ours, T_0=2, T_mult=2)
    ref = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(theirs, T_0=2, T_mult=2)
    for epoch in [0.5, 1.25, 2.0, 3.5, 6.1, 13.9]:
        mine.step(epoch)
        ref.step(epoch)
        np.testing.assert_allclose(mine.get_last_lr(), ref.get_last_lr(), rtol=1e-13)
    assert not math.isclose(mine.get_last_lr()[0], LRS[0])


@pytest.mark.parametrize("build, error, message", [
    (lambda o: lr_scheduler.LinearLR(o, start_factor=0), ValueError,
     r"start_factor must be in \(0, 1\]; got 0.0"),
    (lambda o: lr_scheduler.ConstantLR(o, factor=1.5), ValueError,
     r"factor must be in \[0, 1\]; got 1.5"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), ValueError,
     "Expected positive integer T_0, but got 0"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError,
     "Expected integer T_mult >= 1, but got 0"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError,
     "Factor should be < 1.0"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="up"), ValueError, "mode must be one of"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError,
     "expected 2 min_lrs, got 1"),
    (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0]), ValueError,
     "Expected 2 lr_lambdas, but got 1"),
    (lambda o: lr_scheduler.MultiplicativeLR(o, 0.5), TypeError,
     "lr_lambda should be a function, but got float"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ExponentialLR(o, 0.9)], [3]),
     ValueError, "expects number of schedulers provided to be one more"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ReduceLROnPlateau(o)], []),
     ValueError, "does not support `ReduceLROnPlateau`"),
])
def test_invalid_arguments_are_refused(build, error, message):
    ours, _ = _pair()
    with pytest.raises(error, match=message):
        build(ours)
