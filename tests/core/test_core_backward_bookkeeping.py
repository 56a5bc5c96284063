"""The backward pass's bookkeeping: grad mode, fresh .grad arrays, constants, version errors."""

import numpy as np
import pytest

import convlens as cl
from convlens import nn
from convlens.tensor import Tensor

torch = pytest.importorskip("torch")


def test_grad_mode_is_off_inside_backward_and_restored_after_an_error():
    x = cl.tensor([1.0, 2.0], requires_grad=True)
    seen = []

    def backward(g):
        seen.append(cl.is_grad_enabled())
        raise ValueError("boom")

    y = Tensor._from_op(x.numpy() * 2, (x,), backward, "Custom")
    with pytest.raises(ValueError, match="boom"):
        y.sum().backward()
    assert seen == [False]
    assert cl.is_grad_enabled()


def test_a_new_grad_is_a_fresh_writable_contiguous_array():
    x = cl.tensor(np.ones((2, 3)), requires_grad=True)
    x.sum().backward()                      # the upstream gradient is a broadcast view
    grad = x.grad.numpy()
    assert grad.flags.c_contiguous and grad.flags.writeable and grad.flags.owndata
    grad[0, 0] = 5.0                        # writing into it touches nothing else
    x.sum().backward()
    assert x.grad.numpy().tolist() == [[6.0, 2.0, 2.0], [2.0, 2.0, 2.0]]


@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv"])
@pytest.mark.parametrize("constant", [2.5, np.array([[0.5], [-2.0]])])
def test_a_constant_operand_on_either_side_gives_torch_gradients(op, constant):
    rng = np.random.default_rng(0)
    data = rng.uniform(0.5, 2.0, (2, 3))
    x, tx = cl.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    tc = constant if np.isscalar(constant) else torch.tensor(constant)
    ours = getattr(x, f"__{op}__")(constant) + getattr(x, f"__r{op}__")(constant)
    theirs = getattr(tx, f"__{op}__")(tc) + getattr(tx, f"__r{op}__")(tc)
    (ours * ours).sum().backward()
    (theirs * theirs).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_a_constant_that_requires_grad_by_backward_time_gets_its_gradient():
    x = cl.tensor([1.0, 2.0], requires_grad=True)
    c = cl.tensor([3.0, 4.0])
    y = x * c
    c.requires_grad_()
    y.sum().backward()
    assert c.grad.numpy().tolist() == [1.0, 2.0]


def test_a_version_error_names_the_first_position_of_a_repeated_input():
    x = cl.tensor([1.0, 2.0], requires_grad=True)
    w = cl.tensor([3.0, 4.0])
    y = x * w * w
    w.add_(1.0)
    with pytest.raises(RuntimeError, match=r"gradient of Mul \(input 1, shape \(2,\)\)"):
        y.sum().backward()


def test_module_hooks_run_only_while_registered():
    layer, calls = nn.Linear(2, 2), []
    x = cl.tensor(np.ones((1, 2), np.float32))
    plain = layer(x).numpy().copy()
    handle = layer.register_forward_hook(lambda m, args, out: calls.append(out) or out * 2)
    np.testing.assert_array_equal(layer(x).numpy(), plain * 2)
    handle.remove()
    np.testing.assert_array_equal(layer(x).numpy(), plain)
    assert len(calls) == 1
