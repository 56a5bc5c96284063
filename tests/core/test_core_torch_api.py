"""The torch-style conveniences: in-place operators, max/min(dim), factories, no_grad forms."""

import numpy as np
import pytest

import convlens as cl
from convlens import nn


def test_manual_sgd_update_with_in_place_operators_changes_the_parameters():
    layer = nn.Linear(3, 2)
    layer(cl.ones(4, 3)).sum().backward()
    before, version = layer.weight.numpy().copy(), layer.weight.version
    with cl.no_grad():
        for p in layer.parameters():
            p -= 0.1 * p.grad
    np.testing.assert_allclose(layer.weight.numpy(), before - 0.1 * layer.weight.grad.numpy())
    assert layer.weight.version == version + 1


def test_in_place_update_of_a_leaf_while_recording_is_refused():
    w = cl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad cannot be changed"):
        w += 1.0


def test_in_place_operator_inside_a_graph_is_recorded():
    w = cl.tensor([1.0, 2.0], requires_grad=True)
    h = w * 3.0
    h *= w                                   # h = 3 w**2
    h.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [6.0, 12.0])


def test_max_and_min_with_dim_return_values_and_indices_like_torch():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).standard_normal((3, 5))
    x = cl.tensor(data, requires_grad=True)
    t = torch.tensor(data, requires_grad=True)
    values, indices = x.max(1)
    t_values, t_indices = t.max(1)
    np.testing.assert_allclose(values.numpy(), t_values.detach().numpy())
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    values.sum().backward()
    t_values.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())
    np.testing.assert_array_equal(x.min(0).indices.numpy(), t.min(0).indices.numpy())
    assert float(x.max()) == pytest.approx(float(t.max().detach()))
    with pytest.raises(TypeError, match=r"max\(dim\) takes one int dim"):
        x.max((0, 1))


def test_one_element_tensors_convert_to_python_numbers():
    assert float(cl.tensor([2.5])) == 2.5
    assert int(cl.tensor([[7]])) == 7
    with pytest.raises(ValueError, match=r"one element; got shape \(2,\)"):
        float(cl.tensor([1.0, 2.0]))


def test_no_grad_works_bare_or_called_as_a_decorator():
    w = cl.tensor([1.0], requires_grad=True)

    @cl.no_grad
    def bare(a):
        return a * 2

    @cl.no_grad()
    def called(a):
        return a * 2

    assert not bare(w).requires_grad and not called(w).requires_grad
    assert (w * 2).requires_grad


def test_factories_shapes_dtypes_and_seeds():
    assert cl.zeros(2, 3).shape == (2, 3) and cl.zeros((2, 3)).dtype == np.float32
    assert cl.ones(2, dtype=cl.float64).dtype == np.float64
    assert cl.full((2, 2), 3.0).tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert cl.arange(1, 7, 2).tolist() == [1, 3, 5] and cl.arange(1.0, 2.0, 0.5).dtype == np.float32
    assert cl.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    draws = cl.randn(4, generator=3).numpy()
    np.testing.assert_array_equal(draws, cl.randn(4, generator=3).numpy())
    uniform = cl.rand(100, generator=1).numpy()
    assert 0.0 <= uniform.min() < uniform.max() < 1.0
    array = np.zeros(3)
    shared = cl.from_numpy(array)
    array[0] = 5.0
    assert shared.numpy()[0] == 5.0 and shared.dtype == np.float64
    assert cl.as_tensor(shared) is shared
    with pytest.raises(ValueError, match="size must be non-negative ints; got"):
        cl.zeros(-1)


def test_clone_and_to_keep_the_gradient_path():
    x = cl.tensor([1.0, 2.0], requires_grad=True)
    (x.clone() * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
    y = x.to(np.float64)
    assert y.dtype == np.float64 and x.to("cpu") is x


def test_ragged_data_is_a_clear_error():
    with pytest.raises(ValueError, match="tensor data must be a rectangular nested list"):
        cl.tensor([[1.0, 2.0], [3.0]])


def test_in_place_add_keeps_integer_tensors_integer():
    counts = cl.tensor([1, 2, 3])
    counts += 1
    assert counts.tolist() == [2, 3, 4] and counts.dtype == np.int64
    assert counts.add_(cl.tensor([1, 1, 1])).tolist() == [3, 4, 5]


def test_min_is_exact_for_unsigned_extreme_and_bool_data():
    d = np.array([[0, 5, 3], [7, 0, 1]], np.uint8)
    assert int(cl.tensor(d).min()) == 0
    assert cl.tensor(d).min(1).values.tolist() == [0, 0]
    assert cl.tensor(d).amin(0).tolist() == [0, 0, 1]
    smallest = np.iinfo(np.int64).min
    assert int(cl.tensor(np.array([smallest, 0])).min()) == smallest
    assert cl.tensor([True, False]).min().item() is False


def test_in_place_add_of_a_graph_value_into_a_plain_tensor_is_recorded():
    w = cl.tensor([1.0, 2.0], requires_grad=True)
    total = cl.zeros(2)
    total += w * 3.0
    total.sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]


def test_max_and_min_with_dim_send_the_gradient_to_the_returned_index_on_ties():
    torch = pytest.importorskip("torch")
    data = np.array([[1.0, 1.0, 0.0], [2.0, 5.0, 5.0]])
    for reduce in ("max", "min"):
        x, t = cl.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        for keepdim in (False, True):
            ours, theirs = getattr(x, reduce)(-1, keepdim), getattr(t, reduce)(-1, keepdim)
            assert ours.values.shape == tuple(theirs.values.shape)
            np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
            ours.values.sum().backward()
            theirs.values.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_to_takes_a_dtype_after_the_device():
    x = cl.ones(2)
    assert x.to("cpu", np.float64).dtype == np.float64
    layer = nn.Linear(2, 2).to("cpu", np.float64)
    assert layer.weight.dtype == np.float64
    with pytest.raises(TypeError, match="to\\(\\) takes one dtype"):
        x.to(np.float32, np.float64)


def test_factory_arguments_follow_torch():
    assert cl.arange(10, step=3).tolist() == [0, 3, 6, 9]
    with pytest.raises(TypeError, match="rand draws floats; dtype must be float32 or float64"):
        cl.rand(3, dtype=np.int64)
    with pytest.raises(TypeError, match="from_numpy expects an ndarray of numbers"):
        cl.from_numpy(np.array(["a"]))
