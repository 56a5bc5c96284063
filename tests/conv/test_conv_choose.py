"""The chooser: forced engines and their errors, ``auto`` decisions, ``explain``, ``autotune``
and the thread setting."""

from __future__ import annotations

import numpy as np
import pytest

import convlens as cl
from convlens import conv
from convlens import functional as F
from convlens.conv import ConvSpec, choose


def _spec(nd=2, stride=1, padding=1, dilation=1, groups=1):
    return ConvSpec((stride,) * nd, ((padding, padding),) * nd, (dilation,) * nd, groups)


@pytest.mark.parametrize("w_shape, spec, message", [
    ((4, 4, 3, 3), _spec(stride=2),
     r"algorithm='winograd' cannot compute this convolution: the winograd engine does not "
     r"support stride \(2, 2\) \(it needs stride 1\)"),
    ((4, 4, 3, 3), _spec(dilation=2), r"does not support dilation \(2, 2\) \(it needs "
                                      r"dilation 1\)"),
    ((4, 4, 5, 5), _spec(), r"does not support kernel size \(5, 5\) \(it needs kernel size "
                            r"\(3, 3\)\)"),
    ((4, 4, 3, 3, 3), _spec(nd=3), r"does not support 3-D convolution \(it handles 1-D/2-D "
                                   r"only\)"),
])
def test_forcing_an_engine_on_an_unsupported_case_names_engine_and_feature(w_shape, spec,
                                                                          message):
    x_shape = (1, 4, *(9,) * spec.nd)
    with pytest.raises(ValueError, match=message):
        choose(x_shape, w_shape, spec, "winograd")


def test_functional_forwards_the_error_and_rejects_unknown_names():
    x, w = cl.tensor(np.ones((1, 2, 8, 8))), cl.tensor(np.ones((2, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"algorithm='winograd' cannot compute .* stride"):
        F.conv2d(x, w, stride=2, algorithm="winograd")
    with pytest.raises(ValueError, match=r"algorithm must be one of 'auto', 'direct', 'gemm', "
                                         r"'winograd', 'fft', 'compiled'; got 'cudnn'"):
        F.conv2d(x, w, algorithm="cudnn")


def test_every_forced_engine_runs_what_it_declares():
    for name in conv.ENGINES:
        if name == "compiled" and not conv.compiled.available():
            continue            # without numba: ImportError, see test_conv_compiled.py
        assert choose((1, 4, 9, 9), (4, 4, 3, 3), _spec(), name) == name


@pytest.mark.parametrize("x_shape, w_shape, spec, expected", [
    ((8, 16, 128, 128), (16, 16, 15, 15), _spec(padding=7), "fft"),        # large kernel
    ((4, 3, 256, 256), (8, 3, 31, 31), _spec(padding=15), "fft"),
    ((8, 16, 16000), (16, 16, 257), _spec(nd=1, padding=128), "fft"),      # long filter
    ((16, 128, 28, 28), (256, 128, 1, 1), _spec(padding=0), "gemm"),      # pointwise
    ((16, 64, 56, 56), (128, 64, 3, 3), _spec(stride=2), "gemm"),         # strided 3x3
])
def test_auto_picks_the_engine_that_does_least_work(x_shape, w_shape, spec, expected):
    for training in (False, True):
        assert choose(x_shape, w_shape, spec, requires_grad=training) == expected


def test_auto_avoids_direct_and_handles_empty_shapes():
    assert choose((0, 4, 9, 9), (4, 4, 3, 3), _spec()) == "gemm"
    assert choose((16, 64, 32, 32), (64, 64, 3, 3), _spec()) != "direct"


def test_explain_reports_every_engine_and_the_reason():
    e = conv.explain((16, 64, 56, 56), (128, 64, 3, 3), stride=2, padding=1)
    assert set(e.estimates) == set(conv.ENGINES)
    assert e.estimates["winograd"] == "stride (2, 2) (it needs stride 1)"
    priced = {k: v for k, v in e.estimates.items() if isinstance(v, float)}
    assert e.choice == min(priced, key=priced.get)
    assert e.reason.startswith("lowest estimated time")
    text = str(e)
    assert f"{e.choice}" in text and "<- auto" in text and "unsupported: stride" in text
    training = conv.explain((16, 64, 56, 56), (128, 64, 3, 3), stride=2, padding=1,
                            requires_grad=True)
    assert training.estimates["gemm"] > e.estimates["gemm"]
    unbatched = conv.explain((64, 56, 56), (128, 64, 3, 3), stride=2, padding=1)
    assert unbatched.x_shape == (1, 64, 56, 56)


def test_explain_validates_its_arguments():
    with pytest.raises(TypeError, match=r"x_shape must be a tuple of non-negative ints; got "
                                        r"'8,3,32,32'"):
        conv.explain("8,3,32,32", (4, 3, 3, 3))
    with pytest.raises(ValueError, match=r"x_shape and w_shape must describe an \(N, C, \*S\) "
                                         r"input and an \(O, C/groups, \*K\) weight of the "
                                         r"same rank; got \(8, 3, 32\) and \(4, 3, 3, 3, 3\)"):
        conv.explain((8, 3, 32), (4, 3, 3, 3, 3))
    with pytest.raises(ValueError, match=r"in_channels \(=3\) must be divisible by groups "
                                         r"\(=2\)"):
        conv.explain((8, 3, 32, 32), (4, 3, 3, 3), groups=2)
    with pytest.raises(TypeError, match=r"explain expects dtype of dtype float32 or float64"):
        conv.explain((8, 3, 32, 32), (4, 3, 3, 3), dtype="int32")


@pytest.fixture
def autotuning():
    conv.tuning.clear()
    conv.autotune(True)
    yield
    conv.autotune(False)
    conv.tuning.clear()


def test_autotune_times_once_per_shape_and_caches_the_winner(autotuning, monkeypatch):
    timed = []
    original = conv.tuning._time

    def counting(engine, *args):
        timed.append(engine.__name__.rsplit(".", 1)[-1])
        return original(engine, *args)

    monkeypatch.setattr(conv.tuning, "_time", counting)
    x_shape, w_shape, spec = (2, 4, 12, 12), (4, 4, 3, 3), _spec()
    first = choose(x_shape, w_shape, spec, dtype=np.float32)
    assert first in timed and len(timed) >= 2
    count = len(timed)
    assert choose(x_shape, w_shape, spec, dtype=np.float32) == first
    assert len(timed) == count
    e = conv.explain(x_shape, w_shape, padding=1)
    assert (e.choice, e.reason) == (first, "measured fastest by autotune")
    x = cl.tensor(np.ones(x_shape, np.float32))
    w = cl.tensor(np.ones(w_shape, np.float32))
    np.testing.assert_allclose(F.conv2d(x, w, padding=1).numpy(),
                               F.conv2d(x, w, padding=1, algorithm="direct").numpy(),
                               rtol=1e-5)


def test_autotune_switch_validates_and_reports():
    assert conv.autotune() is False
    with pytest.raises(TypeError, match=r"enabled must be a bool or None; got int"):
        conv.autotune(1)


def test_thread_count_never_changes_results():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 8, 30, 30)).astype(np.float32)
    w = rng.standard_normal((8, 1, 3, 3)).astype(np.float32)
    w_big = rng.standard_normal((8, 8, 9, 9)).astype(np.float32)
    depthwise, large = _spec(), _spec(padding=4)
    depthwise = ConvSpec(depthwise.stride, depthwise.padding, depthwise.dilation, 8)
    before = [conv.gemm.forward(x, w, depthwise), conv.fft.forward(x, w_big, large)]
    try:
        conv.set_num_threads(1)
        assert conv.get_num_threads() == 1
        after = [conv.gemm.forward(x, w, depthwise), conv.fft.forward(x, w_big, large)]
    finally:
        conv.set_num_threads(None)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"num_threads must be >= 1; got 0"):
        conv.set_num_threads(0)
