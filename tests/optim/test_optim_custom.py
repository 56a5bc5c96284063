"""A custom optimizer written the torch way runs on convlens and follows torch's trajectory.

The same class body is built twice, once on ``torch`` and once on ``convlens``: subclass
``optim.Optimizer``, pass ``defaults``, decorate ``step`` with ``@torch.no_grad()``, keep
per-parameter state in ``self.state[p]`` (a defaultdict) and update in place.
"""

import numpy as np
import pytest

import convlens as cl

torch = pytest.importorskip("torch")


def momentum_sgd(lib):
    """SGD with heavy-ball momentum, using only ``mul_``/``add_``/``clone``."""

    class MomentumSGD(lib.optim.Optimizer):
        def __init__(self, params, lr=0.1, momentum=0.9):
            if lr < 0.0:
                raise ValueError(f"Invalid learning rate: {lr}")
            super().__init__(params, dict(lr=lr, momentum=momentum))

        @lib.no_grad()
        def step(self, closure=None):
            loss = None
            if closure is not None:
                with lib.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if "buf" not in state:
                        state["buf"] = p.grad.clone()
                    else:
                        state["buf"].mul_(group["momentum"]).add_(p.grad)
                    p.add_(state["buf"], alpha=-group["lr"])
            return loss

    return MomentumSGD


def adam_like(lib):
    """Adam as a tutorial writes it: zeros_like state, addcmul_, sqrt, addcdiv_."""

    class MyAdam(lib.optim.Optimizer):
        def __init__(self, params, lr=1e-2, betas=(0.9, 0.999), eps=1e-8):
            super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

        @lib.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = 0
                        state["exp_avg"] = lib.zeros_like(p)
                        state["exp_avg_sq"] = lib.zeros_like(p)
                    state["step"] += 1
                    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                    exp_avg.mul_(beta1).add_(p.grad, alpha=1 - beta1)
                    exp_avg_sq.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
                    denom = (exp_avg_sq / (1 - beta2 ** state["step"])).sqrt_().add_(group["eps"])
                    p.addcdiv_(exp_avg, denom, value=-group["lr"] / (1 - beta1 ** state["step"]))

    return MyAdam


def _quadratic(lib, w, target):
    return ((w - lib.tensor(target)) ** 2).sum()


def _run(lib, make, steps=20, closure=False):
    rng = np.random.default_rng(0)
    w = lib.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    target = rng.standard_normal((3, 4))
    opt = make(lib)([w])
    losses = []
    for _ in range(steps):
        if closure:
            def step_closure():
                opt.zero_grad()
                loss = _quadratic(lib, w, target)
                loss.backward()
                return loss
            losses.append(opt.step(step_closure).item())
        else:
            opt.zero_grad()
            _quadratic(lib, w, target).backward()
            opt.step()
    return np.array(w.detach().numpy()), losses, opt


def test_custom_momentum_sgd_matches_torch_and_returns_the_closure_loss():
    ours, our_losses, opt = _run(cl, momentum_sgd, closure=True)
    theirs, their_losses, _ = _run(torch, momentum_sgd, closure=True)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-12)
    assert our_losses[-1] < 0.1 * our_losses[0]
    # state is a defaultdict keyed by parameter; state_dict round-trips the Tensor buffers
    assert type(opt.state).__name__ == "defaultdict" and opt.state[object()] == {}
    saved = opt.state_dict()
    fresh = momentum_sgd(cl)([opt.param_groups[0]["params"][0]])
    fresh.load_state_dict(saved)
    buf = fresh.state[fresh.param_groups[0]["params"][0]]["buf"]
    np.testing.assert_array_equal(buf.numpy(), saved["state"][0]["buf"].numpy())
    assert fresh.param_groups[0]["lr"] == 0.1 and fresh.defaults == {"lr": 0.1, "momentum": 0.9}


_MISSING = [name for name in ("addcmul_", "addcdiv_", "sqrt_") if not hasattr(cl.Tensor, name)]
_MISSING += [] if hasattr(cl, "zeros_like") else ["cl.zeros_like"]


@pytest.mark.skipif(bool(_MISSING), reason=f"this tree lacks {_MISSING} (the tensor-API work)")
def test_custom_adam_with_in_place_math_matches_torch():
    ours, _, _ = _run(cl, adam_like)
    theirs, _, _ = _run(torch, adam_like)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_add_param_group_fills_defaults_and_zero_grad_sets_none():
    w1 = cl.tensor(np.ones(2), requires_grad=True)
    w2 = cl.tensor(np.ones(3), requires_grad=True)
    opt = momentum_sgd(cl)([w1], lr=0.5)
    opt.add_param_group({"params": [w2], "momentum": 0.1})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.1
    (w1.sum() + w2.sum()).backward()
    opt.zero_grad(set_to_none=False)
    assert w1.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert w1.grad is None and w2.grad is None
    with pytest.raises(ValueError, match="appears in more than one parameter group"):
        opt.add_param_group({"params": [w1]})
