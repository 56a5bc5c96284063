"""Convolution engines on plain ndarrays, and the choice between them.

Each engine (``direct``, ``gemm``, ``winograd``, ``fft``) provides ``forward``, ``grad_input``
and ``grad_weight`` and declares its ``CAPABILITIES``; :mod:`convlens.conv.choose` is the only
place that picks one. :func:`explain` shows the chooser's reasoning, :func:`autotune` switches
to measured choice, :data:`SPECTRA` is the filter-spectrum cache, and
:func:`set_num_threads` bounds the threads of the FFTs and chunked NumPy loops (BLAS threads:
use ``threadpoolctl``).
"""

from ._threads import get_num_threads, set_num_threads
from .capabilities import Capabilities
from .choose import ALGORITHMS, ENGINES, choose, engine, estimates, runner, unsupported
from .context import ConvContext
from .explain import Explanation, explain
from .geometry import ConvSpec, conv_spec, same_padding
from .spectrum_cache import SPECTRA, SpectrumCache
from .tuning import autotune

__all__ = [
    "ALGORITHMS", "ENGINES", "SPECTRA", "Capabilities", "ConvContext", "ConvSpec",
    "Explanation", "SpectrumCache", "autotune", "choose", "conv_spec", "engine", "estimates",
    "explain", "get_num_threads", "runner", "same_padding", "set_num_threads", "unsupported",
]
