"""Optimizer and scheduler behaviour beyond the update rules: versions, skipping, errors."""

import numpy as np
import pytest

import convlens as cl
from convlens import optim
from convlens.optim import lr_scheduler

ALL = [(optim.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1}),
       (optim.Adam, {"lr": 0.1, "weight_decay": 0.1}),
       (optim.AdamW, {"lr": 0.1})]


def _param(*shape, dtype=np.float64, value=1.0):
    return cl.tensor(np.full(shape, value, dtype=dtype), requires_grad=True)


@pytest.mark.parametrize(("cls", "kwargs"), ALL)
def test_step_bumps_version_and_skips_params_without_grad(cls, kwargs):
    with_grad, without_grad = _param(3), _param(2)
    opt = cls([with_grad, without_grad], **kwargs)
    with_grad.grad = cl.tensor(np.ones(3))
    before = with_grad.version, without_grad.version
    opt.step()
    assert with_grad.version > before[0]
    assert not np.allclose(with_grad.numpy(), 1.0)
    # untouched, even by (decoupled) weight decay, and no state is made for it
    assert without_grad.version == before[1]
    assert without_grad.numpy().tolist() == [1.0, 1.0]
    assert without_grad not in opt.state


@pytest.mark.parametrize(("cls", "kwargs"), ALL)
def test_float32_parameters_and_state_stay_float32(cls, kwargs):
    w = _param(4, dtype=np.float32)
    opt = cls([w], **kwargs)
    for _ in range(3):
        w.grad = cl.tensor(np.linspace(-1, 1, 4, dtype=np.float32))
        opt.step()
    assert w.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[w].values()
               if isinstance(v, np.ndarray))


def test_step_works_while_grad_recording_is_on_and_returns_the_closure_loss():
    w = _param(2)
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with cl.no_grad():  # the closure still records its graph
        loss = opt.step(closure)
    assert loss.item() == 2.0
    assert w.numpy().tolist() == [0.5, 0.5]  # 1 - 0.25 * 2


def test_zero_grad_sets_to_none_or_zeros():
    w = _param(2)
    opt = optim.SGD([w])
    w.grad = cl.tensor(np.ones(2))
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and grad.numpy().tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None


def test_add_param_group_fills_defaults_and_refuses_duplicates():
    a, b = _param(2), _param(3)
    opt = optim.Adam([a], lr=0.01, betas=(0.8, 0.9))
    opt.add_param_group({"params": b, "lr": 0.1})
    group = opt.param_groups[1]
    assert group["params"] == [b] and group["lr"] == 0.1 and group["betas"] == (0.8, 0.9)
    with pytest.raises(ValueError, match=r"param_groups\[2\]: a parameter of shape \(2,\) "
                                         "appears in more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match=r"param_groups\[2\]: lr must be a finite number in "
                                         r"\[0.0, inf\]; got -0.5"):
        opt.add_param_group({"params": [_param(1)], "lr": -0.5})
    assert len(opt.param_groups) == 2


def test_repr_lists_groups_and_hyperparameters():
    text = repr(optim.SGD([_param(1)], lr=0.5, momentum=0.9))
    assert text.startswith("SGD (\nParameter Group 0\n")
    assert "    lr: 0.5" in text and "    momentum: 0.9" in text


def test_base_class_needs_an_update_rule():
    w = _param(1)
    w.grad = cl.tensor(np.ones(1))
    with pytest.raises(NotImplementedError, match="Optimizer does not implement _update"):
        optim.Optimizer([w], {"lr": 0.1}).step()


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda w: optim.SGD([w], lr=-0.1), ValueError,
     r"lr must be a finite number in \[0.0, inf\]; got -0.1"),
    (lambda w: optim.SGD([w], momentum=-0.9), ValueError, "momentum must be a finite number"),
    (lambda w: optim.SGD([w], weight_decay=float("nan")), ValueError,
     "weight_decay must be a finite number in .*; got nan"),
    (lambda w: optim.SGD([w], lr="0.1"), TypeError, "lr must be a number; got str '0.1'"),
    (lambda w: optim.SGD([w], nesterov=True), ValueError,
     "nesterov=True needs momentum > 0 and dampening = 0; got momentum=0.0, dampening=0.0"),
    (lambda w: optim.SGD([w], momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     "nesterov=True needs momentum > 0 and dampening = 0; got momentum=0.9, dampening=0.1"),
    (lambda w: optim.SGD([w], maximize=1), TypeError, "maximize must be a bool; got 1"),
    (lambda w: optim.SGD([{"params": [w], "momentum": 0.5, "nesterov": True, "dampening": 1}]),
     ValueError, r"param_groups\[0\]: nesterov=True needs momentum > 0 and dampening = 0"),
    (lambda w: optim.Adam([w], betas=(1.0, 0.999)), ValueError,
     r"betas\[0\] must be in \[0, 1\); got 1.0"),
    (lambda w: optim.Adam([w], betas=(0.9, -0.1)), ValueError,
     r"betas\[1\] must be in \[0, 1\); got -0.1"),
    (lambda w: optim.Adam([w], betas=0.9), TypeError, "betas must be a pair of floats; got 0.9"),
    (lambda w: optim.Adam([w], eps=-1e-8), ValueError, "eps must be a finite number"),
    (lambda w: optim.AdamW([w], weight_decay=-0.01), ValueError,
     r"weight_decay must be a finite number in \[0.0, inf\]; got -0.01"),
    (lambda w: optim.Adam([w], amsgrad="yes"), TypeError, "amsgrad must be a bool; got 'yes'"),
])
def test_hyperparameters_are_validated(make, error, message):
    with pytest.raises(error, match=message):
        make(_param(2))


@pytest.mark.parametrize(("params", "error", "message"), [
    ([], ValueError, "params is empty: the optimizer got no parameters to optimize"),
    (_param(2), TypeError, "params must be an iterable .* of Tensors or of dicts; got Tensor"),
    ({"params": [_param(2)]}, TypeError, "params must be an iterable .*; got dict"),
    ([_param(2), {"params": [_param(2)]}], TypeError,
     "params must hold either only Tensors or only dicts"),
    ([{"params": {_param(2)}}], TypeError,
     r"param_groups\[0\]\['params'\] must be a Tensor or an ordered collection"),
    ([{"lr": 0.1}], ValueError, r"param_groups\[0\] must have a 'params' entry"),
    ([np.ones(2)], TypeError,
     r"optimizers can only optimize Tensors; param_groups\[0\]\['params'\]\[0\] is a ndarray"),
    ([cl.tensor(np.arange(3))], TypeError,
     r"the optimizer expects param_groups\[0\]\['params'\]\[0\] of dtype float32 or float64; "
     "got int64"),
    ([_param(2) * 2], ValueError, r"param_groups\[0\]\['params'\]\[0\] is not a leaf tensor"),
])
def test_bad_params_are_refused(params, error, message):
    with pytest.raises(error, match=message):
        optim.SGD(params)


def test_duplicate_parameter_is_refused():
    w = _param(2)
    with pytest.raises(ValueError, match=r"param_groups\[1\]: a parameter of shape \(2,\) "
                                         "appears in more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w]}])


def test_gradient_of_the_wrong_shape_is_refused():
    w = _param(2)
    w.grad = cl.tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"param_groups\[0\]\['params'\]\[0\]\.grad must have "
                                         r"the parameter's shape \(2,\); got \(3,\)"):
        optim.SGD([w]).step()


class _NoMomentum(optim.Optimizer):
    def __init__(self, params):
        super().__init__(params, {"lr": 0.1})


def _sgd():
    return optim.SGD([_param(2)], lr=0.1, momentum=0.9)


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda: lr_scheduler.StepLR(object(), 2), TypeError,
     "optimizer must be a convlens.optim.Optimizer; got object"),
    (lambda: lr_scheduler.StepLR(_sgd(), 0), ValueError, "step_size must be >= 1; got 0"),
    (lambda: lr_scheduler.StepLR(_sgd(), 2.0), TypeError, "step_size must be an int; got float"),
    (lambda: lr_scheduler.StepLR(_sgd(), 2, gamma=-1), ValueError,
     r"gamma must be a finite number in \[0.0, inf\]; got -1.0"),
    (lambda: lr_scheduler.CosineAnnealingLR(_sgd(), 0), ValueError,
     "T_max must be >= 1; got 0"),
    (lambda: lr_scheduler.CosineAnnealingLR(_sgd(), 5, eta_min=-0.1), ValueError,
     "eta_min must be a finite number"),
    (lambda: lr_scheduler.OneCycleLR(_sgd(), 0.1), ValueError,
     "OneCycleLR needs total_steps, or both epochs and steps_per_epoch; got total_steps=None, "
     "epochs=None, steps_per_epoch=None"),
    (lambda: lr_scheduler.OneCycleLR(_sgd(), 0.1, epochs=0, steps_per_epoch=3), ValueError,
     "epochs must be >= 1; got 0"),
    (lambda: lr_scheduler.OneCycleLR(_sgd(), 0.1, 10, pct_start=1.5), ValueError,
     r"pct_start must be a finite number in \[0.0, 1.0\]; got 1.5"),
    (lambda: lr_scheduler.OneCycleLR(_sgd(), 0.1, 10, anneal_strategy="exp"), ValueError,
     "anneal_strategy must be one of 'cos', 'linear'; got 'exp'"),
    (lambda: lr_scheduler.OneCycleLR(_sgd(), [0.1, 0.2], 10), ValueError,
     r"max_lr must be a number or a list with one value per parameter group \(1\); "
     "got 2 values"),
    (lambda: lr_scheduler.OneCycleLR(_sgd(), 0.1, 10, div_factor=0), ValueError,
     "div_factor must be > 0; got 0.0"),
    (lambda: lr_scheduler.OneCycleLR(_sgd(), 0.1, 10, max_momentum=1.2), ValueError,
     r"max_momentum must be in \[0, 1\); got 1.2"),
    (lambda: lr_scheduler.OneCycleLR(_sgd(), 0.1, 10, cycle_momentum=1), TypeError,
     "cycle_momentum must be a bool; got 1"),
    (lambda: lr_scheduler.OneCycleLR(_NoMomentum([_param(2)]), 0.1, 10), ValueError,
     "cycle_momentum=True needs an optimizer with momentum or betas; _NoMomentum has neither"),
])
def test_scheduler_arguments_are_validated(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_invalid_one_cycle_leaves_the_optimizer_alone():
    opt = _sgd()
    with pytest.raises(ValueError, match="div_factor must be > 0"):
        lr_scheduler.OneCycleLR(opt, 0.1, 10, div_factor=-1.0)
    assert set(opt.param_groups[0]) == {"params", "lr", "momentum", "dampening",
                                        "weight_decay", "nesterov", "maximize", "foreach",
                                        "differentiable", "fused"}
    assert opt.param_groups[0]["momentum"] == 0.9


def test_one_cycle_refuses_to_step_past_the_cycle_and_stays_put():
    opt = _sgd()
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=4)
    for _ in range(4):
        scheduler.step()
    last = scheduler.get_last_lr()
    with pytest.raises(ValueError, match=r"OneCycleLR was built for total_steps=4; step\(\) "
                                         "was called 5 times"):
        scheduler.step()
    assert scheduler.last_epoch == 4 and scheduler.get_last_lr() == last


def test_one_cycle_zero_length_phase_holds_its_end_value():
    # pct_start * total_steps == 1: the warm-up phase is the single step 0 (torch divides by
    # zero here); it holds max_lr.
    scheduler = lr_scheduler.OneCycleLR(_sgd(), max_lr=1.0, total_steps=10, pct_start=0.1)
    assert scheduler.get_last_lr() == [1.0]


def test_scheduler_sets_initial_lr_and_base_lrs():
    opt = optim.SGD([{"params": [_param(1)], "lr": 0.5}, {"params": [_param(1)]}], lr=0.1)
    scheduler = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    assert scheduler.base_lrs == [0.5, 0.1]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.5, 0.1]
    scheduler.step()
    assert scheduler.get_last_lr() == [0.25, 0.05] == [g["lr"] for g in opt.param_groups]
    assert scheduler.last_epoch == 1
