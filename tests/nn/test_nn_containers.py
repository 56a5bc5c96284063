"""Sequential, ModuleList, Residual and Concat: indexing, naming, forward and gradients."""

from collections import OrderedDict

import numpy as np
import pytest

import convlens as cl
from convlens import nn
from gradcheck import gradcheck, numerical_grad


def test_sequential_indexing_like_torch():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    model = nn.Sequential(a, b, c)
    assert model[0] is a and model[-1] is c and list(model) == [a, b, c] and len(model) == 3
    tail = model[1:]
    assert isinstance(tail, nn.Sequential) and list(tail) == [b, c]
    assert list(tail.state_dict()) == ["2.weight", "2.bias"]  # slices keep names, as torch
    with pytest.raises(IndexError, match="index 3 is out of range for a Sequential of length 3"):
        model[3]
    with pytest.raises(TypeError, match="Sequential indices must be ints or slices; got str"):
        model["0"]
    model.append(nn.Sigmoid())
    assert len(model) == 4 and list(model._modules) == ["0", "1", "2", "3"]
    del model[1]
    assert list(model._modules) == ["0", "1", "2"] and model[1] is c  # renumbered
    model.insert(0, nn.Identity())
    assert type(model[0]).__name__ == "Identity" and model[1] is a
    model[0] = nn.Tanh()
    assert type(model[0]).__name__ == "Tanh"
    model.extend([nn.ReLU(), nn.ReLU()])
    assert len(model) == 6
    assert nn.Sequential()(cl.tensor([1.0])).tolist() == [1.0]  # empty: identity


def test_named_sequential_gives_torch_keys():
    model = nn.Sequential(OrderedDict(features=nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(),
                                                             nn.Conv2d(2, 2, 3)),
                                      head=nn.Linear(2, 1)))
    assert list(model.state_dict()) == ["features.0.weight", "features.0.bias",
                                        "features.2.weight", "features.2.bias", "head.weight",
                                        "head.bias"]
    assert model.get_submodule("features.2") is model.features[2]
    with pytest.raises(AttributeError, match="Sequential has no submodule 'x'"):
        model.get_submodule("features.x")


def test_module_list():
    layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
    layers.append(nn.Linear(2, 3))
    assert len(layers) == 3 and layers[-1].out_features == 3 and len(layers[:2]) == 2
    assert list(layers.state_dict())[:2] == ["0.weight", "0.bias"]
    with pytest.raises(NotImplementedError, match="ModuleList has no forward"):
        layers(cl.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="the appended value must be an nn.Module; got int"):
        layers.append(3)


def test_residual_and_concat_state_dict_names():
    block = nn.Residual(nn.Sequential(nn.Conv2d(2, 4, 3, stride=2, padding=1), nn.ReLU()),
                        nn.Conv2d(2, 4, 1, stride=2))
    assert list(block.state_dict()) == ["body.0.weight", "body.0.bias", "shortcut.weight",
                                        "shortcut.bias"]
    assert list(nn.Residual(nn.Linear(2, 2)).state_dict()) == ["body.weight", "body.bias"]
    branches = nn.Concat(nn.Conv2d(2, 1, 1), nn.Sequential(nn.Conv2d(2, 1, 3, padding=1)))
    assert list(branches.state_dict()) == ["0.weight", "0.bias", "1.0.weight", "1.0.bias"]
    assert len(branches) == 2 and branches[1][0].kernel_size == (3, 3)


def residual_model():
    return nn.Residual(
        nn.Sequential(nn.Conv2d(2, 3, 3, stride=2, padding=1, dtype=np.float64, generator=0,
                                algorithm="direct"), nn.Tanh(),
                      nn.Conv2d(3, 3, 3, padding=1, dtype=np.float64, generator=1)),
        nn.Conv2d(2, 3, 1, stride=2, dtype=np.float64, generator=2))


def concat_model():
    return nn.Concat(nn.Conv2d(2, 2, 1, dtype=np.float64, generator=0),
                     nn.Sequential(nn.AvgPool2d(3, 1, 1),
                                   nn.Conv2d(2, 3, 3, padding=1, dtype=np.float64, generator=1)),
                     nn.Identity())


@pytest.mark.parametrize("build", [residual_model, concat_model,
                                   lambda: nn.Residual(nn.Sequential(nn.Tanh(), nn.Tanh())),
                                   lambda: nn.Concat(nn.Tanh(), nn.Sigmoid(), dim=-1)],
                         ids=["residual_projection", "concat", "residual_identity",
                              "concat_last_dim"])
def test_container_gradients_match_finite_differences(build):
    model = build()
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 5))
    gradcheck(model, x)  # d/d input
    model.zero_grad()
    direction = np.random.default_rng(1).standard_normal(model(cl.tensor(x)).shape)
    model(cl.tensor(x, requires_grad=True)).backward(direction)
    for name, param in model.named_parameters():  # d/d each parameter
        def loss():
            with cl.no_grad():
                return float((model(cl.tensor(x)).numpy() * direction).sum())
        numeric = numerical_grad(loss, param.numpy())
        np.testing.assert_allclose(param.grad.numpy(), numeric, rtol=1e-5, atol=1e-7,
                                   err_msg=name)


def test_residual_and_concat_match_torch_compositions():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).standard_normal((2, 2, 6, 6))
    ours = residual_model()
    body = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3, stride=2, padding=1), torch.nn.Tanh(),
                               torch.nn.Conv2d(3, 3, 3, padding=1)).double()
    shortcut = torch.nn.Conv2d(2, 3, 1, stride=2).double()
    body.load_state_dict({k[5:]: torch.from_numpy(v.numpy()) for k, v in
                          ours.state_dict().items() if k.startswith("body.")})
    shortcut.load_state_dict({k[9:]: torch.from_numpy(v.numpy()) for k, v in
                              ours.state_dict().items() if k.startswith("shortcut.")})
    xt = torch.from_numpy(x)
    np.testing.assert_allclose(ours(cl.tensor(x)).numpy(),
                               (body(xt) + shortcut(xt)).detach().numpy(), rtol=1e-10)
    cat = concat_model()
    expected = torch.cat([torch.nn.functional.conv2d(xt, torch.from_numpy(cat[0].weight.numpy()),
                                                     torch.from_numpy(cat[0].bias.numpy())),
                          torch.nn.functional.conv2d(
                              torch.nn.functional.avg_pool2d(xt, 3, 1, 1),
                              torch.from_numpy(cat[1][1].weight.numpy()),
                              torch.from_numpy(cat[1][1].bias.numpy()), padding=1), xt], dim=1)
    np.testing.assert_allclose(cat(cl.tensor(x)).numpy(), expected.numpy(), rtol=1e-10)
