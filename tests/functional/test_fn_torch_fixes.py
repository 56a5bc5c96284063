"""Regression tests, each against torch, for inputs that convlens used to refuse or get wrong.

From the OpInfo run (issue 11) and the reviews (issue 10): probability targets with
``ignore_index``, unbatched ``nll_loss``, negative (cropping) ``pad``, ``batch_norm`` with any
momentum and on a ``(0,)`` input, ``softmax``/``log_softmax`` over an empty axis and with
``dtype=``, and ReLU's gradient at NaN.
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import functional as F

torch = pytest.importorskip("torch")
from reference import TF, Constant, check_against_torch  # noqa: E402


def test_probability_targets_refuse_ignore_index_as_torch_does():
    logits = np.random.default_rng(0).standard_normal((2, 3))
    probs = np.full((2, 3), 1 / 3)
    with pytest.raises(RuntimeError, match="ignore_index is not supported"):
        TF.cross_entropy(torch.tensor(logits), torch.tensor(probs), ignore_index=1)
    with pytest.raises(ValueError, match=r"cross_entropy supports ignore_index only with "
                       r"class-index targets; got ignore_index=1 with probability targets"):
        F.cross_entropy(cl.tensor(logits), cl.tensor(probs), ignore_index=1)
    check_against_torch(lambda x, t: F.cross_entropy(x, t, ignore_index=-100),
                        lambda x, t: TF.cross_entropy(x, t, ignore_index=-100), logits,
                        Constant(probs))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_takes_an_unbatched_input(reduction, weighted):
    logp = np.log(np.array([0.2, 0.5, 0.3]))
    weight = Constant(np.array([1.0, 2.0, 0.5])) if weighted else None
    target = np.array(1)
    check_against_torch(lambda x, t, w: F.nll_loss(x, t, w, reduction=reduction),
                        lambda x, t, w: TF.nll_loss(x, t, w, reduction=reduction),
                        logp, target, weight)


@settings(max_examples=60)
@given(size=st.integers(1, 6), lo=st.integers(-3, 3), hi=st.integers(-3, 3),
       lo2=st.integers(-2, 2), hi2=st.integers(-2, 2),
       mode=st.sampled_from(["constant", "reflect", "replicate", "circular"]))
def test_negative_pad_crops_as_torch(size, lo, hi, lo2, hi2, mode):
    x = np.random.default_rng(size).standard_normal((1, 2, size, size + 1))
    pad = (lo, hi, lo2, hi2)
    if mode == "circular":  # torch reads uninitialised memory when one dim crops and wraps
        assume(not any(min(a, b) < 0 < max(a, b) for a, b in ((lo, hi), (lo2, hi2))))
    try:
        expected = TF.pad(torch.tensor(x), pad, mode=mode)
    except (RuntimeError, ValueError, IndexError):
        with pytest.raises(ValueError):
            F.pad(cl.tensor(x), pad, mode=mode)
        return
    if expected.numel() == 0:
        assert F.pad(cl.tensor(x), pad, mode=mode).shape == tuple(expected.shape)
        return
    check_against_torch(lambda t: F.pad(t, pad, mode=mode),
                        lambda t: TF.pad(t, pad, mode=mode), x)


@pytest.mark.parametrize("momentum", [-0.5, 1.5, 3.0])
def test_batch_norm_takes_any_momentum(momentum):
    x = np.random.default_rng(1).standard_normal((5, 3))
    ours = (np.zeros(3), np.ones(3))
    theirs = (torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64))
    check_against_torch(lambda t: F.batch_norm(t, *ours, training=True, momentum=momentum),
                        lambda t: TF.batch_norm(t, *theirs, training=True, momentum=momentum),
                        x)
    np.testing.assert_allclose(ours[0], theirs[0].numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1].numpy(), rtol=1e-12)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_on_an_empty_vector(training):
    x = cl.tensor(np.zeros(0), requires_grad=True)
    expected = TF.batch_norm(torch.zeros(0, dtype=torch.float64), None, None, training=True)
    out = F.batch_norm(x, None, None, training=training)
    assert out.shape == tuple(expected.shape) == (0,)
    out.backward(np.zeros(0))
    assert x.grad.shape == (0,)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((0,), 0), ((2, 0), 1), ((0, 3), 0), ((0, 3), 1)])
def test_softmax_over_an_empty_axis(fn, shape, dim):
    x = np.zeros(shape)
    expected = getattr(TF, fn)(torch.tensor(x), dim)
    out = getattr(F, fn)(cl.tensor(x, requires_grad=True), dim)
    assert out.shape == tuple(expected.shape)
    out.backward(np.zeros(shape))


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("source,target", [(np.float32, np.float64), (np.float64, np.float32)])
def test_softmax_dtype_casts_first(fn, source, target):
    x = np.random.default_rng(2).standard_normal((3, 4)).astype(source)
    torch_dtype = {np.float32: torch.float32, np.float64: torch.float64}[target]
    xc, xt = cl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = getattr(F, fn)(xc, 1, dtype=target)
    expected = getattr(TF, fn)(xt, 1, dtype=torch_dtype)
    assert out.dtype == target
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = np.random.default_rng(3).standard_normal((3, 4)).astype(target)
    out.backward(g)
    expected.backward(torch.tensor(g))
    assert xc.grad.dtype == source
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_softmax_dtype_accepts_integer_input_and_refuses_integer_dtypes():
    ints = np.array([1, 2, 3])
    expected = TF.softmax(torch.tensor(ints), 0, dtype=torch.float64).numpy()
    np.testing.assert_allclose(F.softmax(cl.tensor(ints), 0, dtype=np.float64).numpy(),
                               expected, rtol=1e-12)
    with pytest.raises(TypeError, match="softmax expects dtype of dtype float32 or float64; "
                       "got int64"):
        F.softmax(cl.tensor(ints), 0, dtype=np.int64)
    with pytest.raises(TypeError, match="log_softmax expects input of dtype float32"):
        F.log_softmax(cl.tensor(ints), 0)


def test_relu_passes_the_gradient_through_nan():
    x = np.array([np.nan, -1.0, 0.0, 2.0])
    xt = torch.tensor(x, requires_grad=True)
    TF.relu(xt).backward(torch.ones(4))
    xc = cl.tensor(x, requires_grad=True)
    out = F.relu(xc)
    out.backward(np.ones(4))
    np.testing.assert_array_equal(xc.grad.numpy(), xt.grad.numpy())
    assert np.isnan(out.numpy()[0])


# -- inputs from torch's OpInfo samples that the new functions first refused ----------------
@pytest.mark.parametrize("p", [0.0, -1.0, 0.5])
def test_normalize_takes_any_order(p):
    x = np.random.default_rng(5).standard_normal((2, 3, 4))
    check_against_torch(lambda t: F.normalize(t, p, 1), lambda t: TF.normalize(t, p, 1), x)


@pytest.mark.parametrize("shape", [(20,), (5, 5), (5, 10, 5), ()])
def test_prelu_takes_a_0d_weight(shape):
    rng = np.random.default_rng(6)
    check_against_torch(F.prelu, TF.prelu, rng.standard_normal(shape), np.array(0.23))


@pytest.mark.parametrize("shape,target", [((), 0), ((5,), [1]), ((5,), 3)])
def test_multi_margin_loss_takes_unbatched_input(shape, target):
    x = np.random.default_rng(7).standard_normal(shape)
    check_against_torch(lambda a, t: F.multi_margin_loss(a, t, reduction="none"),
                        lambda a, t: TF.multi_margin_loss(a, t, reduction="none"), x,
                        np.array(target))


def test_layer_and_group_norm_take_negative_eps_and_empty_batches():
    x = np.random.default_rng(8).standard_normal((2, 6, 3)) * 3
    check_against_torch(lambda t: F.group_norm(t, 2, eps=-0.5),
                        lambda t: TF.group_norm(t, 2, eps=-0.5), x)
    check_against_torch(lambda t: F.layer_norm(t, (6, 3), eps=-0.5),
                        lambda t: TF.layer_norm(t, (6, 3), eps=-0.5), x)
    assert F.group_norm(cl.tensor(np.zeros((0, 2))), 1).shape == (0, 2)


@pytest.mark.parametrize("target_shape,var_shape", [((5, 1), (5, 5)), ((5,), (5, 1)),
                                                    ((5, 5), (1, 5)), ((1,), (5,))])
def test_gaussian_nll_loss_broadcasts_target_and_var_as_torch(target_shape, var_shape):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((5, 5)) if len(var_shape) == 2 else rng.standard_normal(5)
    y = rng.standard_normal(target_shape)
    v = rng.uniform(0.5, 2.0, var_shape)
    check_against_torch(lambda a, b, c: F.gaussian_nll_loss(a, b, c, reduction="none"),
                        lambda a, b, c: TF.gaussian_nll_loss(a, b, c, reduction="none"), x, y, v)
