"""The ``compiled`` engine's features for :mod:`convlens.conv.cost_model`.

Its loops do no copies beyond the padding and no matrix products, so its time is a fixed cost
per call plus a cost per multiply-add, shared among the threads that run the call (one below
:data:`convlens.conv.compiled.SERIAL_BELOW`). ``grad_weight`` sums in float64, so its
multiply-adds are priced apart (``jwmac``).

Features
--------
jmac      multiply-adds of forward and grad_input, divided by the threads that run them
jwmac     multiply-adds of grad_weight, divided by the threads
jcall     fixed overhead per compiled call (dispatch, thread hand-off)
"""

from __future__ import annotations

import math
from collections import Counter

from . import _threads
from .geometry import ConvSpec

# Seconds per unit: medians over 5 layer shapes x 3 passes, timed interleaved with the gemm
# engine on one thread and scaled by gemm's fitted estimate, so that the ratio between the
# two engines matches what was measured (the shared 2-core machine was under heavy load;
# see docs/performance.md, "The compiled engine").
CONSTANTS: dict[str, float] = {"jmac": 4.7e-10, "jwmac": 8.6e-10, "jcall": 2.0e-05}


def compiled_features(x_shape, w_shape, spec: ConvSpec, item: int, pass_: str) -> Counter:
    """Feature counts of one pass of the compiled engine."""
    from .compiled import SERIAL_BELOW

    out = spec.output_size(tuple(x_shape[2:]), tuple(w_shape[2:]))
    macs = x_shape[0] * math.prod(w_shape) * math.prod(out)
    threads = 1 if macs < SERIAL_BELOW else _threads.get_num_threads()
    padded = math.prod(spec.padded_size(tuple(x_shape[2:])))
    counts = Counter(jcall=1, stream=item * x_shape[0] * x_shape[1] * padded)
    counts["jwmac" if pass_ == "grad_weight" else "jmac"] = macs / threads
    return counts
