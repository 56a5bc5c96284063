"""Absurd sizes in pad, interpolate and Linear are refused at once, naming the argument."""

import time

import numpy as np
import pytest

import convlens as cl
from convlens import functional as F
from convlens import nn


@pytest.mark.parametrize("call, match", [
    (lambda x: F.pad(x, (10**9, 10**9)), r"pad: pad=\(1000000000, 1000000000\) is too large"),
    (lambda x: F.interpolate(x, scale_factor=10**9), r"interpolate: scale_factor=1000000000 "),
    (lambda x: F.interpolate(x, size=(40000, 40000)), r"interpolate: size=\(40000, 40000\) "),
    (lambda x: nn.Linear(10**6, 10**6), r"Linear: in_features=1000000, out_features=1000000"),
])
def test_refused_before_any_allocation(call, match):
    x = cl.tensor(np.ones((1, 3, 8, 8), np.float32))
    started = time.perf_counter()
    with pytest.raises(ValueError, match=match):
        call(x)
    assert time.perf_counter() - started < 1.0


def test_ordinary_sizes_still_work():
    x = cl.tensor(np.ones((1, 1, 4, 4), np.float32))
    assert F.pad(x, (1, 1, 2, 2)).shape == (1, 1, 8, 6)
    assert F.interpolate(x, scale_factor=2).shape == (1, 1, 8, 8)
