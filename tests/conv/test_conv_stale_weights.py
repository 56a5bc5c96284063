"""No stale results: every way of writing a weight is seen by the next convolution.

The FFT engine caches filter spectra (:data:`convlens.conv.SPECTRA`); a hit is validated
against the weight's values, so writes that bump no version counter (``.numpy()`` views,
``np.copyto``, slices) must be seen too. Every mutation path is crossed with every engine and
compared with ``direct`` on a fresh copy of the weight, forward and backward.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import conv, nn, optim
from convlens import functional as F


def _array(data) -> np.ndarray:
    """The ndarray behind ``w.data`` (an ndarray today, a Tensor sharing memory in torch)."""
    return data if isinstance(data, np.ndarray) else data.numpy()


def _mutate(layer: nn.Module, path: str, new: np.ndarray) -> None:
    w = layer.weight
    if path == "numpy_view":
        w.numpy()[...] = new
    elif path == "np_copyto":
        np.copyto(w.numpy(), new)
    elif path == "slice":
        w.numpy()[:1] = new[:1]
        w.numpy()[1:, :, 1:] = new[1:, :, 1:]
        w.numpy()[1:, :, :1] = new[1:, :, :1]
    elif path == "data_setter":
        w.data = cl.tensor(new.copy())
    elif path == "data_index":
        _array(w.data)[...] = new
    elif path == "sub_":
        with cl.no_grad():  # as torch, a leaf that requires grad is written under no_grad
            w.sub_(w.numpy() - new)
    elif path == "mul_":
        with cl.no_grad():
            w.mul_(np.where(w.numpy() != 0, new / np.where(w.numpy() != 0, w.numpy(), 1), 0))
            w.copy_(new)        # mul_ cannot reach zeros; finish exactly
    elif path == "copy_":
        with cl.no_grad():
            w.copy_(new)
    elif path == "data_inplace":
        w.data.copy_(cl.tensor(new.copy()))   # .data is a Tensor sharing w's memory
    elif path == "load_state_dict":
        state = {k: v.numpy().copy() for k, v in layer.state_dict().items()}
        state["weight"] = new
        layer.load_state_dict(state)
    elif path == "optimizer_step":
        w.grad = cl.tensor(w.numpy() - new)
        optim.SGD([w], lr=1.0).step()
    else:
        raise AssertionError(path)


PATHS = ["numpy_view", "np_copyto", "slice", "data_setter", "data_index", "data_inplace",
         "sub_", "mul_", "copy_", "load_state_dict", "optimizer_step"]


def _direct(x: np.ndarray, w: np.ndarray, b: np.ndarray, padding: int):
    xt, wt = cl.tensor(x.copy(), requires_grad=True), cl.tensor(w.copy(), requires_grad=True)
    y = F.conv2d(xt, wt, cl.tensor(b.copy()), padding=padding, algorithm="direct")
    (y * y).sum().backward()
    return y.numpy(), xt.grad.numpy(), wt.grad.numpy()


@settings(max_examples=60)
@given(path=st.sampled_from(PATHS), algorithm=st.sampled_from(list(conv.ENGINES)),
       zeros=st.booleans(), training=st.booleans(), seed=st.integers(0, 2**16))
def test_every_write_is_seen_by_every_engine(path, algorithm, zeros, training, seed):
    rng = np.random.default_rng(seed)
    layer = nn.Conv2d(3, 4, 3, padding=1, algorithm=algorithm, dtype=np.float64,
                      generator=seed)
    x = cl.tensor(rng.standard_normal((2, 3, 9, 8)), requires_grad=training)
    with cl.no_grad():
        layer(x)                            # caches the old spectrum (fft)
    (layer(x) ** 2).sum().backward()        # and its conjugate, for grad_input
    new = np.zeros(layer.weight.shape) if zeros else rng.standard_normal(layer.weight.shape)
    _mutate(layer, path, new)
    layer.weight.grad = x.grad = None
    np.testing.assert_allclose(layer.weight.numpy(), new, rtol=1e-12, atol=1e-12)
    y = layer(x)
    want_y, want_gx, want_gw = _direct(x.numpy(), layer.weight.numpy(), layer.bias.numpy(), 1)
    np.testing.assert_allclose(y.numpy(), want_y, rtol=1e-10, atol=1e-10)
    (y * y).sum().backward()
    np.testing.assert_allclose(layer.weight.grad.numpy(), want_gw, rtol=1e-9, atol=1e-9)
    if training:
        np.testing.assert_allclose(x.grad.numpy(), want_gx, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("path", ["numpy_view", "data_index", "np_copyto"])
def test_zeroed_31x31_filter_gives_zeros(path):
    """The reported case: a large-kernel FFT conv whose weights were zeroed in place."""
    conv.SPECTRA.clear()
    rng = np.random.default_rng(0)
    layer = nn.Conv2d(1, 1, 31, padding=15, bias=False, generator=0)
    x = cl.tensor(rng.random((1, 1, 64, 64), dtype=np.float32))
    # On one channel the compiled engine's flat loops tie with FFT (0.38 vs 0.30 ms measured)
    # and its estimate wins; the reported case ran on FFT, so the compiler is switched off.
    with cl.no_grad(), conv.compiled.enabled(False):
        assert conv.explain(x.shape, layer.weight.shape, padding=15).choice == "fft"
        assert float(np.abs(layer(x).numpy()).max()) > 0.1
        _mutate(layer, path, np.zeros(layer.weight.shape, np.float32))
        np.testing.assert_array_equal(layer(x).numpy(), 0.0)


def test_unchanged_weight_still_hits_and_a_changed_one_misses():
    conv.SPECTRA.clear()
    rng = np.random.default_rng(1)
    x = cl.tensor(rng.standard_normal((1, 2, 40, 40)))
    w = cl.tensor(rng.standard_normal((2, 2, 9, 9)))
    with cl.no_grad():
        F.conv2d(x, w, padding=4, algorithm="fft")
        F.conv2d(x, w, padding=4, algorithm="fft")
        assert (conv.SPECTRA.stats().misses, conv.SPECTRA.stats().hits) == (1, 1)
        w.numpy()[0, 0, 0, 0] += 1.0
        y = F.conv2d(x, w, padding=4, algorithm="fft")
        assert conv.SPECTRA.stats().misses == 2 and conv.SPECTRA.stats().entries == 1
    expected = F.conv2d(x, cl.tensor(w.numpy().copy()), padding=4, algorithm="direct")
    np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-10, atol=1e-10)
