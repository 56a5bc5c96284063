"""max_pool1d/2d/3d through both paths: the numba loops and the NumPy one.

Every case runs with ``convlens.conv.compiled`` enabled and disabled and is checked position
by position against torch (values and indices exactly, gradients to 1e-12 in float64), and
the two paths against each other bit for bit, including -0.0 and NaN gradients.
"""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import functional as F
from convlens.conv import _threads, compiled

torch = pytest.importorskip("torch")
TF = torch.nn.functional


@pytest.fixture(params=["compiled", "numpy"])
def path(request):
    if request.param == "compiled":
        pytest.importorskip("numba")
    with compiled.enabled(request.param == "compiled"):
        yield request.param


# (nd, kwargs): 2x2 tiles, 1-D pairs, overlap, padding, dilation, ceil_mode, 3-D
CASES = [
    (2, dict(kernel_size=2)),
    (2, dict(kernel_size=2, stride=1)),
    (2, dict(kernel_size=2, stride=(1, 3), dilation=(2, 1))),
    (2, dict(kernel_size=3, stride=2, padding=1)),
    (2, dict(kernel_size=(3, 2), stride=1, padding=(1, 0), ceil_mode=True)),
    (2, dict(kernel_size=2, ceil_mode=True)),
    (1, dict(kernel_size=2)),
    (1, dict(kernel_size=2, stride=1, dilation=2)),
    (1, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (3, dict(kernel_size=2)),
    (3, dict(kernel_size=(2, 3, 2), stride=(1, 2, 1), padding=(1, 1, 0))),
]


def _data(nd: int, seed: int, specials: bool, dtype=np.float64) -> np.ndarray:
    """Small integers (so that windows tie), with NaN, +-inf and -0.0 sprinkled in."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=(2, 3, *rng.integers(5, 10, size=nd))).astype(dtype)
    if specials:
        flat = x.reshape(-1)
        where = rng.choice(flat.size, 6, replace=False)
        flat[where] = [np.nan, np.nan, np.inf, -np.inf, -0.0, -0.0]
    return x


def _ours(x: np.ndarray, nd: int, grad: np.ndarray | None, **kwargs):
    t = cl.tensor(x.copy(), requires_grad=True)
    y, indices = getattr(F, f"max_pool{nd}d")(t, return_indices=True, **kwargs)
    y.backward(np.ones(y.shape, dtype=x.dtype) if grad is None else grad)
    return y.numpy(), indices.numpy(), np.asarray(t.grad.numpy())


def _torch(x: np.ndarray, nd: int, **kwargs):
    t = torch.tensor(x, requires_grad=True)
    y, indices = getattr(TF, f"max_pool{nd}d")(t, return_indices=True, **kwargs)
    y.backward(torch.ones_like(y))
    return y.detach().numpy(), indices.numpy(), t.grad.numpy()


@pytest.mark.parametrize("nd, kwargs", CASES)
@pytest.mark.parametrize("specials", [False, True])
def test_max_pool_matches_torch_position_by_position(path, nd, kwargs, specials):
    x = _data(nd, seed=nd + len(kwargs), specials=specials)
    y, indices, grad = _ours(x, nd, None, **kwargs)
    ty, tindices, tgrad = _torch(x, nd, **kwargs)
    np.testing.assert_array_equal(y, ty)               # NaN in the same places, same values
    np.testing.assert_array_equal(indices, tindices)   # first maximum, last NaN
    np.testing.assert_allclose(grad, tgrad, rtol=1e-12, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lenet_shapes_match_torch_in_both_dtypes(path, dtype):
    rng = np.random.default_rng(0)
    for shape in [(4, 6, 28, 28), (4, 16, 10, 10), (3, 2, 7, 9)]:
        x = np.maximum(rng.standard_normal(shape), 0).astype(dtype)   # ReLU output: ties at 0
        y, indices, grad = _ours(x, 2, None, kernel_size=2)
        ty, tindices, tgrad = _torch(x, 2, kernel_size=2)
        np.testing.assert_array_equal(y, ty)
        np.testing.assert_array_equal(indices, tindices)
        np.testing.assert_array_equal(grad, tgrad)    # tiles: each gradient lands once


def _both_paths(x: np.ndarray, nd: int, grad: np.ndarray, **kwargs):
    results = []
    for flag in (True, False):
        with compiled.enabled(flag):
            results.append(_ours(x, nd, grad, **kwargs))
    return results


@settings(max_examples=60, deadline=None)
@given(nd=st.integers(1, 3), kernel=st.integers(1, 3), stride=st.integers(1, 3),
       dilation=st.integers(1, 2), pad=st.integers(0, 1), ceil_mode=st.booleans(),
       specials=st.booleans(), float32=st.booleans(), seed=st.integers(0, 2**16))
def test_compiled_and_numpy_paths_give_the_same_bits(nd, kernel, stride, dilation, pad,
                                                     ceil_mode, specials, float32, seed):
    pytest.importorskip("numba")
    x = _data(nd, seed, specials, np.float32 if float32 else np.float64)
    kwargs = dict(kernel_size=kernel, stride=stride, dilation=dilation,
                  padding=min(pad, kernel // 2), ceil_mode=ceil_mode)
    try:
        shape = getattr(F, f"max_pool{nd}d")(cl.tensor(x), **kwargs).shape
    except ValueError:           # an empty output: nothing to compare
        return
    grad = np.random.default_rng(seed).standard_normal(shape).astype(x.dtype)
    grad.reshape(-1)[::3] = -0.0
    grad.reshape(-1)[::7] = np.nan
    (y, i, g), (ny, ni, ng) = _both_paths(x, nd, grad, **kwargs)
    assert y.tobytes() == ny.tobytes()
    np.testing.assert_array_equal(i, ni)
    assert np.ascontiguousarray(g).tobytes() == np.ascontiguousarray(ng).tobytes()


def test_windows_of_only_padding_agree_between_paths():
    pytest.importorskip("numba")
    x = _data(2, 1, specials=False)[:, :, :2, :2]
    grad = np.ones((2, 3, 1, 1))      # the one window reads (-1, 2): padding both times
    (y, i, g), (ny, ni, ng) = _both_paths(x, 2, grad, kernel_size=2, stride=1, padding=1,
                                          dilation=3)
    assert (y == -np.inf).all() and (i == -1).all() and not g.any()
    assert y.tobytes() == ny.tobytes() and (i == ni).all() and g.tobytes() == ng.tobytes()


def test_a_tile_keeps_a_negative_zero_gradient_and_overlap_adds(path):
    x = np.array([[[[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]]])
    _, _, tiled = _ours(x, 2, np.full((1, 1, 1, 1), -0.0), kernel_size=2)
    assert np.signbit(tiled[0, 0, 0, 0]) and tiled[0, 0, 0, 0] == 0
    x[0, 0, 1, 1] = 5.0                    # now the centre wins all four 2x2 windows
    _, _, overlap = _ours(x, 2, np.ones((1, 1, 2, 2)), kernel_size=2, stride=1)
    np.testing.assert_array_equal(overlap[0, 0], [[0.0, 0.0, 0.0], [0.0, 4.0, 0.0],
                                                   [0.0, 0.0, 0.0]])


def test_unbatched_and_empty_batch_inputs(path):
    x = _data(2, 3, specials=False)
    y, indices = F.max_pool2d(cl.tensor(x[0]), 2, return_indices=True)
    ty, tindices = TF.max_pool2d(torch.tensor(x[0]), 2, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), ty.numpy())
    np.testing.assert_array_equal(indices.numpy(), tindices.numpy())
    t = cl.tensor(np.zeros((0, 2, 6, 6)), requires_grad=True)
    y = F.max_pool2d(t, 2)
    y.backward(np.zeros(y.shape))
    assert y.shape == (0, 2, 3, 3) and t.grad.shape == (0, 2, 6, 6)


def test_returned_indices_are_a_copy_the_backward_does_not_see(path):
    x = _data(2, 4, specials=False)
    t = cl.tensor(x, requires_grad=True)
    y, indices = F.max_pool2d(t, 2, return_indices=True)
    indices.numpy()[...] = 0
    y.backward(np.ones(y.shape))
    np.testing.assert_array_equal(t.grad.numpy(), _torch(x, 2, kernel_size=2)[2])


def test_results_do_not_depend_on_the_thread_count(monkeypatch):
    pytest.importorskip("numba")
    x = _data(2, 5, specials=True)
    grad = np.random.default_rng(5).standard_normal((2, 3, 4, 4))
    with compiled.enabled(True):
        for kwargs in (dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)):
            serial = _ours(x[..., :8, :8], 2, grad, **kwargs)
            monkeypatch.setattr(_threads, "SERIAL_BELOW", 0)   # every call on all threads
            parallel = _ours(x[..., :8, :8], 2, grad, **kwargs)
            monkeypatch.setattr(_threads, "SERIAL_BELOW", 100_000_000)
            for a, b in zip(serial, parallel):
                assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()


def test_a_disabled_compiler_never_imports_numba():
    code = ("import sys, numpy as np, convlens as cl\n"
            "from convlens.conv import compiled\n"
            "compiled.set_enabled(False)\n"
            "x = cl.tensor(np.ones((1, 1, 4, 4)), requires_grad=True)\n"
            "cl.functional.max_pool2d(x, 2).sum().backward()\n"
            "print('numba' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
