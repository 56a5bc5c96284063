"""Optimizer and scheduler state_dict: exact resume, no-pickle storage, clear load errors."""

import io
import json

import numpy as np
import pytest
from optim_reference import make_problem

import convlens as cl
from convlens import optim
from convlens.optim import lr_scheduler

SETUPS = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
     "StepLR", {"step_size": 4, "gamma": 0.5}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.2},
     "OneCycleLR", {"max_lr": 0.5, "total_steps": 20, "three_phase": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1},
     "CosineAnnealingLR", {"T_max": 7, "eta_min": 0.001}),
    ("Adam", {"lr": 0.01}, "OneCycleLR", {"max_lr": 0.05, "total_steps": 20}),
    ("AdamW", {"lr": 0.01, "amsgrad": True}, "StepLR", {"step_size": 3}),
]


def _build(name, kwargs, sched_name, sched_kwargs, values):
    params = [cl.tensor(v.copy(), requires_grad=True) for v in values]
    groups = [{"params": params[:2]}, {"params": params[2:], "lr": kwargs["lr"] / 3}]
    opt = getattr(optim, name)(groups, **kwargs)
    return params, opt, getattr(lr_scheduler, sched_name)(opt, **sched_kwargs)


def _train(params, opt, scheduler, grads):
    for step in grads:
        for p, g in zip(params, step):
            p.grad = None if g is None else cl.tensor(g.copy())
        opt.step()
        scheduler.step()


def _through_arrays_and_json(state):
    """Store ``state`` the way a no-pickle checkpoint does: an .npz of arrays plus JSON."""
    arrays = {}

    def split(tree, path):
        if isinstance(tree, np.ndarray):
            arrays[path] = tree
            return {"__array__": path}
        if isinstance(tree, dict):
            return {str(k): split(v, f"{path}/{k}") for k, v in tree.items()}
        if isinstance(tree, list | tuple):
            return [split(v, f"{path}/{i}") for i, v in enumerate(tree)]
        return tree

    text = json.dumps(split(state, "s"))  # raises if anything is not JSON or an ndarray
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as loaded:
        stored = {k: loaded[k] for k in loaded.files}

    def join(tree):
        if isinstance(tree, dict):
            return stored[tree["__array__"]] if "__array__" in tree else {
                k: join(v) for k, v in tree.items()}
        return [join(v) for v in tree] if isinstance(tree, list) else tree

    return join(json.loads(text))


@pytest.mark.parametrize("through_json", [False, True], ids=["in-memory", "npz+json"])
@pytest.mark.parametrize(("name", "kwargs", "sched_name", "sched_kwargs"), SETUPS)
def test_resume_after_10_steps_equals_20_uninterrupted(name, kwargs, sched_name,
                                                       sched_kwargs, through_json):
    init, grads = make_problem(steps=20, seed=3)
    straight, opt, scheduler = _build(name, kwargs, sched_name, sched_kwargs, init)
    _train(straight, opt, scheduler, grads)
    want_lr = scheduler.get_last_lr()

    params, opt, scheduler = _build(name, kwargs, sched_name, sched_kwargs, init)
    _train(params, opt, scheduler, grads[:10])
    saved = {"weights": [p.numpy().copy() for p in params],
             "optimizer": opt.state_dict(), "scheduler": scheduler.state_dict()}
    _train(params, opt, scheduler, grads[10:12])  # the snapshot must not follow the live state
    if through_json:
        saved = _through_arrays_and_json(saved)

    # A fresh run, deliberately built with another lr: loading must restore everything.
    resumed, opt, scheduler = _build(name, {**kwargs, "lr": 0.5}, sched_name, sched_kwargs,
                                     saved["weights"])
    opt.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    _train(resumed, opt, scheduler, grads[10:])

    for p, q in zip(straight, resumed):
        assert np.array_equal(p.numpy(), q.numpy())
    assert scheduler.get_last_lr() == want_lr


def test_state_dict_structure_is_torchs():
    a, b, c = (cl.tensor(np.ones(s), requires_grad=True) for s in [(2,), (3,), (4,)])
    opt = optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5}], amsgrad=True)
    for p in (a, c):  # b gets no gradient, so it has no state yet
        p.grad = cl.tensor(np.ones(p.shape))
    opt.step()
    state = opt.state_dict()
    assert [g["params"] for g in state["param_groups"]] == [[0, 1], [2]]
    assert [g["lr"] for g in state["param_groups"]] == [1e-3, 0.5]
    assert state["param_groups"][0]["betas"] == (0.9, 0.999)
    assert list(state["state"]) == [0, 2]
    entry = state["state"][2]
    assert sorted(entry) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]
    assert entry["step"] == 1 and isinstance(entry["step"], int)
    assert entry["exp_avg"].shape == (4,) and entry["exp_avg"].dtype == np.float64
    np.testing.assert_allclose(entry["exp_avg"], 0.1)  # (1 - beta1) * grad


def test_sgd_without_momentum_keeps_no_state():
    w = cl.tensor(np.ones(3), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    w.grad = cl.tensor(np.ones(3))
    opt.step()
    assert opt.state_dict()["state"] == {}


def test_loading_casts_state_to_the_parameter_dtype():
    w = cl.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    opt.load_state_dict({"state": {"0": {"momentum_buffer": np.arange(3.0)}},
                         "param_groups": [{"params": ["0"], "lr": 0.2, "momentum": 0.5}]})
    buf = opt.state[w]["momentum_buffer"]
    assert buf.dtype == np.float32 and buf.tolist() == [0.0, 1.0, 2.0]
    assert opt.param_groups[0]["lr"] == 0.2 and opt.param_groups[0]["momentum"] == 0.5
    assert opt.param_groups[0]["params"][0] is w


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_torch_state_dict_resumes_in_convlens(name):
    torch = pytest.importorskip("torch")
    kwargs = {"lr": 0.05, "momentum": 0.9} if name == "SGD" else {"lr": 0.01, "amsgrad": True}
    init, grads = make_problem(steps=20, seed=4)
    tparams = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    topt = getattr(torch.optim, name)(tparams, **kwargs)
    for t, step in enumerate(grads):
        if t == 10:  # convert torch's state_dict: tensors become arrays and numbers
            state = topt.state_dict()
            converted = {"param_groups": state["param_groups"], "state": {
                i: {k: v.item() if v.ndim == 0 else v.numpy().copy() for k, v in s.items()}
                for i, s in state["state"].items()}}
            params = [cl.tensor(p.detach().numpy().copy(), requires_grad=True)
                      for p in tparams]
            opt = getattr(optim, name)(params, lr=0.5)
            opt.load_state_dict(converted)
        for p, g in zip(tparams, step):
            p.grad = None if g is None else torch.tensor(g.copy())
        topt.step()
        if t >= 10:
            for p, g in zip(params, step):
                p.grad = None if g is None else cl.tensor(g.copy())
            opt.step()
    for p, q in zip(params, tparams):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=0, atol=1e-12)


def _adam_with_state():
    a = cl.tensor(np.ones(2), requires_grad=True)
    b = cl.tensor(np.ones(3), requires_grad=True)
    opt = optim.Adam([{"params": [a]}, {"params": [b]}])
    a.grad, b.grad = cl.tensor(np.ones(2)), cl.tensor(np.ones(3))
    opt.step()
    return opt


def _edit(state, change):
    change(state)
    return state


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: s["param_groups"].pop(), "has 1 parameter groups; this optimizer has 2"),
    (lambda s: s["param_groups"][1]["params"].append(7),
     r"state_dict\['param_groups'\]\[1\] has 2 parameters; this optimizer's group 1 has 1"),
    (lambda s: s["state"].update({5: {"step": 1}}),
     "has an entry for parameter 5, which no parameter group lists"),
    (lambda s: s["state"][1].update(exp_avg=np.zeros(4)),
     r"\[1\]\['exp_avg'\] must be a numeric array of the parameter's shape \(3,\); "
     r"got float64 array of shape \(4,\)"),
    (lambda s: s["state"][0].update(momentum_buffer=np.zeros(2)),
     "'momentum_buffer'.* is not state that Adam keeps .*saved by another optimizer"),
    (lambda s: s["state"][0].update(step=-1), "must be a non-negative whole number; got -1"),
    (lambda s: s["state"][0].update(step=2.5), "must be a non-negative whole number; got 2.5"),
    (lambda s: s["param_groups"][0].update(betas=(0.9, 1.5)),
     r"state_dict\['param_groups'\]\[0\]: betas\[1\] must be in \[0, 1\); got 1.5"),
    (lambda s: s["param_groups"][0].update(params=[0.5]),
     "parameter indices in a state_dict must be ints; got 0.5"),
    (lambda s: s["state"].update({1: [np.zeros(3)]}),
     r"state_dict\['state'\]\[1\] must be a dict of named state; got list"),
    (lambda s: s.update(state=[]),
     r"state_dict\['state'\] must be a dict from parameter index to state; got list"),
    (lambda s: s.pop("state"), r"state_dict lacks \['state'\]; an optimizer state_dict has "
                               "keys 'state' and 'param_groups'"),
])
def test_bad_optimizer_state_dict_is_refused_and_changes_nothing(change, message):
    opt = _adam_with_state()
    before = opt.state_dict()
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(_edit(opt.state_dict(), change))
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    assert all(np.array_equal(after["state"][i]["exp_avg"], before["state"][i]["exp_avg"])
               for i in before["state"])


def test_optimizer_state_dict_that_is_not_a_dict_is_refused():
    with pytest.raises(TypeError, match="state_dict must be a dict with keys 'state' and "
                                        "'param_groups'; got list"):
        _adam_with_state().load_state_dict([])


def test_bad_scheduler_state_dict_is_refused():
    opt = optim.SGD([cl.tensor(np.ones(2), requires_grad=True)], lr=0.1)
    step = lr_scheduler.StepLR(opt, step_size=2)
    cosine = lr_scheduler.CosineAnnealingLR(opt, T_max=5)
    with pytest.raises(ValueError, match=r"lacks \['step_size', 'gamma'\]; was it saved by "
                                         "another scheduler"):
        step.load_state_dict(cosine.state_dict())
    with pytest.raises(ValueError, match=r"state_dict\['base_lrs'\] must hold one learning "
                                         r"rate per parameter group \(1\); got \[0.1, 0.2\]"):
        step.load_state_dict({**step.state_dict(), "base_lrs": [0.1, 0.2]})
    with pytest.raises(TypeError, match="state_dict must be a dict; got list"):
        step.load_state_dict([])


def test_scheduler_loads_torchs_state_dict():
    torch = pytest.importorskip("torch")
    tparam = torch.zeros(2, requires_grad=True)
    topt = torch.optim.SGD([tparam], lr=0.1)
    tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=6, eta_min=0.01)
    opt = optim.SGD([cl.tensor(np.zeros(2), requires_grad=True)], lr=0.1)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=6, eta_min=0.01)
    for _ in range(4):
        topt.step()
        tsched.step()
    opt.load_state_dict({"state": {}, "param_groups": topt.state_dict()["param_groups"]})
    sched.load_state_dict(tsched.state_dict())
    for _ in range(10):
        topt.step()
        tsched.step()
        sched.step()
        assert sched.get_last_lr() == tsched.get_last_lr()
