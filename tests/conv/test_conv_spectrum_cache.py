"""The FFT engine's filter-spectrum cache: hit when the weight is unchanged, miss after any
in-place write (``sub_``, ``data =``, an optimizer step), bounded in bytes, keyed safely.
Every other write path is in ``test_conv_stale_weights.py``."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import convlens as cl
from convlens import conv
from convlens import functional as F
from convlens.conv import SPECTRA, ConvContext, SpectrumCache, fft
from convlens.conv.choose import spectrum_cached
from convlens.conv.geometry import ConvSpec


@pytest.fixture(autouse=True)
def fresh_cache():
    SPECTRA.clear()
    yield
    SPECTRA.clear()


def _layer(requires_grad: bool = False, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = cl.tensor(rng.standard_normal((2, 3, 24, 24)), requires_grad=requires_grad)
    w = cl.tensor(rng.standard_normal((4, 3, 7, 7)), requires_grad=requires_grad)
    return x, w


def test_inference_transforms_the_kernel_once():
    x, w = _layer()
    with cl.no_grad():
        first = F.conv2d(x, w, padding=3, algorithm="fft")
        for _ in range(4):
            again = F.conv2d(x, w, padding=3, algorithm="fft")
    stats = SPECTRA.stats()
    assert (stats.misses, stats.hits) == (1, 4)
    np.testing.assert_array_equal(first.numpy(), again.numpy())


def test_backward_reuses_the_forward_spectrum():
    x, w = _layer(requires_grad=True)
    F.conv2d(x, w, padding=3, algorithm="fft").sum().backward()
    # forward stores V (one miss); grad_input needs conj(V) (one more entry, computed once)
    assert SPECTRA.stats().misses == 2
    before = SPECTRA.stats()
    F.conv2d(x, w, padding=3, algorithm="fft").sum().backward()
    after = SPECTRA.stats()
    assert after.misses == before.misses and after.hits == before.hits + 2


@pytest.mark.parametrize("update", ["sub_", "data", "copy_", "sgd"])
def test_in_place_updates_invalidate(update):
    x, w = _layer(requires_grad=True)
    reference = w.numpy().copy()
    F.conv2d(x, w, padding=3, algorithm="fft").sum().backward()
    if update == "sub_":
        with cl.no_grad():  # torch refuses in-place writes to a leaf that requires grad
            w.sub_(0.5 * w.grad.numpy())
    elif update == "data":
        w.data = w.numpy() - 0.5 * w.grad.numpy()
    elif update == "copy_":
        with cl.no_grad():
            w.copy_(w.numpy() - 0.5 * w.grad.numpy())
    else:
        cl.optim.SGD([w], lr=0.5).step()
    np.testing.assert_allclose(w.numpy(), reference - 0.5 * w.grad.numpy())
    misses = SPECTRA.stats().misses
    with cl.no_grad():
        y = F.conv2d(x, w, padding=3, algorithm="fft")
    assert SPECTRA.stats().misses == misses + 1          # the new weight is transformed
    expected = F.conv2d(cl.tensor(x.numpy()), cl.tensor(w.numpy()), padding=3,
                        algorithm="direct")
    np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-10, atol=1e-10)


def test_old_versions_are_dropped_and_bytes_bounded():
    x, w = _layer()
    with cl.no_grad():
        for step in range(5):
            F.conv2d(x, w, padding=3, algorithm="fft")
            w.sub_(0.01)
            assert SPECTRA.stats().entries == 1, step
    cache = SpectrumCache(limit_bytes=3000)
    owners = [cl.tensor(np.zeros(1)) for _ in range(3)]
    for owner in owners:
        # 800 bytes of spectrum plus the 8-byte copy of the weight it is validated against
        cache.get(owner, owner.numpy(), "tag", lambda: np.zeros(100))
    assert cache.stats().bytes == 3 * 808 and cache.stats().entries == 3
    cache.get(owners[0], owners[0].numpy(), "tag", lambda: np.zeros(100))   # now most recent
    cache.get(cl.tensor(np.zeros(1)), np.zeros(1), "tag", lambda: np.zeros(100))
    stats = cache.stats()
    assert stats.bytes <= 3000 and stats.evictions == 1
    assert cache.contains(owners[0], owners[0].numpy(), "tag")
    assert not cache.contains(owners[1], owners[1].numpy(), "tag")


def test_entry_dies_with_its_weight_so_ids_cannot_collide():
    cache = SpectrumCache()
    owner = cl.tensor(np.zeros(1))
    cache.get(owner, owner.numpy(), "tag", lambda: np.ones(4))
    assert cache.stats().entries == 1
    del owner
    gc.collect()
    assert cache.stats().entries == 0 and cache.stats().bytes == 0


def test_set_limit_zero_disables_caching():
    cache = SpectrumCache()
    cache.set_limit(0)
    owner = cl.tensor(np.zeros(1))
    calls = []
    for _ in range(2):
        cache.get(owner, owner.numpy(), "tag", lambda: calls.append(1) or np.ones(4))
    assert len(calls) == 2 and cache.stats().entries == 0
    with pytest.raises(ValueError, match=r"limit_bytes must be >= 0; got -1"):
        cache.set_limit(-1)


def test_chooser_counts_a_cached_spectrum():
    """A cached spectrum makes FFT cheaper; the chooser sees it through the context."""
    x_shape, w_shape = (1, 8, 64, 64), (8, 8, 9, 9)
    spec = ConvSpec((1, 1), ((4, 4), (4, 4)), (1, 1), 1)
    w = cl.tensor(np.ones(w_shape, np.float32))
    ctx = ConvContext(weight=w, version=w.version)
    assert not spectrum_cached(x_shape, w_shape, spec, np.float32, ctx)
    fft.forward(np.ones(x_shape, np.float32), w.numpy(), spec, ctx=ctx)
    assert spectrum_cached(x_shape, w_shape, spec, np.float32, ctx)
    cold = conv.estimates(x_shape, w_shape, spec, np.float32, cached=False)["fft"]
    warm = conv.estimates(x_shape, w_shape, spec, np.float32, cached=True)["fft"]
    assert warm < cold
