"""A torch state_dict loads into the equivalent convlens model: same keys, outputs, gradients."""

import numpy as np
import pytest

import convlens as cl
from convlens import nn

torch = pytest.importorskip("torch")


def lenet(lib, bn=False, **kw):
    """LeNet-5-like model built from ``lib`` (torch.nn or convlens.nn)."""
    norm = [lib.BatchNorm2d(6, **kw)] if bn else []
    return lib.Sequential(
        lib.Conv2d(1, 6, 5, padding=2, **kw), *norm, lib.ReLU(), lib.MaxPool2d(2),
        lib.Conv2d(6, 16, 5, **kw), lib.ReLU(), lib.MaxPool2d(2), lib.Flatten(),
        lib.Linear(400, 120, **kw), lib.ReLU(), lib.Linear(120, 84, **kw), lib.ReLU(),
        lib.Linear(84, 10, **kw),
    )


def run_both(ours, theirs, x, weights):
    """Forward both models, backprop sum(out * weights), return outputs."""
    out = ours(cl.tensor(x))
    (out * cl.tensor(weights)).sum().backward()
    theirs_out = theirs(torch.from_numpy(x))
    (theirs_out * torch.from_numpy(weights)).sum().backward()
    return out.numpy(), theirs_out.detach().numpy()


def compare(ours, theirs, train):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 1, 28, 28))
    weights = rng.standard_normal((4, 10))
    ours.train(train)
    theirs.train(train)
    out, expected = run_both(ours, theirs, x, weights)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-8)
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), theirs_params[name].grad.numpy(),
                                   rtol=1e-5, atol=1e-8, err_msg=name)
    theirs_state = theirs.state_dict()
    for name, value in ours.state_dict().items():  # running stats after the step, too
        np.testing.assert_allclose(value.numpy(), theirs_state[name].numpy(), rtol=1e-7,
                                   err_msg=name)


@pytest.mark.parametrize("bn", [False, True], ids=["plain", "batchnorm"])
def test_state_dict_keys_equal_torch(bn):
    ours = lenet(nn, bn=bn)
    theirs = lenet(torch.nn, bn=bn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (name, value), theirs_value in zip(ours.state_dict().items(),
                                           theirs.state_dict().values()):
        assert value.shape == tuple(theirs_value.shape), name


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("bn", [False, True], ids=["plain", "batchnorm"])
def test_torch_weights_give_identical_outputs_and_gradients(bn, train):
    torch.manual_seed(0)
    theirs = lenet(torch.nn, bn=bn).double()
    if bn:  # non-trivial running statistics and affine parameters
        with torch.no_grad():
            theirs[1].running_mean.uniform_(-0.5, 0.5)
            theirs[1].running_var.uniform_(0.5, 2.0)
            theirs[1].weight.uniform_(0.5, 1.5)
            theirs[1].bias.uniform_(-0.5, 0.5)
            theirs[1].num_batches_tracked.fill_(7)
    ours = lenet(nn, bn=bn, dtype=np.float64)
    ours.load_state_dict(theirs.state_dict())  # torch tensors, converted without torch code
    compare(ours, theirs, train)


def test_float32_model_loads_torch_float32_weights():
    torch.manual_seed(1)
    theirs = lenet(torch.nn, bn=True)
    ours = lenet(nn, bn=True)
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(1).standard_normal((2, 1, 28, 28)).astype(np.float32)
    ours.eval()
    theirs.eval()
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours(cl.tensor(x)).numpy(), expected, rtol=1e-4, atol=1e-5)


def test_torch_loads_our_state_dict():
    ours = lenet(nn, bn=True, dtype=np.float64)
    theirs = lenet(torch.nn, bn=True).double()
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((3, 1, 28, 28))
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(cl.tensor(x)).numpy(),
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5)


def test_parameter_requiring_grad_is_detached_before_conversion():
    theirs = torch.nn.Linear(3, 2)
    ours = nn.Linear(3, 2)
    ours.load_state_dict(dict(theirs.named_parameters()))  # Parameters, requires_grad=True
    np.testing.assert_array_equal(ours.weight.numpy(), theirs.weight.detach().numpy())
