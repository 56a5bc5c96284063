"""Convolution engines on plain ndarrays, and the choice between them.

Each engine (``direct``, ``gemm``, ...) provides ``forward``, ``grad_input`` and ``grad_weight``;
:mod:`convlens.conv.choose` is the only place that picks one.
"""

from .choose import ALGORITHMS, ENGINES, choose, engine
from .geometry import ConvSpec, conv_spec, same_padding

__all__ = ["ALGORITHMS", "ENGINES", "ConvSpec", "choose", "conv_spec", "engine", "same_padding"]
