"""``F.conv_transpose1d/2d/3d`` against PyTorch and the ``direct`` oracle, for every engine.

Hypothesis draws shapes, stride, padding, output_padding, dilation and groups; each engine
is forced with ``algorithm=`` and compared, forward and gradients in float64, with torch and
with ``direct`` (an engine that cannot run a case must say so).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import conv
from convlens import functional as F
from gradcheck import gradcheck

torch = pytest.importorskip("torch")
from reference import check_against_torch  # noqa: E402


@st.composite
def cases(draw, max_nd: int = 2):
    nd = draw(st.integers(1, max_nd))
    groups = draw(st.integers(1, 2))
    c_in, c_out = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    size, kernel, kw = [], [], {"stride": [], "padding": [], "output_padding": [],
                                "dilation": []}
    for _ in range(nd):
        k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
        n = draw(st.integers(1, 8 if nd == 2 else 16))
        op = draw(st.integers(0, max(s, d) - 1))
        full = (n - 1) * s + d * (k - 1) + op + 1
        p = draw(st.integers(0, max(0, (full - 1) // 2)))
        size.append(n), kernel.append(k)
        for name, value in zip(kw, (s, p, op, d)):
            kw[name].append(value)
    kw = {name: tuple(v) for name, v in kw.items()}
    x_shape = (draw(st.integers(1, 2)), c_in, *size)
    w_shape = (c_in, c_out // groups, *kernel)
    return nd, x_shape, w_shape, dict(kw, groups=groups)


def _arrays(x_shape, w_shape, groups, seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(x_shape), rng.standard_normal(w_shape),
            rng.standard_normal(w_shape[1] * groups))


def _runs(nd, algorithm, x_shape, w_shape, kwargs) -> bool:
    """Whether the engine supports the case; if not, forcing it must be a clear error."""
    geometry = conv.transposed.transposed_geometry(
        "t", x_shape, w_shape, kwargs["stride"], kwargs["padding"], kwargs["output_padding"],
        kwargs["groups"], kwargs["dilation"])
    if conv.unsupported(algorithm, w_shape, geometry.spec) is None:
        return True
    with pytest.raises(ValueError, match=f"algorithm='{algorithm}' cannot compute this"):
        getattr(F, f"conv_transpose{nd}d")(cl.tensor(np.zeros(x_shape)),
                                           cl.tensor(np.zeros(w_shape)),
                                           algorithm=algorithm, **kwargs)
    return False


@settings(max_examples=60)
@given(case=cases(), algorithm=st.sampled_from(list(conv.ENGINES)), seed=st.integers(0, 99))
def test_matches_torch_and_direct(case, algorithm, seed):
    nd, x_shape, w_shape, kwargs = case
    if not _runs(nd, algorithm, x_shape, w_shape, kwargs):
        return
    x, w, b = _arrays(x_shape, w_shape, kwargs["groups"], seed)
    cl_fn = getattr(F, f"conv_transpose{nd}d")
    torch_fn = getattr(torch.nn.functional, f"conv_transpose{nd}d")
    got, _ = check_against_torch(lambda x, w, b: cl_fn(x, w, b, algorithm=algorithm, **kwargs),
                                 lambda x, w, b: torch_fn(x, w, b, **kwargs), x, w, b)
    oracle, _ = check_against_torch(lambda x, w, b: cl_fn(x, w, b, algorithm="direct", **kwargs),
                                    lambda x, w, b: torch_fn(x, w, b, **kwargs), x, w, b)
    for mine, reference in zip(got, oracle):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-9,
                                   atol=1e-9)


@settings(max_examples=8)
@given(case=cases(max_nd=3), seed=st.integers(0, 99))
def test_3d_and_unbatched_match_torch(case, seed):
    nd, x_shape, w_shape, kwargs = case
    x, w, b = _arrays(x_shape, w_shape, kwargs["groups"], seed)
    cl_fn = getattr(F, f"conv_transpose{nd}d")
    torch_fn = getattr(torch.nn.functional, f"conv_transpose{nd}d")
    check_against_torch(lambda x, w, b: cl_fn(x, w, b, **kwargs),
                        lambda x, w, b: torch_fn(x, w, b, **kwargs), x[0], w, b)


@pytest.mark.parametrize("algorithm", list(conv.ENGINES))
def test_finite_differences(algorithm):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 2, 4, 5)), rng.standard_normal((2, 3, 3, 3))
    gradcheck(lambda x, w: F.conv_transpose2d(x, w, padding=1, algorithm=algorithm), x, w)
    x1, w1 = rng.standard_normal((1, 2, 6)), rng.standard_normal((2, 2, 3))
    kwargs = {} if algorithm == "winograd" else dict(stride=2, output_padding=1, dilation=2)
    gradcheck(lambda x, w: F.conv_transpose1d(x, w, algorithm=algorithm, **kwargs), x1, w1)


def test_large_kernel_runs_on_fft_reusing_the_spectrum():
    rng = np.random.default_rng(2)
    x = cl.tensor(rng.standard_normal((2, 4, 64, 64)))
    w = cl.tensor(rng.standard_normal((4, 4, 21, 21)))
    assert conv.explain(x.shape, w.shape, padding=10, transposed=True,
                        dtype="float64").choice == "fft"
    expected = torch.nn.functional.conv_transpose2d(torch.tensor(x.numpy()),
                                                    torch.tensor(w.numpy()), padding=10)
    conv.SPECTRA.clear()
    with cl.no_grad():
        y = F.conv_transpose2d(x, w, padding=10)
        F.conv_transpose2d(x, w, padding=10)
        assert conv.SPECTRA.stats().hits == 1
        w.numpy()[...] = 0.0               # a write no version counter sees
        assert np.all(F.conv_transpose2d(x, w, padding=10).numpy() == 0)
    np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("algorithm", list(conv.ENGINES))
def test_nan_stays_local(algorithm):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 2, 9, 9))
    x[0, 1, 4, 4] = np.nan
    w = rng.standard_normal((2, 2, 3, 3))
    got = F.conv_transpose2d(cl.tensor(x), cl.tensor(w), padding=1, algorithm=algorithm)
    want = torch.nn.functional.conv_transpose2d(torch.tensor(x), torch.tensor(w), padding=1)
    np.testing.assert_array_equal(np.isnan(got.numpy()), np.isnan(want.numpy()))
    assert int(np.isnan(got.numpy()).sum()) == 2 * 9


ERRORS = [
    (dict(output_padding=1), r"conv_transpose2d: output_padding must be smaller than either "
                             r"stride or dilation along each dim; got output_padding=\(1, 1\), "
                             r"stride=\(1, 1\), dilation=\(1, 1\)"),
    (dict(padding=5), r"conv_transpose2d: the output would be empty: .* give output size "
                      r"\(-3, -3\); reduce padding"),
    (dict(stride=10**12), r"conv_transpose2d: stride=1000000000000 is too large: the output "
                          r"would have shape \(1, 2, 4000000000003, 4000000000003\)"),
    (dict(padding=-1), r"padding must be >= 0; got -1"),
    (dict(groups=3), r"in_channels \(=4\) must be divisible by groups \(=3\)"),
]


@pytest.mark.parametrize("kwargs,message", ERRORS)
def test_errors_name_the_argument(kwargs, message):
    x, w = cl.tensor(np.zeros((1, 4, 5, 5))), cl.tensor(np.zeros((4, 2, 3, 3)))
    with pytest.raises(ValueError, match=message):
        F.conv_transpose2d(x, w, **kwargs)


def test_channel_and_bias_errors():
    x, w = cl.tensor(np.zeros((1, 3, 5, 5))), cl.tensor(np.zeros((4, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"conv_transpose2d expects input with weight.shape\[0\] "
                                         r"= 4 channels .* got 3 channels in input of shape "
                                         r"\(1, 3, 5, 5\)"):
        F.conv_transpose2d(x, w)
    x = cl.tensor(np.zeros((1, 4, 5, 5)))
    with pytest.raises(ValueError, match=r"expects bias of shape \(out_channels,\) = \(4,\) = "
                                         r"weight.shape\[1\] \* groups; got \(2,\)"):
        F.conv_transpose2d(x, w, cl.tensor(np.zeros(2)), groups=2)
    with pytest.raises(ValueError, match=r"conv_transpose1d expects weight to be a 3-D "
                                         r"\(C_in, C_out/groups, K\)"):
        F.conv_transpose1d(cl.tensor(np.zeros((1, 4, 5))), w)


@pytest.mark.parametrize("algorithm", ["auto", "direct", "gemm", "fft"])
def test_output_padding_past_stride_and_an_output_no_input_reaches(algorithm):
    """output_padding >= stride (allowed when < dilation) adds pixels no input reaches; with
    enough padding no input reaches the output at all, which is then the bias alone."""
    rng = np.random.default_rng(4)
    for x_shape, kwargs in (((2, 2, 5), dict(dilation=3, output_padding=2)),
                            ((1, 1, 1), dict(dilation=3, output_padding=2, padding=1))):
        x, w, b = rng.standard_normal(x_shape), rng.standard_normal((x_shape[1], 3, 2)), \
            rng.standard_normal(3)
        check_against_torch(
            lambda x, w, b, kw=kwargs: F.conv_transpose1d(x, w, b, algorithm=algorithm, **kw),
            lambda x, w, b, kw=kwargs: torch.nn.functional.conv_transpose1d(x, w, b, **kw),
            x, w, b)
