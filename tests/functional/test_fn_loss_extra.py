"""The added losses and ``one_hot`` against torch.nn.functional, forward and gradients.

Gradients go to every float argument, targets included, as torch gives them.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import functional as F

torch = pytest.importorskip("torch")
from reference import TF, Constant, check_against_torch  # noqa: E402

REDUCTION = st.sampled_from(["mean", "sum", "none"])


def _rng(seed):
    return np.random.default_rng(seed)


def _probs(rng, shape):
    return rng.uniform(0.02, 0.98, shape)


@settings(max_examples=25)
@given(reduction=REDUCTION, beta=st.floats(0.0, 3.0), delta=st.floats(0.05, 3.0),
       seed=st.integers(0, 1000), dtype=st.sampled_from([np.float64, np.float32]))
def test_regression_losses_match_torch(reduction, beta, delta, seed, dtype):
    rng = _rng(seed)
    x, y = rng.standard_normal((3, 4)) * 2, rng.standard_normal((3, 4))
    for ours, theirs in [
        (lambda a, b: F.l1_loss(a, b, reduction), lambda a, b: TF.l1_loss(a, b,
                                                                           reduction=reduction)),
        (lambda a, b: F.smooth_l1_loss(a, b, reduction, beta),
         lambda a, b: TF.smooth_l1_loss(a, b, reduction=reduction, beta=beta)),
        (lambda a, b: F.huber_loss(a, b, reduction, delta),
         lambda a, b: TF.huber_loss(a, b, reduction=reduction, delta=delta)),
    ]:
        check_against_torch(ours, theirs, x, y, dtype=dtype)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")
@settings(max_examples=25)
@given(reduction=st.sampled_from(["mean", "sum", "none", "batchmean"]), log_target=st.booleans(),
       zeros=st.booleans(), seed=st.integers(0, 1000))
def test_kl_div_matches_torch(reduction, log_target, zeros, seed):
    rng = _rng(seed)
    logq = np.log(_probs(rng, (3, 5)))
    p = _probs(rng, (3, 5))
    if zeros and not log_target:
        p[0, :2] = 0.0  # 0 * log 0 counts as 0
    target = np.log(p) if log_target else p
    if zeros and not log_target:
        target = Constant(target)  # torch's target gradient is nan at 0; convlens gives 0
    check_against_torch(lambda a, b: F.kl_div(a, b, reduction, log_target),
                        lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target),
                        logq, target)


@settings(max_examples=25)
@given(reduction=REDUCTION, log_input=st.booleans(), full=st.booleans(),
       seed=st.integers(0, 1000))
def test_poisson_nll_matches_torch(reduction, log_input, full, seed):
    rng = _rng(seed)
    x = rng.standard_normal((4, 3)) if log_input else rng.uniform(0.1, 3.0, (4, 3))
    y = rng.poisson(2.0, (4, 3)).astype(float)
    check_against_torch(
        lambda a, b: F.poisson_nll_loss(a, b, log_input, full, reduction=reduction),
        lambda a, b: TF.poisson_nll_loss(a, b, log_input, full, reduction=reduction), x,
        Constant(y) if full else y)  # torch's target gradient with full=True is nan at 0


@pytest.mark.parametrize("var_shape", [(4, 3), (4, 1), (4,), "float"])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gaussian_nll_matches_torch(var_shape, full, reduction):
    rng = _rng(3)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    if var_shape == "float":
        var = 0.7
    else:
        var = rng.uniform(0.2, 2.0, var_shape)
        var.flat[0] = 1e-9  # clamped to eps; the gradient still flows, as in torch
    check_against_torch(
        lambda a, b, v: F.gaussian_nll_loss(a, b, v, full, reduction=reduction),
        lambda a, b, v: TF.gaussian_nll_loss(a, b, v, full, reduction=reduction), x, y, var)


@settings(max_examples=25)
@given(reduction=REDUCTION, weighted=st.booleans(), seed=st.integers(0, 1000),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_binary_cross_entropy_matches_torch(reduction, weighted, seed, dtype):
    rng = _rng(seed)
    p, y = _probs(rng, (3, 4)), _probs(rng, (3, 4))
    w = Constant(rng.uniform(0.5, 2.0, (4,))) if weighted else None
    check_against_torch(lambda a, b, c: F.binary_cross_entropy(a, b, c, reduction),
                        lambda a, b, c: TF.binary_cross_entropy(a, b, c, reduction=reduction),
                        p, y, w, dtype=dtype)


def test_binary_cross_entropy_at_0_and_1_is_finite_as_torch():
    p, y = np.array([0.0, 1.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0, 0.0])
    check_against_torch(lambda a, b: F.binary_cross_entropy(a, b, reduction="none"),
                        lambda a, b: TF.binary_cross_entropy(a, b, reduction="none"),
                        p, Constant(y))


@settings(max_examples=25)
@given(reduction=REDUCTION, weighted=st.booleans(), pos=st.booleans(),
       seed=st.integers(0, 1000))
def test_bce_with_logits_matches_torch(reduction, weighted, pos, seed):
    rng = _rng(seed)
    x, y = rng.standard_normal((3, 4)) * 4, _probs(rng, (3, 4))
    w = Constant(rng.uniform(0.5, 2.0, (3, 1))) if weighted else None
    pw = Constant(rng.uniform(0.5, 3.0, (4,))) if pos else None
    check_against_torch(
        lambda a, b, c, d: F.binary_cross_entropy_with_logits(a, b, c, reduction, d),
        lambda a, b, c, d: TF.binary_cross_entropy_with_logits(a, b, c, reduction=reduction,
                                                               pos_weight=d),
        x, y, w, pw)


@settings(max_examples=20)
@given(reduction=REDUCTION, weighted=st.booleans(), batched=st.booleans(),
       seed=st.integers(0, 1000))
def test_multilabel_soft_margin_matches_torch(reduction, weighted, batched, seed):
    rng = _rng(seed)
    shape = (3, 5) if batched else (5,)
    x, y = rng.standard_normal(shape) * 3, rng.integers(0, 2, shape).astype(float)
    w = Constant(rng.uniform(0.5, 2.0, (5,))) if weighted else None
    check_against_torch(
        lambda a, b, c: F.multilabel_soft_margin_loss(a, b, c, reduction),
        lambda a, b, c: TF.multilabel_soft_margin_loss(a, b, c, reduction=reduction),
        x, Constant(y), w)


@settings(max_examples=25)
@given(reduction=REDUCTION, margin=st.floats(-1.0, 2.0), seed=st.integers(0, 1000))
def test_margin_losses_match_torch(reduction, margin, seed):
    rng = _rng(seed)
    a, b = rng.standard_normal(6), rng.standard_normal(6)
    t = Constant(rng.choice([-1.0, 1.0], 6))
    check_against_torch(
        lambda p, q, r: F.margin_ranking_loss(p, q, r, margin, reduction),
        lambda p, q, r: TF.margin_ranking_loss(p, q, r, margin, reduction=reduction), a, b, t)
    x1, x2 = rng.standard_normal((6, 4)), rng.standard_normal((6, 4))
    labels = rng.choice([-1, 1], 6)
    check_against_torch(
        lambda p, q, r: F.cosine_embedding_loss(p, q, r, margin, reduction),
        lambda p, q, r: TF.cosine_embedding_loss(p, q, r, margin, reduction=reduction),
        x1, x2, labels)
    check_against_torch(
        lambda p, q, r: F.cosine_embedding_loss(p, q, r, margin, reduction),
        lambda p, q, r: TF.cosine_embedding_loss(p, q, r, margin, reduction=reduction),
        x1[0], x2[0], np.array(labels[0]))


@settings(max_examples=25)
@given(reduction=REDUCTION, margin=st.floats(-1.0, 2.0), p=st.sampled_from([1, 2]),
       weighted=st.booleans(), swap=st.booleans(), seed=st.integers(0, 1000))
def test_more_margin_losses_match_torch(reduction, margin, p, weighted, swap, seed):
    rng = _rng(seed)
    x, y = rng.standard_normal((4, 5)), Constant(rng.choice([-1.0, 1.0], (4, 5)))
    check_against_torch(lambda a, b: F.soft_margin_loss(a, b, reduction),
                        lambda a, b: TF.soft_margin_loss(a, b, reduction=reduction), x, y)
    check_against_torch(lambda a, b: F.hinge_embedding_loss(a, b, margin, reduction),
                        lambda a, b: TF.hinge_embedding_loss(a, b, margin, reduction=reduction),
                        np.abs(x), y)
    classes = rng.integers(0, 5, 4)
    w = Constant(rng.uniform(0.5, 2.0, 5)) if weighted else None
    check_against_torch(
        lambda a, t, c: F.multi_margin_loss(a, t, p, margin, c, reduction),
        lambda a, t, c: TF.multi_margin_loss(a, t, p, margin, c, reduction=reduction),
        x, classes, w)
    anchor, pos, neg = (rng.standard_normal((4, 3)) for _ in range(3))
    check_against_torch(
        lambda a, b, c: F.triplet_margin_loss(a, b, c, abs(margin) + 0.1, float(p), swap=swap,
                                              reduction=reduction),
        lambda a, b, c: TF.triplet_margin_loss(a, b, c, abs(margin) + 0.1, float(p), swap=swap,
                                               reduction=reduction), anchor, pos, neg)


# -- class weights on cross_entropy / nll_loss ----------------------------------------------
@settings(max_examples=40)
@given(reduction=REDUCTION, smoothing=st.sampled_from([0.0, 0.1, 0.4]),
       probabilities=st.booleans(), ignore=st.booleans(), spatial=st.booleans(),
       seed=st.integers(0, 1000))
def test_cross_entropy_class_weights_match_torch(reduction, smoothing, probabilities, ignore,
                                                 spatial, seed):
    rng = _rng(seed)
    shape = (4, 3, 2) if spatial else (4, 3)
    x = rng.standard_normal(shape)
    w = Constant(rng.uniform(0.2, 3.0, 3))
    index_shape = (shape[0], *shape[2:])
    if probabilities:
        target = Constant(np.moveaxis(rng.dirichlet(np.ones(3), index_shape), -1, 1))
        ignore_index = -100
    else:
        target = rng.integers(0, 3, index_shape)
        ignore_index = int(target.flat[0]) if ignore else -100
    check_against_torch(
        lambda a, t, c: F.cross_entropy(a, t, c, ignore_index, reduction, smoothing),
        lambda a, t, c: TF.cross_entropy(a, t, c, ignore_index=ignore_index,
                                         reduction=reduction, label_smoothing=smoothing),
        x, target, w)
    if not probabilities:
        logp = np.log(rng.dirichlet(np.ones(3), index_shape))
        logp = np.moveaxis(logp, -1, 1)
        check_against_torch(
            lambda a, t, c: F.nll_loss(a, t, c, ignore_index, reduction),
            lambda a, t, c: TF.nll_loss(a, t, c, ignore_index=ignore_index,
                                        reduction=reduction), logp, target, w)


@pytest.mark.parametrize("values,num_classes", [([0, 2, 1], -1), ([[1], [0]], 4), ([], 3)])
def test_one_hot_matches_torch(values, num_classes):
    t = np.array(values, dtype=np.int64)
    expected = TF.one_hot(torch.tensor(t), num_classes).numpy()
    out = F.one_hot(cl.tensor(t), num_classes)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("call,error,message", [
    (lambda: F.one_hot(cl.tensor([0, -1])), ValueError,
     r"one_hot expects non-negative class values; got -1"),
    (lambda: F.one_hot(cl.tensor([0, 3]), 3), ValueError,
     r"one_hot expects class values smaller than num_classes \(=3\); got 3"),
    (lambda: F.one_hot(cl.tensor([0.0])), TypeError,
     r"one_hot expects input of an integer dtype \(indices\); got float32"),
    (lambda: F.l1_loss(cl.tensor([1.0]), cl.tensor([1.0, 2.0])), ValueError,
     r"l1_loss expects target of the input's shape \(1,\); got \(2,\)"),
    (lambda: F.smooth_l1_loss(cl.tensor([1.0]), cl.tensor([1.0]), beta=-1), ValueError,
     r"beta must be a finite number in \[0.0, inf\]; got -1.0"),
    (lambda: F.huber_loss(cl.tensor([1.0]), cl.tensor([1.0]), delta=0.0), ValueError,
     r"huber_loss needs delta > 0; got delta=0.0"),
    (lambda: F.kl_div(cl.tensor([1.0]), cl.tensor([1.0]), reduction="avg"), ValueError,
     r"reduction must be one of 'mean', 'sum', 'none', 'batchmean'; got 'avg'"),
    (lambda: F.binary_cross_entropy(cl.tensor([1.5]), cl.tensor([1.0])), ValueError,
     r"binary_cross_entropy expects input values in \[0, 1\]"),
    (lambda: F.binary_cross_entropy_with_logits(cl.tensor([[1.0, 2.0]]), cl.tensor([[1.0, 0.0]]),
                                                pos_weight=cl.tensor([1.0, 2.0, 3.0])),
     ValueError, r"expects pos_weight that broadcasts to the input's shape \(1, 2\); got \(3,\)"),
    (lambda: F.gaussian_nll_loss(cl.tensor([[1.0, 2.0]]), cl.tensor([[1.0, 0.0]]),
                                 cl.tensor([1.0, 2.0, 3.0])), ValueError,
     r"gaussian_nll_loss expects var of the input's shape \(1, 2\), or with one dimension 1, "
     r"or the last dropped; got \(3,\)"),
    (lambda: F.gaussian_nll_loss(cl.tensor([1.0]), cl.tensor([1.0]), cl.tensor([-1.0])),
     ValueError, r"gaussian_nll_loss expects a non-negative var"),
    (lambda: F.margin_ranking_loss(cl.tensor([1.0]), cl.tensor([1.0]), cl.tensor(1.0)),
     ValueError, r"margin_ranking_loss expects input1, input2 and target of the same number"),
    (lambda: F.cosine_embedding_loss(cl.tensor([[1.0]]), cl.tensor([[1.0]]), cl.tensor([1, 1])),
     ValueError, r"cosine_embedding_loss expects input1 and input2 of shape \(N, D\)"),
])
def test_loss_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_a_masked_minus_inf_logit_leaves_the_loss_finite_as_in_torch(loss, reduction):
    """Only the target's log-probability enters the loss (without label smoothing): a -inf
    elsewhere, as a masked logit gives, once made the loss NaN where torch's is finite."""
    x = np.array([[0.0, -np.inf, 1.0], [2.0, 0.5, -np.inf], [-np.inf, 0.3, 0.1]], np.float32)
    if loss == "nll_loss":
        x = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    target = np.array([0, 1, 2])
    ours = cl.tensor(x, requires_grad=True)
    got = getattr(F, loss)(ours, cl.tensor(target), reduction=reduction)
    got.sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    expected = getattr(torch.nn.functional, loss)(theirs, torch.tensor(target),
                                                  reduction=reduction)
    expected.sum().backward()
    assert np.isfinite(got.numpy()).all()
    np.testing.assert_allclose(got.numpy(), expected.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_unbatched_input_takes_a_target_of_shape_one_as_torch(loss):
    x = np.arange(5.0, dtype=np.float32)
    for target in (np.array(2), np.array([2])):
        got = getattr(F, loss)(cl.tensor(x), cl.tensor(target))
        expected = getattr(torch.nn.functional, loss)(torch.tensor(x), torch.tensor(target))
        assert got.shape == () and got.item() == pytest.approx(expected.item(), rel=1e-6)
    with pytest.raises(ValueError, match=r"expects a 0-d target \(or one of shape \(1,\)\) of "
                                         r"class indices for unbatched input of shape \(5,\); "
                                         r"got target of shape \(2,\)"):
        getattr(F, loss)(cl.tensor(x), cl.tensor(np.array([0, 1])))


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("weight, ignore_index, target", [
    ([1.0, 0.0, 0.0, 1.0], -100, [1, 1, 2]),     # kept targets, all of weight 0: nan gradients
    ([1.0, 1.0, 1.0, 1.0], 1, [1, 1, 1]),        # every target ignored: zero gradients
])
def test_a_mean_over_nothing_has_torchs_gradients(loss, weight, ignore_index, target):
    x = np.random.default_rng(0).random((3, 4)).astype(np.float32)
    ours, theirs = cl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    got = getattr(F, loss)(ours, cl.tensor(np.array(target)), weight=cl.tensor(
        np.array(weight, np.float32)), ignore_index=ignore_index)
    expected = getattr(torch.nn.functional, loss)(
        theirs, torch.tensor(target), weight=torch.tensor(weight), ignore_index=ignore_index)
    got.backward()
    expected.backward()
    assert np.isnan(got.item()) and np.isnan(expected.item())
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())   # nan where torch's


def test_minus_inf_logits_give_torchs_nans_without_warnings():
    """A zero probability target against a -inf logit, and a row of -inf logits, are NaN in
    torch; convlens gives the same NaNs (the suite turns convlens's RuntimeWarnings into
    errors, so a NumPy warning here would fail the test)."""
    x = np.array([[0.0, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf]], np.float32)
    p = np.array([[0.5, 0.0, 0.5], [1.0, 0.0, 0.0]], np.float32)
    ours = cl.tensor(x, requires_grad=True)
    got = F.cross_entropy(ours, cl.tensor(p), reduction="none")
    got.sum().backward()
    expected = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(p),
                                                 reduction="none")
    np.testing.assert_array_equal(got.numpy(), expected.numpy())
    np.testing.assert_array_equal(F.log_softmax(cl.tensor(x), dim=1).numpy(),
                                  torch.log_softmax(torch.tensor(x), 1).numpy())
