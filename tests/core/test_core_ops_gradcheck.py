"""Float64 finite-difference gradient checks for every Tensor op (see tests/gradcheck.py)."""

import numpy as np
import pytest

import convlens as cl
from gradcheck import gradcheck


def _rand(*shape, seed=0, low=None):
    x = np.random.default_rng(seed).standard_normal(shape)
    return x if low is None else np.abs(x) + low


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize(("shape_a", "shape_b"),
                         [((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1, 3), (2, 1)), ((), (2, 2))])
def test_binary_ops_with_broadcasting(op, shape_a, shape_b):
    gradcheck(BINARY[op], _rand(*shape_a), _rand(*shape_b, seed=1, low=0.5))


@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_ops_with_constants_on_either_side(op):
    constant = np.full((2, 3), 1.5)
    gradcheck(lambda a: BINARY[op](a, 2.5), _rand(2, 3, low=0.5))
    gradcheck(lambda a: BINARY[op](2.5, a), _rand(2, 3, low=0.5))
    gradcheck(lambda a: BINARY[op](constant, a), _rand(2, 3, low=0.5))  # ndarray <op> Tensor


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1.5, 0])
def test_pow(exponent):
    gradcheck(lambda a: a ** exponent, _rand(2, 3, low=0.5))


def test_rpow():
    gradcheck(lambda a: 2.0 ** a, _rand(2, 3))


@pytest.mark.parametrize(("shape_a", "shape_b"),
                         [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
                          ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (3, 4, 2))])
def test_matmul(shape_a, shape_b):
    gradcheck(lambda a, b: a @ b, _rand(*shape_a), _rand(*shape_b, seed=1))


UNARY = {
    "exp": (lambda a: a.exp(), None),
    "log": (lambda a: a.log(), 0.2),
    "sqrt": (lambda a: a.sqrt(), 0.2),
    "abs": (lambda a: a.abs(), None),
    "neg": (lambda a: -a, None),
    "clamp": (lambda a: a.clamp(-0.5, 0.7), None),
    "clamp_min": (lambda a: a.clamp(min=0.1), None),
    "clamp_max": (lambda a: a.clamp(max=0.1), None),
    "relu": (lambda a: a.relu(), None),
    "T": (lambda a: a.T, None),
    "double": (lambda a: a.double() * 2, None),
}


@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary_ops(op):
    fn, low = UNARY[op]
    gradcheck(fn, _rand(3, 4, low=low))


REDUCTIONS = {
    "sum": lambda a: a.sum(),
    "sum_dim": lambda a: a.sum(dim=1),
    "sum_dims_keepdim": lambda a: a.sum(dim=(0, 2), keepdim=True),
    "mean": lambda a: a.mean(),
    "mean_dim": lambda a: a.mean(dim=-1),
    "mean_keepdim": lambda a: a.mean(dim=0, keepdim=True),
    "max": lambda a: a.max(),
    "max_dim": lambda a: a.max(dim=1),
    "max_keepdim": lambda a: a.max(dim=2, keepdim=True),
}


@pytest.mark.parametrize("op", sorted(REDUCTIONS))
def test_reductions(op):
    gradcheck(REDUCTIONS[op], _rand(2, 3, 4))


def test_max_splits_the_gradient_between_tied_maxima():
    x = cl.tensor(np.array([1.0, 3.0, 3.0, 2.0]), requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5, 0.5, 0.0])


SHAPE_OPS = {
    "reshape": lambda a: a.reshape(4, 6),
    "reshape_tuple": lambda a: a.reshape((2, -1)),
    "view": lambda a: a.view(24),
    "flatten": lambda a: a.flatten(1),
    "permute": lambda a: a.permute(2, 0, 1),
    "transpose": lambda a: a.transpose(0, 2),
    "unsqueeze": lambda a: a.unsqueeze(1),
    "squeeze": lambda a: a.unsqueeze(0).squeeze(0),
    "squeeze_all": lambda a: a.reshape(1, 2, 1, 12).squeeze(),
}


@pytest.mark.parametrize("op", sorted(SHAPE_OPS))
def test_shape_ops(op):
    gradcheck(SHAPE_OPS[op], _rand(2, 3, 4))


INDEXES = {
    "int": 1,
    "slice": (slice(None), slice(1, 3)),
    "step": (Ellipsis, slice(None, None, 2)),
    "newaxis": (None, 0),
    "negative": -1,
    "list_with_repeats": [0, 0, 1, 0],
    "array_pair_with_repeats": (np.array([0, 1, 0, 0]), np.array([2, 2, 2, 0])),
    "mixed": (slice(None), [1, 1, 0]),
    "mask": np.array([[True, False, True, True], [False, False, True, False],
                      [True, True, True, True]]),
    "tensor_index": cl.tensor(np.array([2, 2, 0])),
}


@pytest.mark.parametrize("name", sorted(INDEXES))
def test_getitem(name):
    gradcheck(lambda a: a[INDEXES[name]], _rand(3, 4))


def test_getitem_with_repeats_accumulates():
    x = cl.tensor(np.zeros(3), requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat(dim):
    gradcheck(lambda a, b, c: cl.cat([a, b, c], dim=dim),
              _rand(2, 3), _rand(2, 3, seed=1), _rand(2, 3, seed=2))


def test_cat_of_unequal_sizes():
    gradcheck(lambda a, b: cl.cat([a, b], dim=1), _rand(2, 1), _rand(2, 4, seed=1))


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack(dim):
    gradcheck(lambda a, b: cl.stack([a, b], dim=dim), _rand(2, 3), _rand(2, 3, seed=1))


def test_where():
    condition = _rand(3, 4, seed=5) > 0
    gradcheck(lambda a, b: cl.where(condition, a, b), _rand(3, 4), _rand(3, 4, seed=1))
    gradcheck(lambda a, b: cl.where(cl.tensor(condition), a, b), _rand(3, 4), _rand(4, seed=1))
    gradcheck(lambda a: cl.where(condition, a, 0.0), _rand(3, 4))


def test_a_composite_expression():
    gradcheck(lambda a, b: ((a @ b).exp() / (1 + (a @ b).exp())).mean(dim=0).sum(),
              _rand(3, 4) / 3, _rand(4, 2, seed=1) / 3)
