"""The added activations against torch.nn.functional: forward and gradients, float64 and float32.

Inputs include the kinks and thresholds (0, +-3, 6, +-1, large values) where the derivative is
a convention, so torch's convention is pinned too.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import functional as F

torch = pytest.importorskip("torch")
from gradcheck import gradcheck  # noqa: E402
from reference import TF, check_against_torch  # noqa: E402

SPECIAL = np.array([-30.0, -6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 7.0, 25.0])

# (id, convlens call, torch call); both receive the same input tensor.
CASES = [
    ("gelu", F.gelu, TF.gelu),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
     lambda x: TF.gelu(x, approximate="tanh")),
    ("silu", F.silu, TF.silu),
    ("mish", F.mish, TF.mish),
    ("elu", F.elu, TF.elu),
    ("elu_alpha", lambda x: F.elu(x, 0.3), lambda x: TF.elu(x, 0.3)),
    ("selu", F.selu, TF.selu),
    ("celu", lambda x: F.celu(x, 2.0), lambda x: TF.celu(x, 2.0)),
    ("relu6", F.relu6, TF.relu6),
    ("hardtanh", F.hardtanh, TF.hardtanh),
    ("hardtanh_range", lambda x: F.hardtanh(x, -3.0, 0.5), lambda x: TF.hardtanh(x, -3.0, 0.5)),
    ("hardswish", F.hardswish, TF.hardswish),
    ("hardsigmoid", F.hardsigmoid, TF.hardsigmoid),
    ("softplus", F.softplus, TF.softplus),
    ("softplus_beta", lambda x: F.softplus(x, beta=2.0, threshold=5.0),
     lambda x: TF.softplus(x, beta=2.0, threshold=5.0)),
    ("softsign", F.softsign, TF.softsign),
    ("logsigmoid", F.logsigmoid, TF.logsigmoid),
    ("tanhshrink", F.tanhshrink, TF.tanhshrink),
    ("softmin", lambda x: F.softmin(x, dim=1), lambda x: TF.softmin(x, dim=1)),
    ("threshold", lambda x: F.threshold(x, 0.5, -2.0), lambda x: TF.threshold(x, 0.5, -2.0)),
    ("hardshrink", F.hardshrink, TF.hardshrink),
    ("softshrink", lambda x: F.softshrink(x, 1.0), lambda x: TF.softshrink(x, 1.0)),
    ("rrelu_eval", lambda x: F.rrelu(x, 0.1, 0.4), lambda x: TF.rrelu(x, 0.1, 0.4)),
    ("relu_inplace_flag", lambda x: F.relu(x, inplace=True), lambda x: TF.relu(x.clone())),
    ("silu_inplace_flag", lambda x: F.silu(x, inplace=True), lambda x: TF.silu(x.clone())),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("ours,theirs", [c[1:] for c in CASES], ids=IDS)
def test_activation_matches_torch(ours, theirs, dtype):
    x = np.concatenate([SPECIAL, np.random.default_rng(0).standard_normal(12) * 4])
    check_against_torch(ours, theirs, x.reshape(2, 12), dtype=dtype)


@pytest.mark.parametrize("ours", [c[1] for c in CASES], ids=IDS)
def test_activation_keeps_shape_dtype_and_input(ours):
    for dtype in (np.float32, np.float64):
        data = np.linspace(-4, 4, 24, dtype=dtype).reshape(2, 3, 4)
        x = cl.tensor(data.copy())
        out = ours(x)
        assert out.shape == (2, 3, 4) and out.dtype == dtype
        np.testing.assert_array_equal(x.numpy(), data)  # inplace=True never overwrites


@pytest.mark.parametrize("ours", [c[1] for c in CASES if c[0] != "relu_inplace_flag"],
                         ids=[i for i in IDS if i != "relu_inplace_flag"])
def test_activation_gradcheck(ours):
    x = np.random.default_rng(1).standard_normal((3, 5)) * 2 + 0.01  # away from the kinks
    gradcheck(ours, x)


@settings(max_examples=30)
@given(alpha=st.floats(0.1, 3.0), beta=st.floats(0.2, 4.0), threshold=st.floats(0.5, 30.0),
       low=st.floats(-4.0, 0.0), width=st.floats(0.0, 5.0), seed=st.integers(0, 100))
def test_activation_arguments_match_torch(alpha, beta, threshold, low, width, seed):
    x = np.random.default_rng(seed).standard_normal((3, 4)) * 5
    check_against_torch(lambda t: F.elu(t, alpha), lambda t: TF.elu(t, alpha), x)
    check_against_torch(lambda t: F.celu(t, alpha), lambda t: TF.celu(t, alpha), x)
    check_against_torch(lambda t: F.softplus(t, beta, threshold),
                        lambda t: TF.softplus(t, beta, threshold), x)
    check_against_torch(lambda t: F.hardtanh(t, low, low + width),
                        lambda t: TF.hardtanh(t, low, low + width), x)


@pytest.mark.parametrize("shape,channels", [((2, 3, 4, 5), 3), ((2, 3), 3), ((4,), 1),
                                            ((2, 3, 5), 1), ((), 1)])
def test_prelu_matches_torch(shape, channels):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape)
    w = rng.uniform(-0.5, 0.5, channels)
    check_against_torch(F.prelu, TF.prelu, x, w)


@pytest.mark.parametrize("call,error,message", [
    (lambda x: F.gelu(x, approximate="fast"), ValueError,
     r"approximate must be one of 'none', 'tanh'; got 'fast'"),
    (lambda x: F.hardtanh(x, 1.0, -1.0), ValueError,
     r"hardtanh needs max_val >= min_val; got min_val=1.0, max_val=-1.0"),
    (lambda x: F.celu(x, 0.0), ValueError, r"celu needs a non-zero alpha; got alpha=0.0"),
    (lambda x: F.softplus(x, beta=0), ValueError, r"softplus needs a non-zero beta"),
    (lambda x: F.elu(x, "1"), TypeError, r"alpha must be a number; got str"),
    (lambda x: F.prelu(x, cl.tensor(np.ones(2))), ValueError,
     r"prelu expects weight of shape \(1,\) or \(3,\) \(the channels of input \(2, 3\)\); "
     r"got \(2,\)"),
    (lambda x: F.softshrink(x, -1.0), ValueError, r"softshrink needs lambd >= 0; got lambd=-1.0"),
    (lambda x: F.glu(x), ValueError, r"glu halves dimension -1, which must have an even size; "
     r"got input of shape \(2, 3\)"),
    (lambda x: F.rrelu(x, 0.5, 0.1), ValueError, r"rrelu needs lower <= upper"),
    (lambda x: F.silu(cl.tensor(np.arange(3))), TypeError,
     r"silu expects input of dtype float32 or float64; got int64"),
])
def test_activation_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(cl.tensor(np.zeros((2, 3))))


def test_rrelu_training_draws_slopes_between_lower_and_upper():
    x = cl.tensor(-np.ones(10_000), requires_grad=True)
    out = F.rrelu(x, 0.1, 0.3, training=True, generator=0)
    slopes = -out.numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and abs(slopes.mean() - 0.2) < 0.01
    out.backward(np.ones(10_000))
    np.testing.assert_array_equal(x.grad.numpy(), slopes)
    np.testing.assert_array_equal(F.rrelu(x, 0.1, 0.3, True, generator=0).numpy(), out.numpy())


@pytest.mark.parametrize("shape,dim", [((2, 6), -1), ((4, 3, 2), 0), ((2, 4, 3), 1)])
def test_glu_matches_torch(shape, dim):
    x = np.random.default_rng(4).standard_normal(shape) * 3
    check_against_torch(lambda t: F.glu(t, dim), lambda t: TF.glu(t, dim), x)
    gradcheck(lambda t: F.glu(t, dim), x)
