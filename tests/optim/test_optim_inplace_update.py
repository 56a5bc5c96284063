"""Adam's in-place update path gives the same bits as the update written out of place."""

import numpy as np
import pytest

import convlens as cl
from convlens import optim
from convlens.optim.optimizer import sub_scaled_


def _reference_adam(p, grads, lr, betas, eps, weight_decay=0.0, amsgrad=False, maximize=False,
                    decoupled_weight_decay=False):
    """Adam as plain out-of-place NumPy, each scalar rounded to the parameter's dtype."""
    beta1, beta2 = betas
    m, v, v_max = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for step, g in enumerate(grads, start=1):
        g = -g if maximize else g
        if decoupled_weight_decay:
            p = p * np.asarray(1 - lr * weight_decay, p.dtype)
        elif weight_decay:
            g = g + weight_decay * p
        m = m + (1 - beta1) * (g - m)                      # torch.lerp below weight 0.5
        v = v * beta2 + (1 - beta2) * g * g
        v_max = np.maximum(v_max, v)
        denom = np.sqrt(v_max if amsgrad else v) / (1 - beta2**step) ** 0.5 + eps
        step_size = np.asarray(lr / (1 - beta1**step), p.dtype)
        p = p - (m / denom) * step_size
    return p


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", [{}, {"amsgrad": True}, {"weight_decay": 0.1},
                                    {"maximize": True, "betas": (0.8, 0.95)},
                                    {"decoupled_weight_decay": True, "weight_decay": 0.3}])
def test_adam_matches_the_out_of_place_formula_bit_for_bit(dtype, kwargs):
    rng = np.random.default_rng(0)
    start = rng.standard_normal((3, 4)).astype(dtype)
    grads = [rng.standard_normal((3, 4)).astype(dtype) for _ in range(6)]
    p = cl.tensor(start.copy(), requires_grad=True)
    opt = optim.Adam([p], lr=0.05, **kwargs)
    for g in grads:
        p.grad = cl.tensor(g)
        opt.step()
    settings = {"betas": (0.9, 0.999), **kwargs}
    expected = _reference_adam(start, grads, 0.05, eps=1e-8, **settings)
    assert p.numpy().dtype == dtype
    assert p.numpy().tobytes() == expected.tobytes()


def test_numpy_float64_hyperparameters_keep_numpys_promotion_on_float32_parameters():
    # set by hand, NumPy scalars skip the checks that make them Python floats; a float64
    # scalar promotes, so the in-place path must not round the intermediates to float32
    rng = np.random.default_rng(2)
    start = rng.standard_normal(500).astype(np.float32)
    grads = [rng.standard_normal(500).astype(np.float32) for _ in range(4)]
    p = cl.tensor(start.copy(), requires_grad=True)
    opt = optim.Adam([p], lr=0.01)
    b1, b2, eps = np.float64(0.9), np.float64(0.999), np.float64(1e-3)
    opt.param_groups[0].update(betas=(b1, b2), eps=eps)
    expected, m, v = start, np.zeros(500, np.float32), np.zeros(500, np.float32)
    for step, g in enumerate(grads, start=1):
        p.grad = cl.tensor(g)
        opt.step()
        m = (m + (1 - b1) * (g - m)).astype(np.float32)      # float64 math, stored float32
        v = (v * b2).astype(np.float32)
        v = (v + (1 - b2) * g * g).astype(np.float32)
        update = m / (np.sqrt(v) / (1 - b2**step) ** 0.5 + eps)          # float64
        expected = (expected - update * (0.01 / (1 - b1**step))).astype(np.float32)
    assert p.numpy().tobytes() == expected.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sgd_with_momentum_matches_the_out_of_place_formula_bit_for_bit(dtype):
    rng = np.random.default_rng(1)
    start = rng.standard_normal(5).astype(dtype)
    grads = [rng.standard_normal(5).astype(dtype) for _ in range(5)]
    p = cl.tensor(start.copy(), requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.01)
    expected, buf = start, None
    for g in grads:
        p.grad = cl.tensor(g)
        opt.step()
        g = g + 0.01 * expected
        buf = g.copy() if buf is None else buf * 0.9 + (1 - 0.2) * g
        expected = expected - buf * np.asarray(0.1, dtype)
    assert p.numpy().tobytes() == expected.tobytes()
    assert p.grad.numpy().tobytes() == grads[-1].tobytes()   # the gradient is never written


def test_sub_scaled_writes_through_data_aliases_and_bumps_the_version():
    p = cl.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    alias, before = p.data, p.version
    with cl.no_grad():
        sub_scaled_(p, np.array([0.5, 0.5], np.float32), 2.0)
    assert p.numpy().tolist() == [0.0, 1.0]
    assert alias.numpy().tolist() == [0.0, 1.0]
    assert p.version == before + 1


def test_sub_scaled_outside_no_grad_refuses_a_leaf_as_sub_does():
    p = cl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        sub_scaled_(p, np.array([0.5, 0.5], np.float32), 2.0)
    assert p.numpy().tolist() == [1.0, 2.0]


def test_sub_scaled_with_a_tensor_alpha_falls_back_to_sub():
    p = cl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    with cl.no_grad():
        sub_scaled_(p, np.array([1.0, 1.0]), cl.tensor(np.array(0.5)))
    assert p.numpy().tolist() == [0.5, 1.5]
