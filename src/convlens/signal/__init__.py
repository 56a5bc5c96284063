"""True convolution and cross-correlation of N-d arrays, with ``scipy.signal``'s semantics.

What neural-network layers call "convolution" (:func:`convlens.functional.conv2d`) is
cross-correlation: the filter slides over the input without being flipped. True convolution
flips the kernel along every axis. This module offers both, under their right names, on
plain ndarrays (not Tensors, and without gradients):

- :func:`convolve` -- ``out[n] = sum_j in1[n - j] * in2[j]``;
- :func:`correlate` -- ``out[n] = sum_j in1[n + j] * conj(in2[j])``, shifted so that
  "full" mode covers every lag;
- :func:`choose_method` -- which of ``method="direct"`` and ``"fft"`` ``"auto"`` picks.

See ``docs/signal.md`` for the modes and how "auto" decides.
"""

from ._convolve import choose_method, convolve, correlate

__all__ = ["choose_method", "convolve", "correlate"]
