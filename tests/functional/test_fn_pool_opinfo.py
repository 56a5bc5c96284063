"""PyTorch's own OpInfo sample inputs for every pooling function convlens has.

Each sample torch accepts runs through the convlens function of the same name in float64;
outputs (indices included) and the input gradient must agree, and nothing torch accepts may
be refused.
"""

import numpy as np
import pytest

import convlens as cl
from convlens import functional as F

torch = pytest.importorskip("torch")
common_methods = pytest.importorskip("torch.testing._internal.common_methods_invocations")

OPS = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
       "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
       "adaptive_max_pool1d", "adaptive_max_pool2d", "max_unpool1d", "max_unpool2d"]
# the max pools have hundreds of samples each; every STEP-th keeps the test short
STEP = {"max_pool1d": 8, "max_pool2d": 16, "max_pool3d": 16, "max_unpool1d": 4,
        "max_unpool2d": 8}


def _convert(value):
    if isinstance(value, torch.Tensor):
        return cl.tensor(value.detach().numpy().copy(),
                         requires_grad=value.dtype.is_floating_point)
    if isinstance(value, list | tuple):
        return type(value)(_convert(v) for v in value)
    return value


def _samples(name: str):
    infos = [op for op in common_methods.op_db if op.name == f"nn.functional.{name}"]
    for info in infos:
        samples = list(info.sample_inputs("cpu", torch.float64, requires_grad=True))
        yield from ((info, s) for s in samples[::STEP.get(name, 1)])


def _check_sample(name, info, sample) -> bool:
    """Compare one sample; False when torch itself refuses it."""
    try:
        expected = info(sample.input, *sample.args, **sample.kwargs)
    except (RuntimeError, ValueError):
        return False
    x = _convert(sample.input)
    actual = getattr(F, name)(x, *_convert(sample.args),
                              **{k: _convert(v) for k, v in sample.kwargs.items()})
    expected = expected if isinstance(expected, tuple) else (expected,)
    actual = actual if isinstance(actual, tuple) else (actual,)
    what = f"{name} on {tuple(sample.input.shape)} {sample.args} {sample.kwargs}"
    assert len(actual) == len(expected), what
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(a.numpy(), e.detach().numpy(), rtol=1e-7, atol=1e-9,
                                   err_msg=what)
    if expected[0].requires_grad:
        upstream = np.random.default_rng(0).standard_normal(actual[0].shape)
        grad = torch.autograd.grad(expected[0], sample.input, torch.tensor(upstream))[0]
        actual[0].backward(upstream)
        np.testing.assert_allclose(x.grad.numpy(), grad.numpy(), rtol=1e-7, atol=1e-9,
                                   err_msg=f"gradient of {what}")
    return True


@pytest.mark.slow
@pytest.mark.parametrize("name", OPS)
def test_opinfo_samples_match_torch(name):
    checked = sum(_check_sample(name, info, sample) for info, sample in _samples(name))
    assert checked > 0
