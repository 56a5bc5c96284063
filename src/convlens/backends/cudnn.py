"""``convlens.backends.cudnn``: torch's convolution switches, meaning what they mean there.

- ``benchmark``: in torch, time the convolution algorithms once per input shape and keep the
  fastest. Setting it here turns on :func:`convlens.conv.autotune`, which does that for the
  convlens engines (direct, GEMM, Winograd, FFT); reading it reports whether autotune is on.
- ``deterministic``: accepted and remembered. Every convlens engine gives the same result for
  the same inputs on every run, so there is nothing to switch.
- ``enabled``: accepted and remembered; cuDNN itself is never used.

Examples
--------
>>> import convlens as cl
>>> cl.backends.cudnn.benchmark = True
>>> cl.conv.autotune()
True
>>> cl.backends.cudnn.benchmark = False
"""

from __future__ import annotations

import sys
import types


def is_available() -> bool:
    """Always ``False``: convlens has its own CPU engines, not cuDNN."""
    return False


def version() -> None:
    """``None``, as torch returns when cuDNN is not available."""
    return None


class _CudnnModule(types.ModuleType):
    """This module, with ``benchmark`` as a property wired to the conv autotuner."""

    deterministic = False
    enabled = True
    allow_tf32 = True

    @property
    def benchmark(self) -> bool:
        from ..conv import tuning

        return tuning.autotune()

    @benchmark.setter
    def benchmark(self, value: bool) -> None:
        from ..conv import tuning

        if not isinstance(value, bool):
            raise TypeError(f"cudnn.benchmark must be a bool; got {type(value).__name__}")
        tuning.autotune(value)


sys.modules[__name__].__class__ = _CudnnModule
