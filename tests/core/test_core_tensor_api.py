"""The Tensor API: construction and dtype rules, metadata, backward, grad modes, versions."""

import sys

import numpy as np
import pytest

import convlens as cl


# -- construction and dtype rules ----------------------------------------------------------
def test_python_floats_become_float32_and_ints_int64():
    assert cl.tensor([1.0, 2.0]).dtype == np.float32
    assert cl.tensor(3.5).dtype == np.float32
    assert cl.tensor([[1, 2]]).dtype == np.int64
    assert cl.tensor([True]).dtype == np.bool_


def test_ndarrays_keep_their_dtype():
    assert cl.tensor(np.zeros(3)).dtype == np.float64
    assert cl.tensor(np.zeros(3, np.float32)).dtype == np.float32
    assert cl.tensor(np.float64(2.0)).dtype == np.float64
    assert cl.tensor([1.0], dtype=np.float64).dtype == np.float64


def test_tensor_copies_its_data():
    array = np.zeros(3)
    t = cl.tensor(array)
    array[0] = 5.0
    assert t.numpy()[0] == 0.0


def test_numpy_shape_dtype_and_friends():
    t = cl.tensor(np.arange(6.0).reshape(2, 3))
    assert isinstance(t.numpy(), np.ndarray)
    assert t.numpy() is t.data.numpy()  # shared, as torch.Tensor.numpy
    assert t.shape == (2, 3) and t.ndim == 2 and t.numel() == 6 and len(t) == 2
    assert t.size() == (2, 3) and t.size(1) == 3
    assert t.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert np.asarray(t).shape == (2, 3)


def test_reductions_return_ndarrays_not_numpy_scalars():
    t = cl.tensor(np.ones(3), requires_grad=True).sum()
    assert isinstance(t.numpy(), np.ndarray) and t.shape == ()
    assert t.item() == 3.0


@pytest.mark.parametrize(("data", "dtype"), [([1, 2], "int64"), ([1j], "complex128")])
def test_requires_grad_needs_a_float_dtype(data, dtype):
    with pytest.raises(TypeError, match=f"requires_grad=True needs a float32 or float64 "
                                        f"tensor; got dtype {dtype}"):
        cl.tensor(data, requires_grad=True)
    with pytest.raises(TypeError, match="requires_grad=True needs a float32 or float64"):
        cl.tensor(data).requires_grad_()


def test_non_numeric_data_is_refused():
    with pytest.raises(TypeError, match="tensor data must be numeric; got an array of dtype <U1"):
        cl.tensor(["a"])


def test_item_needs_one_element():
    with pytest.raises(ValueError, match=r"item\(\) needs a tensor with one element; "
                                         r"got shape \(2,\)"):
        cl.tensor([1.0, 2.0]).item()


# -- scalar and ndarray operands -----------------------------------------------------------
def test_python_scalars_do_not_promote_float32():
    x = cl.tensor([1.0, 2.0])
    for result in (x + 1.5, 2.0 * x, x / 3, x - np.float64(1.0), x ** 2, 2.0 ** x):
        assert result.dtype == np.float32


def test_integer_tensors_follow_torch_promotion():
    x = cl.tensor([1, 2])
    assert (x + 0.5).dtype == np.float32 and (x + 0.5).tolist() == [1.5, 2.5]
    assert (x * 2).dtype == np.int64
    assert (x / x).dtype == np.float32


def test_ndarray_op_tensor_gives_a_tensor_with_gradient():
    x = cl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = np.array([3.0, 4.0]) * x + np.array([1.0, 1.0]) - np.ones(2) / x
    assert isinstance(y, cl.Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0 + 1.0, 4.0 + 0.25])
    assert isinstance(np.ones((2, 2)) @ x, cl.Tensor)


def test_comparisons_are_elementwise_and_not_differentiable():
    x = cl.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    mask = x > 1.5
    assert mask.dtype == np.bool_ and mask.tolist() == [False, True, True]
    assert not mask.requires_grad
    assert (x == 2.0).tolist() == [False, True, False]


# -- backward ------------------------------------------------------------------------------
def test_backward_with_explicit_gradient():
    x = cl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * x).backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 40.0])
    assert isinstance(x.grad, cl.Tensor) and x.grad.dtype == np.float64


def test_backward_needs_a_gradient_for_non_scalars():
    x = cl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"backward\(\) without gradient needs a one-element "
                                         r"tensor; got shape \(2,\)"):
        (x * 2).backward()
    with pytest.raises(ValueError, match=r"gradient must have the tensor's shape \(2,\); "
                                         r"got \(3,\)"):
        (x * 2).backward(np.ones(3))


def test_backward_needs_a_graph():
    with pytest.raises(RuntimeError, match=r"backward\(\) needs a tensor that requires grad"):
        cl.tensor([1.0]).sum().backward()


def test_gradients_accumulate_across_backward_calls():
    x = cl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0 + 2.0, 3.0 + 4.0])


def test_diamond_graph_sums_both_paths():
    x = cl.tensor(np.array(2.0), requires_grad=True)
    a, b = x * 3, x.exp()
    y = a * b   # dy/dx = 3 e^x + 3x e^x
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 3 * np.exp(2.0) * (1 + 2.0))


def test_a_tensor_used_twice_in_one_op():
    x = cl.tensor(np.array([3.0]), requires_grad=True)
    (x * x + x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [7.0])


def test_constants_and_detached_tensors_get_no_gradient():
    x = cl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    c = cl.tensor(np.array([5.0, 5.0]))
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and d.numpy() is x.numpy()
    (x * c + d).sum().backward()
    assert c.grad is None and d.grad is None
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])


def test_intermediates_keep_no_grad_unless_retained():
    x = cl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    h, k = x * 2, x * 3
    k.retain_grad()
    (h * k).sum().backward()
    assert h.grad is None
    np.testing.assert_array_equal(k.grad.numpy(), [2.0, 4.0])
    assert not h.is_leaf and repr(h.grad_fn) == "<MulBackward>"


def test_hooks_can_replace_a_gradient():
    x = cl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [20.0, 20.0])


# -- grad modes ------------------------------------------------------------------------------
def test_no_grad_records_nothing_and_restores_the_mode():
    x = cl.tensor([1.0], requires_grad=True)
    with cl.no_grad():
        assert not cl.is_grad_enabled()
        y = x * 2
        with cl.enable_grad():
            z = x * 2
    assert cl.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad


def test_no_grad_as_a_decorator():
    @cl.no_grad()
    def double(t):
        return t * 2

    assert not double(cl.tensor([1.0], requires_grad=True)).requires_grad
    assert cl.is_grad_enabled()


# -- in-place writes and versions ------------------------------------------------------------
@pytest.mark.parametrize(("method", "args", "expected"), [
    ("add_", (1.0,), [2.0, 3.0]), ("add_", (np.ones(2),), [2.0, 3.0]),
    ("sub_", (1.0,), [0.0, 1.0]), ("mul_", (3.0,), [3.0, 6.0]), ("zero_", (), [0.0, 0.0]),
    ("fill_", (7.0,), [7.0, 7.0]), ("copy_", (np.array([5.0, 6.0]),), [5.0, 6.0]),
])
def test_in_place_methods_bump_the_version(method, args, expected):
    t = cl.tensor(np.array([1.0, 2.0]))
    data = t.numpy()
    out = getattr(t, method)(*args)
    assert out is t and t.version == 1 and t.numpy() is data
    assert t.tolist() == expected


def test_assigning_data_bumps_the_version():
    t = cl.tensor(np.zeros(2))
    t.data = np.ones(2)
    t.data = cl.tensor(np.full(2, 3.0))
    assert t.version == 2 and t.tolist() == [3.0, 3.0]


def test_writing_an_input_in_place_before_backward_is_refused():
    w = cl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (w * w).sum()
    with cl.no_grad():
        w.add_(1.0)
    with pytest.raises(RuntimeError, match=r"needed to compute the gradient of Mul \(input 0, "
                                           r"shape \(2,\)\) was changed in place after the "
                                           r"forward pass: it is at version 1, expected "
                                           r"version 0"):
        y.backward()


def test_writing_an_output_in_place_before_backward_is_refused():
    x = cl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x.exp()
    y.data.mul_(2.0)  # a write backward cannot see: the shared version counter catches it
    with pytest.raises(RuntimeError, match=r"the output of Exp \(shape \(2,\)\) was changed in "
                                           r"place"):
        y.sum().backward()


def test_updating_parameters_after_backward_is_fine():
    w = cl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (w * w).sum().backward()
    with cl.no_grad():
        w.sub_(w.grad, alpha=0.1)
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6])
    (w * w).sum().backward()   # a new graph sees the new version
    np.testing.assert_allclose(w.grad.numpy(), [2.0 + 1.6, 4.0 + 3.2])


# -- dims and shapes -------------------------------------------------------------------------
@pytest.mark.parametrize(("call", "message"), [
    (lambda t: t.sum(dim=3), r"dim \(=3\) is out of range for a tensor with 2 dimensions; "
                             r"expected a value in \[-2, 1\]"),
    (lambda t: t.mean(dim=-3), r"dim \(=-3\) is out of range"),
    (lambda t: t.unsqueeze(4), r"dim \(=4\) is out of range for a tensor with 3 dimensions"),
    (lambda t: t.flatten(0, 5), r"end_dim \(=5\) is out of range"),
    (lambda t: t.transpose(0, 2), r"dim1 \(=2\) is out of range"),
    (lambda t: cl.cat([t, t], dim=2), r"dim \(=2\) is out of range"),
])
def test_out_of_range_dims_are_refused(call, message):
    with pytest.raises(IndexError, match=message):
        call(cl.tensor(np.zeros((2, 3))))


def test_other_shape_errors():
    t = cl.tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"permute needs a permutation of the 2 dimensions; "
                                         r"got \(0, 0\)"):
        t.permute(0, 0)
    with pytest.raises(ValueError, match="dim must not repeat an axis; got"):
        t.sum(dim=(0, -2))
    with pytest.raises(ValueError, match=r"flatten needs start_dim <= end_dim; got 1 and 0"):
        t.flatten(1, 0)
    with pytest.raises(ValueError, match="cat needs at least one tensor"):
        cl.cat([])
    with pytest.raises(ValueError, match="stack needs at least one tensor"):
        cl.stack([])
    with pytest.raises(TypeError, match="dim must be an int; got float 1.0"):
        t.sum(dim=1.0)
    with pytest.raises(ValueError, match="matmul needs tensors of at least 1 dimension"):
        cl.tensor(2.0) @ t
    with pytest.raises(TypeError, match="power needs a real exponent"):
        t ** 1j


def test_zero_dim_tensors():
    s = cl.tensor(np.array(3.0), requires_grad=True)
    assert s.flatten().shape == (1,) and s.unsqueeze(0).shape == (1,)
    assert s.sum(dim=0).shape == () and s.squeeze(0).shape == ()
    (s * 2).sum().backward()
    assert s.grad.item() == 2.0


def test_edge_values_follow_torch_without_warnings():
    x = cl.tensor(np.array([0.0, 1.0]))
    assert x.log().tolist()[0] == -np.inf
    assert np.isinf((1.0 / x).tolist()[0])
    assert np.isnan((-x - 1).sqrt().tolist()[0])
    z = cl.tensor(np.array([0.0, 2.0]), requires_grad=True)
    (z ** 0).sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [0.0, 0.0])


def test_importing_convlens_does_not_import_torch():
    import subprocess

    code = "import convlens, sys; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_numpy_array_protocol_copies_when_asked():
    # np.array(t) is a snapshot (a benchmark saved "initial" weights that way and then saw
    # them trained); np.asarray(t) shares the memory, as for an ndarray
    t = cl.tensor(np.ones(3, np.float32))
    snapshot, view = np.array(t), np.asarray(t)
    t.numpy()[0] = 5.0
    assert snapshot[0] == 1.0 and view[0] == 5.0
    assert not np.shares_memory(np.array(t.data), t.numpy())
    assert np.array(t, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="without a copy"):
        np.array(t, dtype=np.float64, copy=False)
