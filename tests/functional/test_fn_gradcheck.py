"""Float64 finite-difference gradient checks for every op in convlens.functional."""

import numpy as np
import pytest

import convlens as cl
from convlens import functional as F
from gradcheck import gradcheck


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


CONV_CASES = {
    "plain": dict(),
    "stride_padding": dict(stride=2, padding=1),
    "dilation": dict(dilation=2, padding=2),
    "groups": dict(groups=2),
    "same_stride2": dict(padding="same", stride=2),
    "full": dict(padding="full"),
    "per_side": dict(padding="per_side"),
    "reflect": dict(padding=1, padding_mode="reflect"),
    "replicate": dict(padding=2, padding_mode="replicate"),
    "circular": dict(padding="same", padding_mode="circular"),
}


@pytest.mark.parametrize("algorithm", ["direct", "gemm"])
@pytest.mark.parametrize("case", sorted(CONV_CASES))
@pytest.mark.parametrize("nd", [1, 2])
def test_conv(nd, case, algorithm):
    kwargs = dict(CONV_CASES[case])
    if kwargs.get("padding") == "per_side":
        kwargs["padding"] = ((1, 0), (0, 2))[:nd]
    conv = getattr(F, f"conv{nd}d")
    groups = kwargs.get("groups", 1)
    size = (5, 4)[:nd]
    gradcheck(lambda x, w, b: conv(x, w, b, algorithm=algorithm, **kwargs),
              _rand(2, 4, *size), _rand(2 * groups, 4 // groups, *(3, 2)[:nd], seed=1),
              _rand(2 * groups, seed=2))


def test_depthwise_conv2d_and_conv3d():
    gradcheck(lambda x, w: F.conv2d(x, w, groups=3, padding=1), _rand(1, 3, 4, 4),
              _rand(6, 1, 3, 3, seed=1))
    gradcheck(lambda x, w: F.conv3d(x, w, stride=(1, 2, 1)), _rand(1, 2, 3, 4, 3),
              _rand(2, 2, 2, 2, 2, seed=1))


POOL_CASES = [
    (F.max_pool1d, dict(kernel_size=2)),
    (F.max_pool1d, dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)),
    (F.max_pool2d, dict(kernel_size=2)),
    (F.max_pool2d, dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), ceil_mode=True)),
    (F.max_pool2d, dict(kernel_size=2, dilation=2, stride=1)),
    (F.avg_pool1d, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (F.avg_pool1d, dict(kernel_size=3, padding=1, count_include_pad=False)),
    (F.avg_pool2d, dict(kernel_size=2)),
    (F.avg_pool2d, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                        count_include_pad=False)),
    (F.avg_pool2d, dict(kernel_size=2, stride=1, padding=1, divisor_override=3)),
    (F.adaptive_avg_pool1d, dict(output_size=3)),
    (F.adaptive_avg_pool2d, dict(output_size=(3, None))),
    (F.adaptive_avg_pool2d, dict(output_size=(4, 3))),
]


@pytest.mark.parametrize(("pool", "kwargs"), POOL_CASES)
def test_pooling(pool, kwargs):
    shape = (2, 2, 7) if pool.__name__.endswith("1d") else (2, 2, 5, 6)
    gradcheck(lambda x: pool(x, **kwargs), _rand(*shape))


def test_max_pool_returning_indices():
    gradcheck(lambda x: F.max_pool2d(x, 2, return_indices=True), _rand(1, 2, 4, 4))


@pytest.mark.parametrize("shape", [(4,), (3, 4), (2, 3, 4)])
def test_linear(shape):
    gradcheck(F.linear, _rand(*shape), _rand(5, 4, seed=1), _rand(5, seed=2))
    gradcheck(F.linear, _rand(*shape), _rand(5, 4, seed=1))


ACTIVATIONS = {
    "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.1),
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "softmax": lambda x: F.softmax(x, dim=1),
    "log_softmax": lambda x: F.log_softmax(x, dim=0),
    "flatten": lambda x: F.flatten(x, 1),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation(name):
    gradcheck(ACTIVATIONS[name], _rand(3, 4, 2))


CE_CASES = {
    "plain": dict(),
    "sum": dict(reduction="sum"),
    "none": dict(reduction="none"),
    "weight": dict(weight=cl.tensor(np.array([0.5, 2.0, 1.0]))),
    "ignore_index": dict(ignore_index=1),
    "label_smoothing": dict(label_smoothing=0.2, weight=cl.tensor(np.array([0.5, 2.0, 1.0]))),
}


@pytest.mark.parametrize("case", sorted(CE_CASES))
def test_cross_entropy_with_class_indices(case):
    target = cl.tensor(np.array([[0, 1], [2, 1], [1, 0]]))
    gradcheck(lambda x: F.cross_entropy(x, target, **CE_CASES[case]), _rand(3, 3, 2))


def test_cross_entropy_with_probabilities_differentiates_both_inputs():
    probabilities = np.random.default_rng(1).dirichlet(np.ones(4), size=3)
    gradcheck(lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1), _rand(3, 4),
              probabilities)


def test_nll_and_mse_losses():
    target = cl.tensor(np.array([0, 2, 1]))
    gradcheck(lambda x: F.nll_loss(x, target, reduction="sum"), _rand(3, 3))
    for reduction in ("mean", "sum", "none"):
        gradcheck(lambda x, y, r=reduction: F.mse_loss(x, y, reduction=r), _rand(3, 2),
                  _rand(3, 2, seed=1))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4)])
def test_batch_norm(training, shape):
    def norm(x, w, b):
        return F.batch_norm(x, np.zeros(3), np.ones(3), w, b, training=training, eps=1e-3)

    gradcheck(norm, _rand(*shape), _rand(3, seed=1), _rand(3, seed=2))
    gradcheck(lambda x: F.batch_norm(x, None, None, training=True), _rand(*shape))


def test_dropout_with_a_fixed_seed():
    gradcheck(lambda x: F.dropout(x, 0.4, generator=3), _rand(4, 5))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad(mode):
    gradcheck(lambda x: F.pad(x, (2, 1, 1, 2), mode=mode), _rand(2, 3, 4))
