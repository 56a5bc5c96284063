"""Every engine against the ``direct`` oracle: forward, grad_input and grad_weight.

Cases are drawn by hypothesis (shapes, strides, paddings, dilations, groups) within what each
engine declares in ``CAPABILITIES``, in float32 and float64. The error is measured relative
to the sum of absolute products (``direct`` applied to absolute values), the scale every
floating-point dot product's rounding error is proportional to; see ``TOLERANCE``.
"""

from __future__ import annotations

import numpy as np
import pytest
from conv_cases import TOLERANCE, conv_cases, random_arrays
from hypothesis import given, settings
from hypothesis import strategies as st

from convlens.conv import ENGINES, ConvContext, choose, direct
from convlens.conv.geometry import ConvSpec

ENGINE_NAMES = [name for name in ENGINES if name != "direct"]
DTYPES = [np.float32, np.float64]


def _relative_error(actual: np.ndarray, expected: np.ndarray, scale: float) -> float:
    assert actual.shape == expected.shape
    assert np.all(np.isfinite(actual))
    return float(np.max(np.abs(actual - expected), initial=0.0) / scale)


def _scale(sums: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """The largest sum of |products|, but at least one product's size (FFT noise floor)."""
    return max(float(np.max(sums, initial=0.0)), float(np.max(abs(a)) * np.max(abs(b))), 1e-300)


def _compare(name: str, dtype, x, w, gy, spec: ConvSpec) -> dict[str, float]:
    """Relative errors of forward / grad_input / grad_weight (inputs rounded to dtype)."""
    x, w, gy = (a.astype(dtype).astype(np.float64) for a in (x, w, gy))
    eng = ENGINES[name]
    ctx = ConvContext(save=True)
    got = {
        "forward": eng.forward(x.astype(dtype), w.astype(dtype), spec, ctx=ctx),
        "grad_input": eng.grad_input(gy.astype(dtype), w.astype(dtype), x.shape, spec, ctx=ctx),
        "grad_weight": eng.grad_weight(gy.astype(dtype), x.astype(dtype), w.shape, spec,
                                       ctx=ctx),
    }
    want = {"forward": direct.forward(x, w, spec),
            "grad_input": direct.grad_input(gy, w, x.shape, spec),
            "grad_weight": direct.grad_weight(gy, x, w.shape, spec)}
    scale = {"forward": _scale(direct.forward(abs(x), abs(w), spec), x, w),
             "grad_input": _scale(direct.grad_input(abs(gy), abs(w), x.shape, spec), gy, w),
             "grad_weight": _scale(direct.grad_weight(abs(gy), abs(x), w.shape, spec), gy, x)}
    errors = {}
    for key in got:
        assert got[key].dtype == dtype, f"{name} {key} returned {got[key].dtype}"
        errors[key] = _relative_error(got[key], want[key], scale[key])
    return errors


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", ENGINE_NAMES)
@settings(max_examples=40)
@given(data=st.data())
def test_engine_matches_direct(name, dtype, data):
    x_shape, w_shape, spec = data.draw(conv_cases(name))
    x, w, gy = random_arrays(x_shape, w_shape, spec, seed=data.draw(st.integers(0, 2**16)))
    errors = _compare(name, dtype, x, w, gy, spec)
    bound = TOLERANCE[name][dtype]
    assert max(errors.values()) <= bound, (errors, x_shape, w_shape, spec)


LAYERS = [   # (x_shape, w_shape, stride, padding, dilation, groups): the shapes that matter
    ((2, 8, 20, 20), (8, 8, 3, 3), 1, 1, 1, 1),
    ((2, 6, 17, 13), (6, 1, 3, 3), 1, 1, 1, 6),        # depthwise
    ((2, 8, 9, 9), (16, 8, 1, 1), 1, 0, 1, 1),          # pointwise
    ((2, 4, 16, 16), (8, 4, 3, 3), 2, 1, 1, 1),         # strided
    ((1, 3, 40, 40), (4, 3, 9, 9), 1, 4, 1, 1),         # large kernel
    ((2, 4, 600), (4, 4, 17), 1, 8, 1, 1),              # long signal: FFT blocks
    ((2, 4, 601), (6, 2, 9), 3, 2, 2, 2),               # blocked, strided, dilated, grouped
    ((1, 2, 200, 60), (2, 2, 5, 3), 1, 2, 1, 1),        # 2-D blocks
    ((1, 2, 7), (2, 2, 5), 1, 9, 1, 1),                 # padding wider than the kernel
]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", ENGINE_NAMES)
@pytest.mark.parametrize("layer", LAYERS, ids=range(len(LAYERS)))
def test_engine_matches_direct_on_layer_shapes(name, dtype, layer):
    x_shape, w_shape, stride, padding, dilation, groups = layer
    nd = len(x_shape) - 2
    pad = tuple((padding, padding) for _ in range(nd))
    spec = ConvSpec((stride,) * nd, pad, (dilation,) * nd, groups)
    if ENGINES[name].CAPABILITIES.unsupported(w_shape, spec):
        # an engine forced onto a layer it cannot compute is refused, never run
        with pytest.raises(ValueError, match=f"algorithm='{name}' cannot compute this "
                                             f"convolution: the {name} engine does not support"):
            choose(x_shape, w_shape, spec, name)
        return
    errors = _compare(name, dtype, *random_arrays(x_shape, w_shape, spec, seed=1), spec)
    assert max(errors.values()) <= TOLERANCE[name][dtype], errors


@pytest.mark.parametrize("name", list(ENGINES))
def test_results_are_deterministic(name):
    x_shape, w_shape = (2, 4, 12, 12), (4, 4, 3, 3)
    spec = ConvSpec((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    x, w, gy = (a.astype(np.float32) for a in random_arrays(x_shape, w_shape, spec, seed=3))
    eng = ENGINES[name]
    for run in (eng.forward(x, w, spec), eng.grad_input(gy, w, x_shape, spec),
                eng.grad_weight(gy, x, w_shape, spec)):
        assert run.dtype == np.float32
    first = [eng.forward(x, w, spec), eng.grad_input(gy, w, x_shape, spec),
             eng.grad_weight(gy, x, w_shape, spec)]
    second = [eng.forward(x, w, spec), eng.grad_input(gy, w, x_shape, spec),
              eng.grad_weight(gy, x, w_shape, spec)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
