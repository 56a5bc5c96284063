"""Loss modules against torch.nn: values and gradients, weight buffers in state_dict, the
deprecated size_average/reduce pair, and save/load."""

import numpy as np
import pytest

import convlens as cl
from convlens import nn

torch = pytest.importorskip("torch")



class Fixed:
    """An input that gets no gradient in either library (torch refuses one for it)."""

    def __init__(self, array):
        self.array = array


RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3))
P = RNG.uniform(0.05, 0.95, (4, 3))
Y = RNG.uniform(0.05, 0.95, (4, 3))
CLASSES = RNG.integers(0, 3, 4)
W = RNG.uniform(0.5, 2.0, 3)
SIGN = RNG.choice([-1.0, 1.0], 4)
LABELS = RNG.choice([-1, 1], 4)
VAR = RNG.uniform(0.5, 2.0, (4, 1))

# (id, module from either library (L) and a weight maker (T), inputs; float inputs get grads)
CASES = [
    ("ce_weight", lambda L, T: L.CrossEntropyLoss(weight=T(W)), (X, CLASSES)),
    ("ce_weight_smooth_sum", lambda L, T: L.CrossEntropyLoss(T(W), reduction="sum",
                                                             label_smoothing=0.2), (X, CLASSES)),
    ("ce_weight_ignore", lambda L, T: L.CrossEntropyLoss(T(W), ignore_index=int(CLASSES[0])),
     (X, CLASSES)),
    ("nll_weight", lambda L, T: L.NLLLoss(T(W)), (np.log(P), CLASSES)),
    ("nll_legacy_sum", lambda L, T: L.NLLLoss(size_average=False), (np.log(P), CLASSES)),
    ("l1", lambda L, T: L.L1Loss(), (X, Y)),
    ("l1_legacy_none", lambda L, T: L.L1Loss(reduce=False), (X, Y)),
    ("smooth_l1", lambda L, T: L.SmoothL1Loss(beta=0.5), (X, Y)),
    ("huber", lambda L, T: L.HuberLoss(delta=0.3), (X, Y)),
    ("kl_batchmean", lambda L, T: L.KLDivLoss(reduction="batchmean"), (np.log(P), Y)),
    ("kl_log_target", lambda L, T: L.KLDivLoss(reduction="sum", log_target=True),
     (np.log(P), np.log(Y))),
    ("bce", lambda L, T: L.BCELoss(T(W)), (P, Y)),
    ("bce_logits", lambda L, T: L.BCEWithLogitsLoss(pos_weight=T(W)), (X, Y)),
    ("bce_logits_both", lambda L, T: L.BCEWithLogitsLoss(T(W), reduction="none",
                                                         pos_weight=T(W[::-1].copy())), (X, Y)),
    ("multilabel", lambda L, T: L.MultiLabelSoftMarginLoss(T(W)), (X, np.round(Y))),
    ("margin_ranking", lambda L, T: L.MarginRankingLoss(0.2), (X[:, 0], X[:, 1], SIGN)),
    ("cosine", lambda L, T: L.CosineEmbeddingLoss(0.1), (X, Y, LABELS)),
    ("poisson", lambda L, T: L.PoissonNLLLoss(), (X, np.round(Y * 3))),
    ("poisson_full", lambda L, T: L.PoissonNLLLoss(log_input=False, full=True),
     (P, np.round(Y * 3) + 1)),
    ("gaussian", lambda L, T: L.GaussianNLLLoss(full=True), (X, Y, VAR)),
    ("soft_margin", lambda L, T: L.SoftMarginLoss(), (X, Fixed(np.sign(Y - 0.5)))),
    ("hinge_embedding", lambda L, T: L.HingeEmbeddingLoss(0.5), (np.abs(X), np.sign(Y - 0.5))),
    ("multi_margin", lambda L, T: L.MultiMarginLoss(2, 0.7, T(W)), (X, CLASSES)),
    ("triplet", lambda L, T: L.TripletMarginLoss(0.5, p=1.0, swap=True), (X, Y, P)),
]
IDS = [c[0] for c in CASES]


def _torch_in(a):
    if isinstance(a, Fixed):
        return torch.tensor(a.array)
    if a.dtype.kind == "f":
        return torch.tensor(a, requires_grad=True)
    return torch.tensor(a)


def _ours_in(a):
    if isinstance(a, Fixed):
        return cl.tensor(a.array)
    return cl.tensor(a, requires_grad=a.dtype.kind == "f")


@pytest.mark.filterwarnings("ignore:size_average and reduce args:UserWarning")
@pytest.mark.parametrize("build,inputs", [c[1:] for c in CASES], ids=IDS)
def test_loss_module_matches_torch(build, inputs):
    ours = build(nn, lambda a: cl.tensor(a))
    theirs = build(torch.nn, lambda a: torch.tensor(a))
    ours_in = [_ours_in(a) for a in inputs]
    theirs_in = [_torch_in(a) for a in inputs]
    out, expected = ours(*ours_in), theirs(*theirs_in)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    grad = np.random.default_rng(1).standard_normal(tuple(expected.shape))
    out.backward(grad)
    expected.backward(torch.tensor(grad))
    for mine, theirs_t in zip(ours_in, theirs_in):
        if theirs_t.requires_grad and theirs_t.grad is not None:
            np.testing.assert_allclose(mine.grad.numpy(), theirs_t.grad.numpy(), rtol=1e-8,
                                       atol=1e-12)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy())


@pytest.mark.parametrize("build,inputs", [c[1:] for c in CASES], ids=IDS)
def test_loss_module_save_load(build, inputs, tmp_path):
    loss = build(nn, lambda a: cl.tensor(a))
    cl.save(loss, tmp_path / "loss.convlens")
    loaded = cl.load(tmp_path / "loss.convlens")
    assert repr(loaded) == repr(loss) and loaded.get_config() == loss.get_config()
    args = [cl.tensor(a.array if isinstance(a, Fixed) else a) for a in inputs]
    np.testing.assert_array_equal(loaded(*args).numpy(), loss(*args).numpy())


def test_loss_module_repr_shows_non_default_options():
    assert repr(nn.SmoothL1Loss(beta=2.0)) == "SmoothL1Loss(beta=2.0)"
    assert repr(nn.KLDivLoss(reduction="batchmean", log_target=True)) == \
        "KLDivLoss(reduction='batchmean', log_target=True)"
    assert repr(nn.CrossEntropyLoss(cl.tensor(W), label_smoothing=0.1)) == \
        "CrossEntropyLoss(label_smoothing=0.1)"


@pytest.mark.parametrize("make,error,message", [
    (lambda: nn.BCELoss(weight=[1.0, 2.0]), TypeError,
     "weight must be a convlens Tensor, an ndarray or None; got list"),
    (lambda: nn.CrossEntropyLoss(weight=cl.tensor([1, 2])), TypeError,
     "CrossEntropyLoss expects weight of dtype float32 or float64; got int64"),
    (lambda: nn.KLDivLoss(reduction="avg"), ValueError,
     "reduction must be one of 'mean', 'sum', 'none', 'batchmean'; got 'avg'"),
    (lambda: nn.HuberLoss(delta=-1.0), ValueError, r"delta must be a finite number in \[0.0"),
])
def test_loss_module_argument_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()
