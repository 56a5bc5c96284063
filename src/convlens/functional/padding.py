"""``pad``: padding as an autograd op, with torch.nn.functional.pad's argument order."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _validate
from ..conv import padding as _padding
from ..tensor import Tensor

_TORCH_MODES = {"constant": "zeros", "reflect": "reflect", "replicate": "replicate",
                "circular": "circular"}


def pad_pairs(x: Tensor, pairs: tuple[tuple[int, int], ...], mode: str) -> Tensor:
    """Pad the last ``len(pairs)`` axes with (low, high) pairs; ``mode`` as in ``padding_mode``."""
    _padding.check_pad_fits(pairs, x.shape[x.ndim - len(pairs):], mode)
    out = _padding.pad(x.data, pairs, mode)

    def backward(grad_output):
        return (_padding.pad_adjoint(grad_output, pairs, mode),)

    return Tensor._from_op(out, (x,), backward, "Pad")


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",  # noqa: A002
        value: float = 0.0) -> Tensor:
    """Pad the trailing dimensions of ``input``, as ``torch.nn.functional.pad``.

    Parameters
    ----------
    input : Tensor
    pad : sequence of int
        ``(last_lo, last_hi, second_last_lo, second_last_hi, ...)``: pairs from the last
        dimension backwards; non-negative.
    mode : {"constant", "reflect", "replicate", "circular"}, default "constant"
    value : float, default 0.0
        Fill value for ``"constant"``; only 0 is supported.

    Returns
    -------
    Tensor
        Each padded dimension grows by ``lo + hi``.

    Raises
    ------
    ValueError
        If ``pad`` has an odd length, negative entries or more pairs than ``input`` has
        dimensions, if ``mode`` is unknown, or if a reflect/circular pad is too wide.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.pad(cl.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect").numpy().tolist()
    [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
    """
    x = _validate.float_tensor(input, "input", "pad")
    _validate.one_of(mode, _TORCH_MODES, "mode")
    if value != 0:
        raise ValueError(f"pad supports value=0 only; got value={value}")
    flat = tuple(pad)
    if len(flat) % 2 or len(flat) // 2 > x.ndim or not all(
        isinstance(p, int | np.integer) and p >= 0 for p in flat
    ):
        raise ValueError(
            f"pad must hold an even number of non-negative ints, at most 2 * input.ndim "
            f"(={2 * x.ndim}); got {flat}"
        )
    pairs = tuple((flat[i], flat[i + 1]) for i in range(0, len(flat), 2))[::-1]
    return pad_pairs(x, pairs, _TORCH_MODES[mode])
