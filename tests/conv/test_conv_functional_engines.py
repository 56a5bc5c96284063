"""``F.conv1d``/``F.conv2d`` with every ``algorithm``: against PyTorch, finite differences,
and the edge cases the autograd op handles around the engines (bias, unbatched, empty batch,
non-zero padding modes)."""

from __future__ import annotations

import numpy as np
import pytest

import convlens as cl
from convlens import conv
from convlens import functional as F
from gradcheck import gradcheck

torch = pytest.importorskip("torch")
from reference import check_against_torch, torch_conv  # noqa: E402

ALGORITHMS = list(conv.ENGINES)

CASES = [   # nd, x_shape, w_shape, kwargs
    (2, (2, 4, 9, 10), (6, 4, 3, 3), dict(padding=1)),
    (2, (2, 4, 9, 10), (6, 2, 3, 3), dict(padding=(2, 0), groups=2)),
    (2, (1, 3, 12, 12), (4, 3, 5, 5), dict(padding="same", padding_mode="reflect")),
    (2, (2, 2, 11, 9), (2, 2, 3, 2), dict(stride=2, dilation=(1, 2), padding="full")),
    (1, (3, 2, 40), (4, 2, 7), dict(padding=3, padding_mode="circular")),
    (1, (2, 4, 300), (4, 1, 9), dict(stride=3, groups=4, padding="valid")),
]


def _supported(algorithm, x_shape, w_shape, kwargs):
    nd = len(x_shape) - 2
    spec = conv.conv_spec(f"conv{nd}d", x_shape, w_shape, kwargs.get("stride", 1),
                          kwargs.get("padding", 0) if kwargs.get("padding_mode", "zeros") ==
                          "zeros" else 0, kwargs.get("dilation", 1), kwargs.get("groups", 1))
    return conv.unsupported(algorithm, w_shape, spec) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("case", CASES, ids=range(len(CASES)))
def test_matches_torch(case, algorithm, dtype):
    nd, x_shape, w_shape, kwargs = case
    if not _supported(algorithm, x_shape, w_shape, kwargs):
        # forcing an engine onto a case it cannot compute is a clear error, not a wrong result
        with pytest.raises(ValueError, match=f"algorithm='{algorithm}' cannot compute this"):
            getattr(F, f"conv{nd}d")(cl.tensor(np.zeros(x_shape, dtype)),
                                     cl.tensor(np.zeros(w_shape, dtype)),
                                     algorithm=algorithm, **kwargs)
        return
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    cl_fn = getattr(F, f"conv{nd}d")
    check_against_torch(
        lambda x, w, b: cl_fn(x, w, b, algorithm=algorithm, **kwargs),
        lambda x, w, b: torch_conv(nd, x, w, b, **kwargs), x, w, b, dtype=dtype)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_finite_differences(algorithm):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 2, 6, 7)), rng.standard_normal((3, 2, 3, 3))
    gradcheck(lambda x, w: F.conv2d(x, w, padding=1, algorithm=algorithm), x, w)
    x1, w1 = rng.standard_normal((2, 2, 30)), rng.standard_normal((2, 2, 3))
    gradcheck(lambda x, w: F.conv1d(x, w, padding=2, algorithm=algorithm), x1, w1)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_unbatched_and_empty_batch(algorithm):
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((3, 8, 8)), rng.standard_normal((2, 3, 3, 3))
    y = F.conv2d(cl.tensor(x), cl.tensor(w), padding=1, algorithm=algorithm)
    expected = F.conv2d(cl.tensor(x[None]), cl.tensor(w), padding=1, algorithm="direct")
    np.testing.assert_allclose(y.numpy(), expected.numpy()[0], rtol=1e-10, atol=1e-10)
    empty = cl.tensor(np.zeros((0, 3, 8, 8)), requires_grad=True)
    weight = cl.tensor(w, requires_grad=True)
    out = F.conv2d(empty, weight, padding=1, algorithm=algorithm)
    assert out.shape == (0, 2, 8, 8)
    out.sum().backward()
    assert empty.grad.shape == (0, 3, 8, 8)
    np.testing.assert_array_equal(weight.grad.numpy(), np.zeros_like(w))


def test_training_step_reuses_the_forward_choice():
    """Backward runs the engine forward chose, with what forward saved."""
    rng = np.random.default_rng(3)
    x = cl.tensor(rng.standard_normal((2, 4, 64, 64)), requires_grad=True)
    w = cl.tensor(rng.standard_normal((4, 4, 21, 21)), requires_grad=True)
    assert conv.explain(x.shape, w.shape, padding=10, requires_grad=True,
                        dtype="float64").choice == "fft"
    F.conv2d(x, w, padding=10).sum().backward()
    gx, gw = x.grad.numpy().copy(), w.grad.numpy().copy()
    x.grad = w.grad = None
    F.conv2d(x, w, padding=10, algorithm="direct").sum().backward()
    np.testing.assert_allclose(gx, x.grad.numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(gw, w.grad.numpy(), rtol=1e-9, atol=1e-9)
