"""``.data`` as torch means it: a Tensor that shares memory and the version counter."""

import numpy as np
import pytest

import convlens as cl
from convlens import nn


def test_writes_through_data_land_in_the_parameter_and_bump_its_version():
    layer = nn.Linear(4, 3)
    before = layer.weight.version
    alias = layer.weight.data
    assert isinstance(alias, cl.Tensor) and not alias.requires_grad and alias.is_leaf
    layer.weight.data.normal_(0, 0.02, generator=0)
    expected = np.random.default_rng(0).normal(0, 0.02, (3, 4)).astype(np.float32)
    np.testing.assert_array_equal(layer.weight.numpy(), expected)
    assert layer.weight.version == before + 1 == alias.version
    bias_version = layer.bias.version
    layer.bias.data.fill_(0.5)
    layer.bias.data.zero_()
    assert layer.bias.numpy().tolist() == [0.0, 0.0, 0.0]
    assert layer.bias.version == bias_version + 2


def test_output_data_max_1_gives_indices_as_in_torch_scripts():
    scores = cl.tensor([[0.1, 0.9, 0.0], [2.0, 1.0, 3.0]], requires_grad=True) * 2
    predicted = scores.data.max(1)[1]
    assert predicted.tolist() == [1, 2] and predicted.dtype == np.int64
    correct = predicted.eq(cl.tensor([1, 0]).view_as(predicted)).sum().item()
    assert correct == 1


def test_data_records_no_gradient_and_setter_still_replaces_values():
    w = cl.tensor([1.0, 2.0], requires_grad=True)
    (w.data * 3).sum()  # no graph through .data
    y = (w * w).sum()
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])
    w.data = cl.tensor([5.0, 6.0, 7.0])
    assert w.shape == (3,) and w.numpy().tolist() == [5.0, 6.0, 7.0]
    assert isinstance(w.numpy(), np.ndarray)


def test_a_data_write_after_forward_is_caught_by_the_shared_counter():
    w = cl.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    w.data.mul_(2.0)
    with pytest.raises(RuntimeError, match="was changed in place after the forward pass"):
        y.backward()


def test_detach_shares_memory_and_version_counter():
    w = cl.tensor([1.0, 2.0], requires_grad=True)
    d = w.detach()
    d.add_(1.0)
    assert w.numpy().tolist() == [2.0, 3.0] and w.version == 1 and not d.requires_grad
