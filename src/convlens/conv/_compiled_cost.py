"""The ``compiled`` engine's features for :mod:`convlens.conv.cost_model`.

A pass is either a flat direct convolution (few output channels per group; see
:func:`convlens.conv.compiled.is_flat`), priced per multiply-add and per inner loop of its
compiled loops (their geometry is :class:`convlens.conv._flat.FlatLayout`'s), or otherwise
gemm's forward and grad_weight (priced as gemm's) and a ``grad_input`` of BLAS products plus
a compiled col2im, priced with gemm's ``flop`` and ``matrix`` constants plus a cost per column
element added back. The flat constants were measured with the 2-thread budget the loops
split over.

Features
--------
jmac      multiply-adds of a flat forward or grad_input, thrown-away columns included
jwmac     multiply-adds of a flat grad_weight (vectorized dot products)
jcol      column elements added back by col2im
jcall     fixed overhead per compiled call (dispatch, argument checks, output reshapes)
"""

from __future__ import annotations

import math
from collections import Counter

from ._flat import layout
from .geometry import ConvSpec

# Seconds per unit, on the same scale as the other engines' constants: each was fitted so that
# the estimate equals gemm's estimate for the same pass times the compiled/gemm time ratio
# measured interleaved with a 2-thread budget, both inside ``for_work`` as in training (jmac,
# jwmac, jcall: 18 flat layer shapes x 3 passes; jcol: 13 shapes on one thread before
# the flat loops were register-blocked; docs/performance.md, "The compiled engine"). Timing
# the engines alone would mix in the machine's load.
CONSTANTS: dict[str, float] = {"jmac": 1.36e-11, "jwmac": 1.79e-11, "jcol": 2.4e-10,
                               "jcall": 4.4e-05}


def compiled_features(x_shape, w_shape, spec: ConvSpec, item: int, pass_: str) -> Counter:
    """Feature counts of one pass of the compiled engine."""
    from .compiled import _CHUNK_BYTES, is_flat
    from .cost_model import gemm_features

    N, C, O, G = x_shape[0], x_shape[1], w_shape[0], spec.groups
    kernel = tuple(w_shape[2:])
    K = math.prod(kernel)
    out = spec.output_size(tuple(x_shape[2:]), kernel)
    padded = spec.padded_size(tuple(x_shape[2:]))
    P = math.prod(out)
    counts = Counter(jcall=1, stream=item * N * C * math.prod(padded))
    if is_flat(tuple(w_shape), spec):
        flat = layout(tuple(x_shape), tuple(w_shape), spec)
        counts["jwmac" if pass_ == "grad_weight" else "jmac"] = flat.macs(pass_)
        counts["stream"] += item * flat.samples * O * flat.Ho * flat.Wq
        return counts
    if pass_ != "grad_input":
        return gemm_features(x_shape, w_shape, spec, item, pass_)
    counts.update(flop=2 * N * O * w_shape[1] * K * P, jcol=N * C * K * P, out=N * O * P,
                  matrix=G * max(1, item * C * K * P * N // _CHUNK_BYTES))
    return counts
