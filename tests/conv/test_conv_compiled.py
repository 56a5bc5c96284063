"""The compiled engine against torch, with and without the compiler, and the thread budget.

The engine-vs-direct suites (``test_conv_engines.py``, ``test_conv_functional_engines.py``)
already run ``compiled`` like every other engine. Here the ``compiled_on`` fixture runs the
same functional checks twice, with the engine enabled and disabled
(``conv.compiled.enabled``), so that both ways are covered in one test run, whether or not
numba is installed.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

import convlens as cl
from convlens import conv
from convlens import functional as F
from convlens.conv import compiled

torch = pytest.importorskip("torch")
HAS_NUMBA = importlib.util.find_spec("numba") is not None
needs_numba = pytest.mark.skipif(not HAS_NUMBA, reason="needs numba (convlens[jit])")

LAYERS = [   # (x_shape, w_shape, stride, padding, dilation, groups)
    ((3, 1, 28, 28), (6, 1, 5, 5), 1, 2, 1, 1),          # lenet-c1
    ((3, 6, 14, 14), (16, 6, 5, 5), 1, 0, 1, 1),         # lenet-c2
    ((4, 1, 40), (25, 1, 5), 2, 1, 1, 1),                # mnist1d-c1
    ((4, 25, 20), (25, 25, 3), 2, 1, 1, 1),              # mnist1d-c2
    ((2, 8, 11, 9), (8, 1, 3, 3), 1, 1, 1, 8),           # depthwise
    ((2, 4, 13, 12), (6, 2, 3, 2), (2, 3), 2, (2, 1), 2),  # strided, dilated, grouped
    # Flat passes' register blocks: 9 channels = two blocks of 4 and 1 left over, 6 * 3 * 2
    # taps = four blocks of 4 and 2 left over, a padded plane of 32 * 25 = 800 positions
    # split into blocks of FLAT_BLOCK, dilated.
    ((2, 6, 30, 21), (9, 6, 3, 2), 1, (1, 2), (2, 1), 1),
    ((2, 8, 12, 12), (10, 4, 3, 3), 1, 1, 1, 2),          # 5 output channels per group
    ((2, 3, 10, 9), (7, 3, 3, 3), 1, 1, 1, 1),            # blocks of 4, 2 and 1 channels
    ((3, 5, 300), (7, 5, 7), 1, 3, 2, 1),                 # 1-D, rows longer than a block
    ((5, 4, 30), (6, 4, 4), 3, 2, 2, 1),                  # 1-D, samples in the rows, 3 phases
    ((2, 3, 11, 10), (5, 3, 2, 3), (3, 2), 1, 1, 1),      # a stride larger than the kernel
    ((2, 3, 9, 8), (33, 3, 3, 3), 2, 1, 1, 1),            # 33 channels: the column path
]


@pytest.fixture(params=[True, False], ids=["compiled-on", "compiled-off"])
def compiled_on(request):
    if request.param and not HAS_NUMBA:
        pytest.skip("needs numba (convlens[jit])")
    with compiled.enabled(request.param):
        yield request.param


def _run(x, w, layer, algorithm):
    _, _, stride, padding, dilation, groups = layer
    nd = x.ndim - 2
    args = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    cx, cw = cl.tensor(x, requires_grad=True), cl.tensor(w, requires_grad=True)
    y = getattr(F, f"conv{nd}d")(cx, cw, algorithm=algorithm, **args)
    tx = torch.from_numpy(x).requires_grad_(True)
    tw = torch.from_numpy(w).requires_grad_(True)
    ty = getattr(torch.nn.functional, f"conv{nd}d")(tx, tw, **args)
    gy = np.random.default_rng(1).standard_normal(ty.shape)
    y.backward(gy)
    ty.backward(torch.from_numpy(gy))
    return (y.numpy(), cx.grad.numpy(), cw.grad.numpy()), (
        ty.detach().numpy(), tx.grad.numpy(), tw.grad.numpy())


@pytest.mark.parametrize("layer", LAYERS, ids=range(len(LAYERS)))
def test_conv_matches_torch_with_and_without_compiler(compiled_on, layer):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(layer[0]), rng.standard_normal(layer[1])
    algorithms = ["auto", "compiled"] if compiled_on else ["auto", "gemm"]
    for algorithm in algorithms:
        ours, theirs = _run(x, w, layer, algorithm)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-8)


def test_disabled_engine_is_never_chosen_and_forcing_it_says_why():
    with compiled.enabled(False):
        for layer in LAYERS:
            e = conv.explain(layer[0], layer[1], *layer[2:], requires_grad=True)
            assert e.choice != "compiled"
            assert "without numba" in e.estimates["compiled"]
        x, w = cl.tensor(np.ones((1, 1, 6, 6))), cl.tensor(np.ones((1, 1, 3, 3)))
        with pytest.raises(ImportError, match=r"algorithm='compiled' is disabled by "
                                              r"convlens.conv.compiled.set_enabled\(False\)"):
            F.conv2d(x, w, algorithm="compiled")


@needs_numba
def test_compiled_engine_refuses_3d():
    x, w = cl.tensor(np.ones((1, 1, 4, 4, 4))), cl.tensor(np.ones((1, 1, 2, 2, 2)))
    with pytest.raises(ValueError, match=r"algorithm='compiled' cannot compute this "
                                         r"convolution: the compiled engine does not support "
                                         r"3-D convolution"):
        F.conv3d(x, w, algorithm="compiled")


def test_set_enabled_checks_its_argument():
    with pytest.raises(TypeError, match="enabled must be a bool; got int"):
        compiled.set_enabled(1)


@needs_numba
@pytest.mark.parametrize("out_channels", [6, 40], ids=["flat", "columns"])
def test_results_repeat_bit_for_bit_at_a_thread_count(out_channels, monkeypatch):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 3, 40, 40)).astype(np.float32)
    w = rng.standard_normal((out_channels, 3, 5, 5)).astype(np.float32)
    spec = conv.conv_spec("conv2d", x.shape, w.shape, 1, 2, 1, 1)
    assert compiled.is_flat(w.shape, spec) == (out_channels < compiled.FLAT_BELOW)
    gy = rng.standard_normal((8, out_channels, 40, 40)).astype(np.float32)
    monkeypatch.setattr(compiled, "_CHUNK_WORK", 1)      # split even this small layer
    splits = []
    run_chunks = conv._threads.run_chunks

    def counted(*args, **kwargs):
        bounds = run_chunks(*args, **kwargs)
        splits.append(len(bounds))
        return bounds

    monkeypatch.setattr(conv._threads, "run_chunks", counted)
    previous = cl.get_num_threads()
    results = []
    try:
        for threads in (1, 2, 2):
            cl.set_num_threads(threads)
            results.append([compiled.forward(x, w, spec),
                            compiled.grad_input(gy, w, x.shape, spec),
                            compiled.grad_weight(gy, x, w.shape, spec)])
    finally:
        cl.set_num_threads(previous)
    if compiled.is_flat(w.shape, spec):           # the flat passes did split at 2 threads
        assert max(splits) == 2
    for a, b in zip(results[1], results[2]):      # same thread count: the same bits
        np.testing.assert_array_equal(a, b)
    for a, b in zip(results[0], results[1]):
        if compiled.is_flat(w.shape, spec):       # compiled loops: the same bits on 1 or 2
            np.testing.assert_array_equal(a, b)
        else:                                     # BLAS sums in another order on 2 threads
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6 * np.abs(b).max())


def test_run_chunks_waits_for_every_chunk_before_raising():
    """A chunk that raises stops new chunks; the running ones finish before the error."""
    import threading
    import time

    finished, started = [], threading.Event()

    def work(start, stop):
        if start == 0:
            started.wait(5)
            raise RuntimeError("chunk 0 failed")
        started.set()
        time.sleep(0.2)
        finished.append(start)

    previous = cl.get_num_threads()
    try:
        cl.set_num_threads(2)
        with pytest.raises(RuntimeError, match="chunk 0 failed"):
            conv._threads.run_chunks(work, 2, 1, threads=2)
        assert finished == [1]                    # chunk 1 was done when the error came
    finally:
        cl.set_num_threads(previous)


def test_set_num_threads_limits_blas_and_checks_its_argument():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    previous = cl.get_num_threads()
    try:
        cl.set_num_threads(1)
        assert cl.get_num_threads() == 1 == conv.get_num_threads()
        blas = threadpoolctl.threadpool_info()
        assert all(i["num_threads"] == 1 for i in blas if i["user_api"] == "blas")
    finally:
        cl.set_num_threads(previous)
    with pytest.raises(ValueError, match="num_threads must be >= 1; got 0"):
        cl.set_num_threads(0)
    with pytest.raises(TypeError, match="num_threads must be an int; got float 2.0"):
        cl.set_num_threads(2.0)


def test_import_convlens_does_not_import_numba():
    code = ("import sys, convlens, convlens.conv, convlens.functional; "
            "print('numba' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


def test_small_work_runs_on_one_thread_and_the_budget_comes_back():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from convlens.conv import _threads

    def blas_threads():
        return [i["num_threads"] for i in threadpoolctl.threadpool_info()
                if i["user_api"] == "blas"]

    previous = cl.get_num_threads()
    try:
        cl.set_num_threads(2)
        with _threads.for_work(10):
            assert cl.get_num_threads() == 1
            assert set(blas_threads()) <= {1}
        assert cl.get_num_threads() == 2
        assert set(blas_threads()) <= {2}
        with _threads.for_work(10**12):
            assert cl.get_num_threads() == 2
    finally:
        cl.set_num_threads(previous)
