"""nn.Module: registration, iteration, modes, hooks, conversion, repr, state_dict."""

import numpy as np
import pytest

import convlens as cl
from convlens import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.full(3, 2.0, np.float32))
        self.register_buffer("count", np.zeros((), np.int64))
        self.fc = nn.Linear(3, 2, generator=0)
        self.note = "plain attribute"

    def forward(self, x):
        return self.fc(x * self.scale)


def test_attributes_are_registered_by_type():
    block = Block()
    assert [n for n, _ in block.named_parameters()] == ["scale", "fc.weight", "fc.bias"]
    assert [n for n, _ in block.named_buffers()] == ["count"]
    assert [n for n, _ in block.named_children()] == ["fc"]
    assert [n for n, _ in block.named_modules()] == ["", "fc"]
    assert block.note == "plain attribute"
    assert list(block.state_dict()) == ["scale", "count", "fc.weight", "fc.bias"]


def test_assignment_rules_and_errors():
    block = Block()
    with pytest.raises(TypeError, match="cannot assign ndarray as parameter 'scale'"):
        block.scale = np.zeros(3)
    with pytest.raises(TypeError, match="cannot assign str as child module 'fc'"):
        block.fc = "x"
    block.count = np.array(5)  # a buffer may be reassigned with an array
    assert isinstance(block.count, cl.Tensor) and int(block.count.item()) == 5
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'nothing'"):
        _ = block.nothing

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(1))

    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__"):
        Early()
    with pytest.raises(ValueError, match=r"buffer name must be non-empty and contain no '\.'"):
        block.register_buffer("a.b", np.zeros(1))
    del block.scale
    assert "scale" not in dict(block.named_parameters())


def test_shared_parameters_are_listed_once():
    fc = nn.Linear(2, 2)
    model = nn.Sequential(fc, nn.ReLU(), fc)
    assert len(list(model.parameters())) == 2
    assert len(list(model.modules())) == 3  # Sequential, Linear (once), ReLU
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_train_eval_and_zero_grad():
    model = nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.5))
    assert model.training and model[1].training
    assert model.eval() is model and not model[1].training
    model.train()
    assert model[1].training
    with pytest.raises(ValueError, match="training mode is expected to be a bool; got 1"):
        model.train(1)
    out = model.eval()(cl.tensor(np.ones((4, 3), np.float32)))
    out.sum().backward()
    assert model[0].weight.grad is not None
    model.zero_grad(set_to_none=False)
    assert np.all(model[0].weight.grad.numpy() == 0)
    model.zero_grad()
    assert model[0].weight.grad is None


def test_forward_hooks_see_inputs_and_outputs_and_can_be_removed():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    seen = []
    handle = model[0].register_forward_hook(lambda m, i, o: seen.append((m, i[0].shape,
                                                                         o.shape)))
    x = cl.tensor(np.ones((2, 3), np.float32))
    model(x)
    assert seen == [(model[0], (2, 3), (2, 4))]
    handle.remove()
    model(x)
    assert len(seen) == 1
    # a hook returning a value replaces the output
    model[1].register_forward_hook(lambda m, i, o: o * 0)
    assert np.all(model(x).numpy() == 0)


def test_apply_and_dtype_conversion_keep_parameter_identity():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    weight = model[0].weight
    version = weight.version
    visited = []
    model.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Conv2d", "BatchNorm2d", "Sequential"]
    assert model.double() is model
    assert model[0].weight is weight and weight.dtype == np.float64 and weight.version > version
    assert model[1].running_var.dtype == np.float64
    assert model[1].num_batches_tracked.dtype == np.int64
    y = model(cl.tensor(np.ones((2, 1, 5, 5))))
    assert y.dtype == np.float64
    model.float()
    assert weight.dtype == np.float32


def test_repr_is_torch_like():
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(),
                          nn.Residual(nn.Sequential(nn.Linear(2, 2)), None))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))\n"
        "  (1): ReLU()\n"
        "  (2): Residual(\n"
        "    (body): Sequential(\n"
        "      (0): Linear(in_features=2, out_features=2, bias=True)\n"
        "    )\n"
        "  )\n"
        ")"
    )


def test_load_state_dict_copies_in_place_and_bumps_version():
    source, target = nn.Linear(3, 2, generator=1), nn.Linear(3, 2, generator=2)
    weight = target.weight
    version = weight.version
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert target.weight is weight and weight.version > version
    np.testing.assert_array_equal(target.weight.numpy(), source.weight.numpy())
    # values may be plain arrays, nested lists, or tensors of another dtype
    target.load_state_dict({"weight": np.zeros((2, 3)), "bias": [1.0, 2.0]})
    assert target.weight.dtype == np.float32 and target.bias.tolist() == [1.0, 2.0]


def test_load_state_dict_reports_problems_like_torch_and_changes_nothing():
    model = nn.Sequential(nn.Linear(3, 2))
    before = model[0].weight.numpy().copy()
    with pytest.raises(ValueError, match=r'Missing key\(s\) in state_dict: "0.bias"'):
        model.load_state_dict({"0.weight": np.zeros((2, 3))})
    with pytest.raises(ValueError, match=r'Unexpected key\(s\) in state_dict: "extra"'):
        model.load_state_dict({**model.state_dict(), "extra": np.zeros(1)})
    with pytest.raises(ValueError, match=r"size mismatch for 0.weight: copying a param with "
                                         r"shape \(3, 2\) from checkpoint, the shape in "
                                         r"current model is \(2, 3\)"):
        model.load_state_dict({"0.weight": np.zeros((3, 2)), "0.bias": np.zeros(2)},
                              strict=False)
    np.testing.assert_array_equal(model[0].weight.numpy(), before)
    result = model.load_state_dict({"0.weight": np.zeros((2, 3)), "x": 1}, strict=False)
    assert result.missing_keys == ["0.bias"] and result.unexpected_keys == ["x"]
    with pytest.raises(TypeError, match=r"state_dict\['0.bias'\] must hold numbers"):
        model.load_state_dict({"0.weight": np.zeros((2, 3)),
                               "0.bias": np.array(["a", "b"])})
    with pytest.raises(TypeError, match="load_state_dict expects a mapping"):
        model.load_state_dict([("0.weight", np.zeros((2, 3)))])


def test_state_dict_shares_memory_like_torch():
    model = nn.Linear(2, 2)
    state = model.state_dict()
    assert np.shares_memory(state["weight"].numpy(), model.weight.numpy())
    assert not state["weight"].requires_grad


def test_get_config_of_an_unregistered_module_names_the_class():
    with pytest.raises(TypeError, match=r"test_nn_module\.Block cannot be saved: define "
                                        r"get_config\(\)"):
        Block().get_config()
