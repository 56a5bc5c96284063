"""``pad``: padding as an autograd op, with torch.nn.functional.pad's argument order."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

from .. import _validate
from ..conv import geometry as _geometry
from ..conv import padding as _padding
from ..tensor import Tensor

_TORCH_MODES = {"constant": "zeros", "reflect": "reflect", "replicate": "replicate",
                "circular": "circular"}


def pad_pairs(x: Tensor, pairs: tuple[tuple[int, int], ...], mode: str,
              value: float = 0.0, name: str = "padding_mode") -> Tensor:
    """Pad the last ``len(pairs)`` axes with (low, high) pairs; ``mode`` as in ``padding_mode``.

    ``name`` is the public argument that chose ``mode``, for error messages.
    """
    _padding.check_pad_fits(pairs, x.shape[x.ndim - len(pairs):], mode, name)
    lead = x.ndim - len(pairs)
    _geometry.check_allocation(
        "pad", "the result", (*x.shape[:lead], *(n + lo + hi for n, (lo, hi) in
                                                  zip(x.shape[lead:], pairs))),
        x.dtype.itemsize, f"pad={tuple(v for pair in reversed(pairs) for v in pair)}",
        limit=_geometry.MAX_RESULT_BYTES)
    out = _padding.pad(x._data, pairs, mode, value)

    def backward(grad_output):
        return (_padding.pad_adjoint(grad_output, pairs, mode),)

    return Tensor._from_op(out, (x,), backward, "Pad")


def _pairs(pad: object, ndim: int) -> tuple[tuple[int, int], ...]:
    """torch's flat ``pad`` (last dim first) -> (low, high) pairs in dimension order."""
    flat = tuple(pad) if isinstance(pad, Sequence) and not isinstance(pad, str) else None
    if flat is None or len(flat) % 2 or len(flat) // 2 > ndim or not all(
        isinstance(p, Integral) and not isinstance(p, bool) for p in flat
    ):
        raise ValueError(
            f"pad must be a sequence of an even number of ints, at most "
            f"2 * input.ndim (={2 * ndim}); got {pad!r}"
        )
    return tuple((int(flat[i]), int(flat[i + 1])) for i in range(0, len(flat), 2))[::-1]


def _crop(x: Tensor, pairs: tuple[tuple[int, int], ...]) -> Tensor:
    """Remove ``-amount`` cells for each negative amount (torch's negative padding)."""
    lead = x.ndim - len(pairs)
    index = [slice(None)] * lead
    for (lo, hi), n in zip(pairs, x.shape[lead:]):
        start, stop = max(-lo, 0), n - max(-hi, 0)
        if stop < start:
            raise ValueError(f"pad crops more than the input holds: pad {(lo, hi)} on a "
                             f"dimension of size {n}")
        index.append(slice(start, stop))
    return x[tuple(index)]


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",  # noqa: A002
        value: float | None = None) -> Tensor:
    """Pad the trailing dimensions of ``input``, as ``torch.nn.functional.pad``.

    Parameters
    ----------
    input : Tensor
        Float32 or float64.
    pad : sequence of int
        ``(last_lo, last_hi, second_last_lo, second_last_hi, ...)``: pairs from the last
        dimension backwards. A negative amount crops that many cells from that side, as in
        torch: ``constant`` and ``circular`` crop first and pad what remains (torch's own
        circular result is not well defined when one dimension both crops and wraps);
        ``reflect`` and ``replicate`` pad from the whole input, then crop.
    mode : {"constant", "reflect", "replicate", "circular"}, default "constant"
        ``reflect`` mirrors without repeating the edge, ``replicate`` repeats the edge,
        ``circular`` wraps around.
    value : float, optional
        Fill value for ``"constant"`` (default 0); torch allows no other value in other modes.

    Returns
    -------
    Tensor
        Each padded dimension grows by ``lo + hi``. The gradient of a padded cell flows back
        to the input cell it copies.

    Raises
    ------
    ValueError
        If ``pad`` has an odd length or more pairs than ``input`` has dimensions, if a crop
        removes more than a dimension holds, if ``mode`` is unknown, if ``value`` is given
        for another mode, or if a reflect pad is not smaller than its dimension (circular:
        not larger).
    TypeError
        Non-float input.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import functional as F
    >>> F.pad(cl.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect").numpy().tolist()
    [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
    >>> F.pad(cl.tensor([[1.0]]), (1, 1), value=9.0).numpy().tolist()
    [[9.0, 1.0, 9.0]]
    >>> F.pad(cl.tensor([[1.0, 2.0, 3.0]]), (-1, 1)).numpy().tolist()
    [[2.0, 3.0, 0.0]]
    """
    x = _validate.float_tensor(input, "input", "pad")
    _validate.one_of(mode, _TORCH_MODES, "mode")
    if value is not None and mode != "constant" and value != 0:
        raise ValueError(f"pad takes a fill value only with mode='constant'; got value={value} "
                         f"with mode={mode!r}")
    fill = 0.0 if value is None else _validate.any_real(value, "value")
    pairs = _pairs(pad, x.ndim)
    if not any(p < 0 for pair in pairs for p in pair):
        return pad_pairs(x, pairs, _TORCH_MODES[mode], fill, "mode")
    grow = tuple((max(lo, 0), max(hi, 0)) for lo, hi in pairs)
    if mode in ("reflect", "replicate"):  # torch maps each output cell onto the whole input
        sizes = x.shape[x.ndim - len(pairs):]
        if all(n + lo + hi < 1 for n, (lo, hi) in zip(sizes, pairs)):  # torch's rule
            raise ValueError(f"pad with mode={mode!r} would leave every padded dim empty: pad "
                             f"{tuple(pad)} for input of shape {x.shape}")
        return _crop(pad_pairs(x, grow, _TORCH_MODES[mode], fill, "mode"), pairs)
    x = _crop(x, pairs)  # constant and circular: crop first, then pad what remains
    sizes = x.shape[x.ndim - len(pairs):]
    if mode == "circular":  # wrapping more than once is refused even if the result is empty
        _padding.check_pad_fits(grow, sizes, "circular", "mode")
    if 0 in x.shape and not any(n == 0 and lo + hi for n, (lo, hi) in zip(sizes, grow)):
        mode = "constant"  # the result is empty whatever the mode, as in torch
    return pad_pairs(x, grow, _TORCH_MODES[mode], fill, "mode")
