"""torch's top-level functions and Tensor methods, forward and gradient against torch (float64)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
from reference import check_against_torch

torch = pytest.importorskip("torch")
SETTINGS = settings(max_examples=15, deadline=None)


@st.composite
def array_and_dim(draw, min_dims=1):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=min_dims, max_size=3)))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    seed = draw(st.integers(0, 2**16))
    return np.random.default_rng(seed).standard_normal(shape), dim


@SETTINGS
@given(array_and_dim(), st.booleans(), st.sampled_from(["max", "min"]))
def test_max_min_with_dim_return_named_values_and_indices(case, keepdim, name):
    x, dim = case
    check_against_torch(lambda a: tuple(getattr(cl, name)(a, dim, keepdim)),
                        lambda a: tuple(getattr(torch, name)(a, dim, keepdim)), x)
    result = getattr(cl, name)(cl.tensor(x), dim=dim)
    assert result.values.shape == result.indices.shape and result.indices.dtype == np.int64
    expected = getattr(torch, f"arg{name}")(torch.tensor(x), dim, keepdim).numpy()
    np.testing.assert_array_equal(getattr(cl, f"arg{name}")(cl.tensor(x), dim, keepdim).numpy(),
                                  expected)


@SETTINGS
@given(array_and_dim(), st.booleans(), st.sampled_from([0, 1, 2]))
def test_reductions_follow_torch(case, keepdim, correction):
    x, dim = case
    for name in ("sum", "mean", "amax", "amin"):
        check_against_torch(lambda a, n=name: getattr(cl, n)(a, dim, keepdim),
                            lambda a, n=name: getattr(torch, n)(a, dim, keepdim), x)
    if x.shape[dim] > correction:
        for name in ("std", "var"):
            check_against_torch(
                lambda a, n=name: getattr(a, n)(dim, keepdim=keepdim, correction=correction),
                lambda a, n=name: getattr(a, n)(dim, keepdim=keepdim, correction=correction), x)
    for p in (1, 2, 3, float("inf")):
        check_against_torch(lambda a, p=p: a.norm(p, dim, keepdim),
                            lambda a, p=p: a.norm(p, dim, keepdim), x)


@SETTINGS
@given(array_and_dim(), st.booleans(), st.data())
def test_topk_sort_and_argsort(case, descending, data):
    x, dim = case
    k = data.draw(st.integers(0, x.shape[dim]))
    check_against_torch(lambda a: tuple(cl.topk(a, k, dim, largest=descending)),
                        lambda a: tuple(torch.topk(a, k, dim, largest=descending)), x)
    check_against_torch(lambda a: tuple(a.sort(dim, descending)),
                        lambda a: tuple(a.sort(dim, descending)), x)
    check_against_torch(lambda a: cl.argsort(a, dim, descending),
                        lambda a: torch.argsort(a, dim, descending), x, grad=False)


@SETTINGS
@given(array_and_dim(min_dims=2), st.data())
def test_gather_scatter_index_select_and_masked_fill(case, data):
    x, dim = case
    rng = np.random.default_rng(data.draw(st.integers(0, 99)))
    shape = list(x.shape)
    shape[dim] = data.draw(st.integers(1, 4))
    index = rng.integers(0, x.shape[dim], size=shape)
    check_against_torch(lambda a: cl.gather(a, dim, cl.tensor(index)),
                        lambda a: torch.gather(a, dim, torch.tensor(index)), x)
    perm = np.stack([rng.permutation(x.shape[dim]) for _ in range(int(np.prod(x.shape)))])
    unique = np.moveaxis(perm[: int(np.prod(x.shape)) // x.shape[dim]].reshape(
        *np.delete(x.shape, dim), x.shape[dim]), -1, dim)  # distinct targets along dim
    src = rng.standard_normal(x.shape)
    check_against_torch(lambda a, s: a.scatter(dim, cl.tensor(unique), s),
                        lambda a, s: a.scatter(dim, torch.tensor(unique), s), x, src)
    check_against_torch(lambda a, s: a.scatter_add(dim, cl.tensor(index), s),
                        lambda a, s: a.scatter_add(dim, torch.tensor(index), s), x,
                        rng.standard_normal(index.shape))
    rows = rng.integers(0, x.shape[dim], size=5)
    check_against_torch(lambda a: a.index_select(dim, cl.tensor(rows)),
                        lambda a: a.index_select(dim, torch.tensor(rows)), x)
    mask = rng.random(x.shape[-1]) < 0.5
    check_against_torch(lambda a: a.masked_fill(cl.tensor(mask), -2.5),
                        lambda a: a.masked_fill(torch.tensor(mask), -2.5), x)


@SETTINGS
@given(array_and_dim(), st.integers(1, 3))
def test_split_chunk_expand_and_repeat(case, pieces):
    x, dim = case
    check_against_torch(lambda a: tuple(cl.split(a, pieces, dim)),
                        lambda a: tuple(torch.split(a, pieces, dim)), x)
    check_against_torch(lambda a: tuple(a.chunk(pieces, dim)),
                        lambda a: tuple(a.chunk(pieces, dim)), x)
    sizes = (2,) + tuple(3 if n == 1 else -1 for n in x.shape)
    check_against_torch(lambda a: a.expand(*sizes), lambda a: a.expand(*sizes), x)
    repeats = (2,) * (x.ndim + 1)
    check_against_torch(lambda a: a.repeat(*repeats), lambda a: a.repeat(*repeats), x)
    other = np.zeros((int(np.prod(x.shape)),))
    check_against_torch(lambda a, o: a.view_as(o) * o, lambda a, o: a.view_as(o) * o, x, other)


@pytest.mark.parametrize("equation, shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("ii->i", [(3, 3)]), ("ij->", [(2, 3)]), ("...ij,...jk", [(2, 2, 3), (3, 2)]),
    ("i,j->ij", [(2,), (3,)]), ("ij,ij->i", [(2, 3), (2, 3)]),
])
def test_einsum_mm_bmm_and_matmul(equation, shapes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    check_against_torch(lambda *a: cl.einsum(equation, *a),
                        lambda *a: torch.einsum(equation, *a), *arrays)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    check_against_torch(cl.mm, torch.mm, a, b)
    check_against_torch(cl.matmul, torch.matmul, a, b)
    check_against_torch(cl.bmm, torch.bmm, a[None], b[None])
    with pytest.raises(ValueError, match=r"mm expects two 2-D tensors; got shapes \(3,\)"):
        cl.mm(cl.ones(3), cl.ones(3, 2))


def test_elementwise_functions_and_clamp_with_tensor_bounds():
    rng = np.random.default_rng(1)
    x = rng.uniform(0.1, 3.0, (3, 4))
    for name in ("exp", "log", "sqrt", "abs"):
        check_against_torch(getattr(cl, name), getattr(torch, name), x)
    low, high = rng.uniform(0, 1, (4,)), rng.uniform(1.5, 2.5, (3, 1))
    check_against_torch(cl.clamp, torch.clamp, x, low, high)
    check_against_torch(lambda a: cl.clamp(a, max=1.0), lambda a: torch.clamp(a, max=1.0), x)
    check_against_torch(cl.maximum, torch.maximum, x, np.round(x))
    check_against_torch(lambda a, b: cl.where(a > 1.0, a, b),
                        lambda a, b: torch.where(a > 1.0, a, b), x, rng.standard_normal(4))
    check_against_torch(cl.pow, torch.pow, x, rng.uniform(-1, 2, (3, 4)))
    check_against_torch(lambda a, b: cl.div(a, b, rounding_mode="floor"),
                        lambda a, b: torch.div(a, b, rounding_mode="floor"), x, x[::-1].copy())


def test_comparisons_conversions_and_predicates():
    a, b = cl.tensor([1.0, 2.0, 3.0]), cl.tensor([1.0, 0.0, 5.0])
    for name in ("eq", "ne", "lt", "le", "gt", "ge"):
        got = getattr(a, name)(b)
        want = getattr(torch.tensor([1.0, 2.0, 3.0]), name)(torch.tensor([1.0, 0.0, 5.0]))
        assert got.dtype == np.bool_ and got.tolist() == want.tolist()
    assert cl.equal(a, a.clone()) and not cl.equal(a, b) and cl.allclose(a, a + 1e-9)
    assert cl.is_tensor(a) and not cl.is_tensor(a.numpy()) and cl.numel(cl.ones(2, 3)) == 6
    for method in ("float", "double", "long", "int", "bool", "byte", "short"):
        got, want = getattr(a, method)(), getattr(torch.tensor([1.0, 2.0, 3.0]), method)()
        assert got.dtype.name == str(want.dtype).replace("torch.", "")
        assert got.type() == want.type()
    assert a.type() == "torch.FloatTensor" and a.type(cl.int64).dtype == np.int64
    assert a.type("torch.DoubleTensor").dtype == np.float64
    for name in ("float32", "float", "float64", "double", "int64", "long", "int32", "int",
                 "bool", "uint8", "int16", "int8", "float16", "half", "short"):
        assert np.dtype(getattr(cl, name)).name == str(getattr(torch, name)).replace("torch.", "")


def test_indexing_with_tensors_assignment_and_index():
    data = np.arange(12.0).reshape(3, 4)
    x, t = cl.tensor(data.copy()), torch.tensor(data.copy())
    rows, mask = [2, 0, 2], data[:, 0] > 2
    assert x[cl.tensor(rows)].tolist() == t[torch.tensor(rows)].tolist()
    assert x[cl.tensor(mask)].tolist() == t[torch.tensor(mask)].tolist()
    x[x > 6] = -1.0
    t[t > 6] = -1.0
    x[cl.tensor(0), 1:3] = cl.tensor([7.0, 8.0])
    t[torch.tensor(0), 1:3] = torch.tensor([7.0, 8.0])
    assert x.tolist() == t.tolist()
    labels = ["cat", "dog", "eel"]
    assert labels[cl.tensor(2)] == "eel" and labels[cl.tensor([1]).max()] == "dog"
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        labels[cl.tensor(1.0)]
    check_against_torch(lambda a: a[cl.tensor([1, 1, 0])], lambda a: a[torch.tensor([1, 1, 0])],
                        data)


def test_small_idioms_from_training_scripts():
    loss = cl.tensor([0.123456]).sum()
    assert f"{loss:.3f}" == "0.123" and f"{loss:.2f}" == "0.12"
    rows = [r.tolist() for r in cl.tensor([[1, 2], [3, 4]])]
    assert rows == [[1, 2], [3, 4]]
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(cl.tensor(1.0))
    x = cl.ones(2, dtype=cl.float64)
    assert x.new_zeros(3).dtype == np.float64 and x.new_full((2,), 4.0).tolist() == [4.0, 4.0]
    assert x.new_tensor([1, 2]).dtype == np.float64 and abs(-x).tolist() == [1.0, 1.0]
    assert (cl.tensor([1, 0]).bool() & cl.tensor([True, True])).tolist() == [True, False]
    assert x.nelement() == 2 and x.ndimension() == 1
    cl.use_deterministic_algorithms(True)
    assert cl.tensor([1.0], device="cpu").device == cl.device("cpu")


def test_python_scalar_next_to_a_float64_array_stays_float64():
    # an optimizer's p.sub_(grad_array, alpha=lr) multiplies an ndarray by a Python float:
    # rounding lr to float32 first moved float64 trajectories by 1e-9 per step
    from convlens import _ops

    grad = np.array([0.11, 0.13])
    assert _ops.mul(grad, 0.1).dtype == np.float64
    np.testing.assert_array_equal(_ops.mul(grad, 0.1).numpy(), grad * 0.1)
    p = cl.tensor(np.array([0.3, 0.7]))
    p.sub_(grad, alpha=0.1)
    np.testing.assert_array_equal(p.numpy(), np.array([0.3, 0.7]) - 0.1 * grad)
