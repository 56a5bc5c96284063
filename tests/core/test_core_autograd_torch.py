"""backward() and autograd.grad as in torch: freed graphs, retain_graph, grad modes."""

import numpy as np
import pytest

import convlens as cl

torch = pytest.importorskip("torch")
SECOND_TIME = "Trying to backward through the graph a second time"


def _pair(data):
    return cl.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)


def test_a_second_backward_raises_torchs_error_unless_the_graph_is_retained():
    x = cl.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x.exp()).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        y.backward()
    x.grad = None
    z = (x * x.exp()).sum()
    z.backward(retain_graph=True)
    z.backward()
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    w = (t * t.exp()).sum()
    w.backward(retain_graph=True)
    w.backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        w.backward()


def test_ops_that_save_nothing_can_be_backpropagated_twice_as_in_torch():
    x = cl.tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1.0).sum()
    y.backward()
    y.backward()
    assert x.grad.numpy().tolist() == [2.0, 2.0]


def test_autograd_grad_matches_torch_and_leaves_grad_alone():
    data = np.array([[0.5, -1.0], [2.0, 0.25]])
    x, t = _pair(data)
    w, tw = _pair(np.array([1.5, -0.5]))
    out, t_out = (x.exp() @ w).sum(), (t.exp() @ tw).sum()
    gx, gw = cl.autograd.grad(out, [x, w], retain_graph=True)
    tgx, tgw = torch.autograd.grad(t_out, [t, tw])
    np.testing.assert_allclose(gx.numpy(), tgx.numpy())
    np.testing.assert_allclose(gw.numpy(), tgw.numpy())
    assert x.grad is None and w.grad is None
    hidden = x * 2.0
    (g_hidden,) = cl.autograd.grad((hidden ** 2).sum(), hidden)
    np.testing.assert_allclose(g_hidden.numpy(), 2 * hidden.numpy())


def test_autograd_grad_with_grad_outputs_unused_inputs_and_create_graph():
    x = cl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    unused = cl.tensor([1.0], requires_grad=True)
    y = x * x
    (g,) = cl.autograd.grad(y, x, grad_outputs=cl.tensor([1.0, 0.0, 2.0]), retain_graph=True)
    assert g.numpy().tolist() == [2.0, 0.0, 12.0]
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        cl.autograd.grad(y.sum(), [x, unused], retain_graph=True)
    assert cl.autograd.grad(y.sum(), [x, unused], allow_unused=True)[1] is None
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        cl.autograd.grad(x * 2, x)
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        cl.autograd.grad(y.sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        cl.autograd.grad(cl.tensor([1.0]).sum(), x)


def test_backward_inputs_accumulates_only_into_the_named_tensors():
    a = cl.tensor([1.0, 2.0], requires_grad=True)
    b = cl.tensor([3.0, 4.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert a.grad.numpy().tolist() == [3.0, 4.0] and b.grad is None


def test_set_grad_enabled_and_inference_mode():
    x = cl.tensor([1.0], requires_grad=True)
    with cl.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    cl.set_grad_enabled(False)
    try:
        assert not cl.is_grad_enabled()
    finally:
        cl.set_grad_enabled(True)
    with cl.inference_mode():
        assert not (x * 2).requires_grad

    @cl.inference_mode()
    def predict(v):
        return v * 2

    assert not predict(x).requires_grad
    with pytest.raises(TypeError, match="set_grad_enabled\\(mode\\) needs a bool"):
        cl.set_grad_enabled("no")


def test_in_place_ops_inside_a_graph_give_torchs_gradients():
    data = np.array([0.5, -1.5, 2.0])
    x, t = _pair(data)
    y = x * 3.0
    y.mul_(x).add_(x, alpha=2.0).clamp_(min=-1.0)
    y[y > 5.0] = 0.0
    y.sum().backward()
    u = t * 3.0
    u.mul_(t).add_(t, alpha=2.0).clamp_(min=-1.0)
    u[u > 5.0] = 0.0
    u.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), u.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


def test_in_place_write_to_a_leaf_that_requires_grad_is_refused():
    w = cl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation"):
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w[0] = 3.0
    with cl.no_grad():
        w[0] = 3.0
    assert w.numpy().tolist() == [3.0, 2.0]


def test_in_place_op_on_a_saved_output_keeps_the_old_value_for_backward():
    x = cl.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()
    y.mul_(2.0)                       # torch raises at backward; convlens keeps exp's output
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([0.5, 1.0]))
    z = x * 3.0
    z.mul_(2.0)
    w = z * 1.0                       # a consumer recorded before the next write ...
    z.add_(1.0)
    with pytest.raises(RuntimeError, match="changed in place after the forward pass"):
        w.sum().backward()            # ... refuses rather than route through the new value
