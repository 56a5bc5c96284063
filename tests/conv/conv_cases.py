"""Hypothesis strategies for convolution cases, restricted to what an engine declares.

``conv_cases(engine_name)`` draws (x_shape, w_shape, spec) with 1 to 3 spatial dims, batch,
groups, channels, kernel, stride, dilation and per-side padding, keeping only features the
engine's ``CAPABILITIES`` allow, and always a kernel that fits the padded input.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from convlens.conv import ENGINES
from convlens.conv.geometry import ConvSpec

# Per engine and dtype: bound on max|engine - direct| / max(sum of |products|). The sum of
# absolute products is the natural scale of a dot product's rounding error.
TOLERANCE = {
    "direct": {np.float32: 1e-6, np.float64: 1e-13},
    "gemm": {np.float32: 1e-6, np.float64: 1e-13},
    "winograd": {np.float32: 2e-5, np.float64: 1e-12},
    "fft": {np.float32: 2e-5, np.float64: 1e-12},
    "compiled": {np.float32: 2e-6, np.float64: 1e-13},
}


@st.composite
def conv_cases(draw, engine: str, max_nd: int = 3):
    caps = ENGINES[engine].CAPABILITIES
    nd = draw(st.sampled_from([n for n in caps.nd if n <= max_nd]))
    longest = {1: 48, 2: 12, 3: 5}[nd]
    groups = draw(st.integers(1, 3)) if caps.groups else 1
    cg, og, batch = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kernel, stride, dilation, padding, size = [], [], [], [], []
    for _ in range(nd):
        k = caps.kernel or draw(st.integers(1, 4 if nd < 3 else 3))
        s = draw(st.integers(1, 3)) if caps.stride else 1
        d = draw(st.integers(1, 3)) if caps.dilation else 1
        lo, hi = draw(st.integers(0, 3)), draw(st.integers(0, 3))
        span = d * (k - 1) + 1
        n = draw(st.integers(max(1, span - lo - hi), max(longest, span)))
        kernel.append(k), stride.append(s), dilation.append(d)
        padding.append((lo, hi)), size.append(n)
    x_shape = (batch, groups * cg, *size)
    w_shape = (groups * og, cg, *kernel)
    return x_shape, w_shape, ConvSpec(tuple(stride), tuple(padding), tuple(dilation), groups)


def random_arrays(x_shape, w_shape, spec, seed: int):
    """float64 input, weight and upstream gradient for a case."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal(w_shape)
    out = spec.output_size(x_shape[2:], w_shape[2:])
    gy = rng.standard_normal((x_shape[0], w_shape[0], *out))
    return x, w, gy
