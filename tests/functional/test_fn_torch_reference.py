"""convlens.functional against torch.nn.functional: forward and gradients, one helper.

Hypothesis draws the configurations; the example counts below are kept small so the whole
file runs in well under a minute. Per run it draws
``N_CONV1D + N_CONV2D + N_MAX_POOL + N_AVG_POOL + N_ADAPTIVE + N_CROSS_ENTROPY`` = 630
valid configurations (draws rejected by ``assume`` are not counted); the parametrised cases
come on top.
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import functional as F

torch = pytest.importorskip("torch")
from reference import (  # noqa: E402
    TF,
    Constant,
    check_against_torch,
    explicit_padding,
    torch_conv,
)

N_CONV1D, N_CONV2D = 120, 200
N_MAX_POOL, N_AVG_POOL, N_ADAPTIVE = 100, 80, 50
N_CROSS_ENTROPY = 80

DTYPES = st.sampled_from([np.float64, np.float32])


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


# -- convolution -------------------------------------------------------------------------------
@st.composite
def conv_configs(draw, nd: int):
    """Shapes, stride, padding (ints, tuples, pairs, strings), mode, dilation, groups, bias."""
    depthwise = draw(st.booleans())
    groups = draw(st.integers(1, 3))
    c_in = groups if depthwise else groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    kernel = draw(st.tuples(*[st.integers(1, 4)] * nd))
    stride = draw(st.tuples(*[st.integers(1, 3)] * nd))
    dilation = draw(st.tuples(*[st.integers(1, 2)] * nd))
    size = draw(st.tuples(*[st.integers(1, 9)] * nd))
    kind = draw(st.sampled_from(["int", "tuple", "pairs", "valid", "same", "full"]))
    padding = {
        "int": draw(st.integers(0, 3)),
        "tuple": draw(st.tuples(*[st.integers(0, 3)] * nd)),
        "pairs": tuple(draw(st.tuples(st.integers(0, 3), st.integers(0, 3))) for _ in range(nd)),
    }.get(kind, kind)
    mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    if len(set(stride)) == 1 and draw(st.booleans()):
        stride = stride[0]                                   # an int, not a tuple
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups,
                  padding_mode=mode)
    return dict(nd=nd, batch=draw(st.integers(1, 2)), c_in=c_in, c_out=c_out, kernel=kernel,
                size=size, bias=draw(st.booleans()), kwargs=kwargs,
                algorithm=draw(st.sampled_from(["direct", "gemm"])), dtype=draw(DTYPES),
                seed=draw(st.integers(0, 2**16)))


def _pairs(config) -> list[tuple[int, int]]:
    kw, nd = config["kwargs"], config["nd"]
    stride = (kw["stride"],) * nd if isinstance(kw["stride"], int) else kw["stride"]
    return explicit_padding(kw["padding"], config["size"], config["kernel"], stride,
                            kw["dilation"])


def _run_conv(config) -> None:
    nd, kw = config["nd"], config["kwargs"]
    pairs = _pairs(config)
    for (lo, hi), n, k, d in zip(pairs, config["size"], config["kernel"], kw["dilation"]):
        assume(n + lo + hi >= d * (k - 1) + 1)              # the kernel fits the padded input
        assume(kw["padding_mode"] != "reflect" or max(lo, hi) < n)
        assume(kw["padding_mode"] != "circular" or max(lo, hi) <= n)
    rng = _rng(config["seed"])
    x = rng.standard_normal((config["batch"], config["c_in"], *config["size"]))
    w = rng.standard_normal((config["c_out"], config["c_in"] // kw["groups"], *config["kernel"]))
    b = rng.standard_normal(config["c_out"]) if config["bias"] else None
    ours = getattr(F, f"conv{nd}d")
    check_against_torch(
        lambda x, w, b: ours(x, w, b, **kw, algorithm=config["algorithm"]),
        lambda x, w, b: torch_conv(nd, x, w, b, **kw), x, w, b, dtype=config["dtype"])


@settings(max_examples=N_CONV1D)
@given(config=conv_configs(1))
def test_conv1d_matches_torch(config):
    _run_conv(config)


@settings(max_examples=N_CONV2D)
@given(config=conv_configs(2))
def test_conv2d_matches_torch(config):
    _run_conv(config)


@pytest.mark.parametrize("algorithm", ["direct", "gemm"])
def test_unbatched_conv2d_matches_torch(algorithm):
    rng = _rng(1)
    check_against_torch(lambda x, w: F.conv2d(x, w, padding=1, algorithm=algorithm),
                        lambda x, w: TF.conv2d(x, w, padding=1),
                        rng.standard_normal((3, 5, 6)), rng.standard_normal((4, 3, 3, 3)))


# -- pooling -----------------------------------------------------------------------------------
@st.composite
def pool_configs(draw, dilation: bool):
    nd = draw(st.integers(1, 2))
    kernel = draw(st.tuples(*[st.integers(1, 4)] * nd))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    return dict(
        nd=nd, shape=(draw(st.integers(1, 2)), draw(st.integers(1, 3)),
                      *draw(st.tuples(*[st.integers(1, 9)] * nd))),
        kernel=kernel, stride=draw(st.one_of(st.none(), st.tuples(*[st.integers(1, 3)] * nd))),
        padding=padding, dilation=draw(st.tuples(*[st.integers(1, 3)] * nd)) if dilation else 1,
        ceil_mode=draw(st.booleans()), dtype=draw(DTYPES), seed=draw(st.integers(0, 2**16)),
        ties=draw(st.booleans()), unbatched=draw(st.booleans()))


def _pool_input(config) -> np.ndarray:
    x = _rng(config["seed"]).standard_normal(config["shape"])
    if config["ties"]:  # few distinct values: exercises the first-maximum tie rule
        x = np.round(x)
    return x[0] if config["unbatched"] else x


def _torch_output_fits(fn) -> bool:
    """Torch raises for configurations with an empty output; convlens must too (checked
    separately in the error tests), so such draws are skipped here."""
    try:
        fn()
    except RuntimeError:
        return False
    return True


@settings(max_examples=N_MAX_POOL)
@given(config=pool_configs(dilation=True), return_indices=st.booleans())
def test_max_pool_matches_torch(config, return_indices):
    nd, x = config["nd"], _pool_input(config)
    args = (config["kernel"], config["stride"], config["padding"], config["dilation"],
            config["ceil_mode"], return_indices)
    torch_fn = getattr(TF, f"max_pool{nd}d")
    assume(_torch_output_fits(lambda: torch_fn(torch.tensor(x), *args)))
    # a window that meets only padding has no defined argmax in torch: leave it out
    assume(bool(np.isfinite(torch_fn(torch.tensor(x), *args[:5]).numpy()).all()))
    check_against_torch(lambda t: getattr(F, f"max_pool{nd}d")(t, *args),
                        lambda t: torch_fn(t, *args), x, dtype=config["dtype"])


@settings(max_examples=N_AVG_POOL)
@given(config=pool_configs(dilation=False), count_include_pad=st.booleans(),
       divisor_override=st.one_of(st.none(), st.integers(1, 5)))
def test_avg_pool_matches_torch(config, count_include_pad, divisor_override):
    nd, x = config["nd"], _pool_input(config)
    args = (config["kernel"], config["stride"], config["padding"], config["ceil_mode"],
            count_include_pad) + ((divisor_override,) if nd == 2 else ())
    torch_fn = getattr(TF, f"avg_pool{nd}d")
    assume(_torch_output_fits(lambda: torch_fn(torch.tensor(x), *args)))
    check_against_torch(lambda t: getattr(F, f"avg_pool{nd}d")(t, *args),
                        lambda t: torch_fn(t, *args), x, dtype=config["dtype"])


@settings(max_examples=N_ADAPTIVE)
@given(nd=st.integers(1, 2), size=st.tuples(st.integers(1, 11), st.integers(1, 11)),
       out=st.tuples(st.one_of(st.none(), st.integers(1, 7)), st.integers(1, 7)),
       dtype=DTYPES, seed=st.integers(0, 2**16))
def test_adaptive_avg_pool_matches_torch(nd, size, out, dtype, seed):
    x = _rng(seed).standard_normal((2, 3, *size[:nd]))
    output_size = out if nd == 2 else out[1]
    check_against_torch(lambda t: getattr(F, f"adaptive_avg_pool{nd}d")(t, output_size),
                        lambda t: getattr(TF, f"adaptive_avg_pool{nd}d")(t, output_size),
                        x, dtype=dtype)


def test_global_average_pooling_is_adaptive_output_1():
    x = _rng(2).standard_normal((2, 3, 5, 7))
    check_against_torch(lambda t: F.adaptive_avg_pool2d(t, 1),
                        lambda t: t.mean(dim=(2, 3), keepdim=True), x)


# -- linear, activations, softmax ------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 3, 5), (0, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias, dtype):
    rng = _rng(3)
    b = rng.standard_normal(3) if bias else None
    check_against_torch(F.linear, TF.linear, rng.standard_normal(shape),
                        rng.standard_normal((3, 5)), b, dtype=dtype)


ACTIVATIONS = [
    (F.relu, TF.relu), (F.sigmoid, torch.sigmoid), (F.tanh, torch.tanh),
    (lambda t: F.leaky_relu(t, 0.2), lambda t: TF.leaky_relu(t, 0.2)),
    (F.leaky_relu, TF.leaky_relu),
    (lambda t: F.softmax(t, dim=1), lambda t: TF.softmax(t, dim=1)),
    (lambda t: F.softmax(t, dim=-1), lambda t: TF.softmax(t, dim=-1)),
    (lambda t: F.log_softmax(t, dim=0), lambda t: TF.log_softmax(t, dim=0)),
    (lambda t: F.log_softmax(t, dim=1), lambda t: TF.log_softmax(t, dim=1)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("ours", "theirs"), ACTIVATIONS)
def test_activation_matches_torch(ours, theirs, dtype):
    x = 3 * _rng(4).standard_normal((3, 4, 5))
    x[0, 0, :2] = [40.0, -40.0]  # far in the tails: sigmoid and softmax must stay finite
    check_against_torch(ours, theirs, x, dtype=dtype)


def test_flatten_matches_torch():
    x = _rng(5).standard_normal((2, 3, 4, 5))
    check_against_torch(lambda t: F.flatten(t, 1, 2), lambda t: torch.flatten(t, 1, 2), x)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize(("shape", "pad"), [((2, 3, 5), (1, 2)), ((2, 3, 4, 5), (2, 0, 1, 3))])
def test_pad_matches_torch(mode, shape, pad):
    x = _rng(6).standard_normal(shape)
    check_against_torch(lambda t: F.pad(t, pad, mode), lambda t: TF.pad(t, pad, mode), x)


# -- losses ------------------------------------------------------------------------------------
@settings(max_examples=N_CROSS_ENTROPY)
@given(batch=st.integers(1, 4), classes=st.integers(2, 5), extra=st.sampled_from([(), (3,)]),
       probabilities=st.booleans(), weighted=st.booleans(), ignore=st.booleans(),
       label_smoothing=st.sampled_from([0.0, 0.1, 0.5]),
       reduction=st.sampled_from(["mean", "sum", "none"]), dtype=DTYPES,
       seed=st.integers(0, 2**16))
def test_cross_entropy_matches_torch(batch, classes, extra, probabilities, weighted, ignore,
                                     label_smoothing, reduction, dtype, seed):
    rng = _rng(seed)
    logits = 2 * rng.standard_normal((batch, classes, *extra))
    if probabilities:
        target = rng.dirichlet(np.ones(classes), size=(batch, *extra))
        target = np.moveaxis(target, -1, 1)                  # (N, C, *d), a float target
    else:
        target = rng.integers(0, classes, size=(batch, *extra))
        if ignore:
            target.reshape(-1)[0] = -100
    weight = Constant(rng.random(classes) + 0.5) if weighted else None
    kwargs = dict(reduction=reduction, label_smoothing=label_smoothing)
    check_against_torch(lambda x, t, w: F.cross_entropy(x, t, w, **kwargs),
                        lambda x, t, w: TF.cross_entropy(x, t, w, **kwargs),
                        logits, target, weight, dtype=dtype)


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("target", [np.array(2), np.array([0.2, 0.3, 0.5])])
def test_unbatched_cross_entropy_matches_torch(target, reduction):
    check_against_torch(lambda x, t: F.cross_entropy(x, t, reduction=reduction),
                        lambda x, t: TF.cross_entropy(x, t, reduction=reduction),
                        _rng(7).standard_normal(3), target)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_and_mse_losses_match_torch(reduction):
    rng = _rng(8)
    logp = np.log(rng.dirichlet(np.ones(4), size=5))
    target = np.array([0, 3, -100, 1, 1])
    check_against_torch(lambda x, t: F.nll_loss(x, t, reduction=reduction),
                        lambda x, t: TF.nll_loss(x, t, reduction=reduction), logp, target)
    check_against_torch(lambda x, y: F.mse_loss(x, y, reduction=reduction),
                        lambda x, y: TF.mse_loss(x, y, reduction=reduction),
                        rng.standard_normal((3, 4)), rng.standard_normal((3, 4)))


# -- batch norm and dropout --------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_matches_torch_and_updates_running_stats(shape, training, affine, dtype):
    rng = _rng(9)
    stats = (rng.standard_normal(3), rng.random(3) + 0.5)
    ours = [s.astype(dtype) for s in stats]
    theirs = [torch.tensor(s.astype(dtype)) for s in stats]
    params = (rng.standard_normal(3), rng.standard_normal(3)) if affine else (None, None)
    check_against_torch(
        lambda x, w, b: F.batch_norm(x, *ours, w, b, training=training, momentum=0.2, eps=1e-3),
        lambda x, w, b: TF.batch_norm(x, *theirs, w, b, training=training, momentum=0.2,
                                      eps=1e-3),
        2 + 3 * rng.standard_normal(shape), *params, dtype=dtype)
    for mine, torch_stat in zip(ours, theirs):
        np.testing.assert_allclose(mine, torch_stat.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_dropout_extremes_match_torch_exactly(p):
    x = _rng(10).standard_normal((4, 5))
    check_against_torch(lambda t: F.dropout(t, p, generator=0), lambda t: TF.dropout(t, p), x)
    check_against_torch(lambda t: F.dropout(t, 0.5, training=False),
                        lambda t: TF.dropout(t, 0.5, training=False), x)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_scales_kept_values_and_has_torchs_keep_rate(p, dtype):
    x = (_rng(11).random((200, 100)) + 1.0).astype(dtype)
    y = F.dropout(cl.tensor(x), p, generator=1).numpy()
    kept = y != 0
    assert y.dtype == dtype
    np.testing.assert_allclose(y[kept], x[kept] / (1 - p), rtol=1e-6)
    # 20000 Bernoulli(1 - p) draws: the kept fraction is within 5 standard deviations
    assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / x.size)
    torch_kept = (TF.dropout(torch.tensor(x), p) != 0).numpy().mean()
    assert abs(torch_kept - (1 - p)) < 5 * np.sqrt(p * (1 - p) / x.size)


def test_dropout_mask_is_reproducible_from_a_seed_and_drives_the_gradient():
    x = cl.tensor(np.ones((4, 6)), requires_grad=True)
    a = F.dropout(x, 0.5, generator=7)
    b = F.dropout(x, 0.5, generator=np.random.default_rng(7))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    cl.manual_seed(3)
    c = F.dropout(x, 0.5).numpy()
    cl.manual_seed(3)
    np.testing.assert_array_equal(c, F.dropout(x, 0.5).numpy())
    a.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), a.numpy())   # mask / (1 - p), input ones
    assert F.dropout(x, 0.5, training=False) is x
