"""NaN and inf stay where they are: every engine, forced with ``algorithm=``, puts non-finite
values in forward, grad_input and grad_weight exactly where ``direct`` (and PyTorch) does.

Transform engines (Winograd, FFT) would spread one NaN over a tile or over every output;
they fall back to local computation when an operand is not finite (``conv.choose.runner``).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import conv
from convlens import functional as F
from convlens.conv import nonfinite

VALUES = {"nan": np.nan, "+inf": np.inf, "-inf": -np.inf}
CASES = {   # nd: (x_shape, w_shape, kwargs), every engine supports them
    1: ((2, 3, 40), (4, 3, 3), dict(padding=1)),
    2: ((2, 3, 11, 10), (4, 3, 3, 3), dict(padding=1)),
}


def _pattern(a: np.ndarray) -> np.ndarray:
    """0 where finite, 1 for NaN, 2 for +inf, 3 for -inf."""
    return np.select([np.isnan(a), a == np.inf, a == -np.inf], [1, 2, 3], 0)


def _run(nd, algorithm, x, w, gy, kwargs):
    xt, wt = cl.tensor(x, requires_grad=True), cl.tensor(w, requires_grad=True)
    # no np.errstate here: inf * 0 = NaN is expected and must not warn (warnings are errors)
    y = getattr(F, f"conv{nd}d")(xt, wt, algorithm=algorithm, **kwargs)
    y.backward(cl.tensor(gy))
    return y.numpy(), xt.grad.numpy(), wt.grad.numpy()


def _poison(rng, shape, kinds, count):
    a = rng.standard_normal(shape)
    for kind in kinds[:count]:
        a[tuple(int(rng.integers(0, n)) for n in shape)] = VALUES[kind]
    return a


@settings(max_examples=40)
@given(nd=st.sampled_from([1, 2]), algorithm=st.sampled_from(list(conv.ENGINES)),
       where=st.sampled_from(["x", "w", "grad_output", "x+w"]),
       kinds=st.lists(st.sampled_from(list(VALUES)), min_size=1, max_size=3),
       seed=st.integers(0, 2**16))
def test_non_finite_pattern_matches_direct(nd, algorithm, where, kinds, seed):
    rng = np.random.default_rng(seed)
    x_shape, w_shape, kwargs = CASES[nd]
    out_shape = (x_shape[0], w_shape[0], *x_shape[2:])
    x = _poison(rng, x_shape, kinds, len(kinds) if "x" in where else 0)
    w = _poison(rng, w_shape, kinds, len(kinds) if "w" in where else 0)
    gy = _poison(rng, out_shape, kinds, len(kinds) if where == "grad_output" else 0)
    got = _run(nd, algorithm, x, w, gy, kwargs)
    want = _run(nd, "direct", x, w, gy, kwargs)
    for name, a, b in zip(("forward", "grad_input", "grad_weight"), got, want):
        np.testing.assert_array_equal(_pattern(a), _pattern(b), err_msg=f"{algorithm} {name}")
        finite = np.isfinite(b)
        np.testing.assert_allclose(a[finite], b[finite], rtol=1e-8, atol=1e-8)


def test_one_nan_pixel_under_fft_stays_local():
    """The reported case: one NaN pixel made all 4,096 outputs NaN under FFT (torch: 64)."""
    x = np.random.default_rng(0).standard_normal((1, 1, 64, 64))
    x[0, 0, 30, 30] = np.nan
    w = np.ones((1, 1, 15, 15)) / 225
    y = F.conv2d(cl.tensor(x), cl.tensor(w), padding=7, algorithm="fft").numpy()
    assert int(np.isnan(y).sum()) == 15 * 15
    assert np.isnan(y[0, 0, 23:38, 23:38]).all()


def test_direct_pattern_is_torchs():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, w = _poison(rng, (2, 3, 9, 9), ["nan", "+inf"], 2), _poison(rng, (4, 3, 3, 3), ["-inf"], 1)
    gy = _poison(rng, (2, 4, 9, 9), ["nan"], 1)
    got = _run(2, "auto", x, w, gy, dict(padding=1))
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tw, padding=1)
    ty.backward(torch.tensor(gy))
    for a, b in zip(got, (ty.detach().numpy(), tx.grad.numpy(), tw.grad.numpy())):
        np.testing.assert_array_equal(_pattern(a), _pattern(b))


def test_all_finite_is_exact_even_when_the_sum_overflows():
    big = np.full(4, np.finfo(np.float32).max, np.float32)
    assert nonfinite.all_finite(big, np.zeros(3))
    big[2] = np.inf
    assert not nonfinite.all_finite(np.zeros(3), big)
    assert not nonfinite.all_finite(np.array([np.nan]))
    assert conv.runner("fft", "forward", np.ones(3)).__module__ == "convlens.conv.fft"
