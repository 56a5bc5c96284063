"""Rearranging channels and space: ``pixel_shuffle``, ``pixel_unshuffle`` (Shi et al. 2016,
sub-pixel convolution) and ``channel_shuffle`` (ShuffleNet), as in ``torch.nn.functional``.

Each is a reshape and a permutation, so its gradient is the inverse rearrangement.
"""

from __future__ import annotations

from .. import _validate
from ..tensor import Tensor


def _factor(value: object, name: str) -> int:
    return _validate.positive_int(value, name)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:  # noqa: A002
    """(*, C * r**2, H, W) -> (*, C, H * r, W * r), as ``torch.nn.functional.pixel_shuffle``.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> F.pixel_shuffle(cl.tensor(np.arange(4.0).reshape(1, 4, 1, 1)), 2).tolist()
    [[[[0.0, 1.0], [2.0, 3.0]]]]
    """
    x = _validate.float_tensor(input, "input", "pixel_shuffle")
    r = _factor(upscale_factor, "upscale_factor")
    if x.ndim < 3 or x.shape[-3] % (r * r):
        raise ValueError(f"pixel_shuffle expects input (*, C * upscale_factor**2, H, W) with "
                         f"upscale_factor={r}; got shape {x.shape}")
    *lead, c, h, w = x.shape
    k = len(lead)
    y = x.reshape((*lead, c // (r * r), r, r, h, w))
    y = y.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return y.reshape((*lead, c // (r * r), h * r, w * r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:  # noqa: A002
    """(*, C, H * r, W * r) -> (*, C * r**2, H, W): the inverse of :func:`pixel_shuffle`."""
    x = _validate.float_tensor(input, "input", "pixel_unshuffle")
    r = _factor(downscale_factor, "downscale_factor")
    if x.ndim < 3 or x.shape[-1] % r or x.shape[-2] % r:
        raise ValueError(f"pixel_unshuffle expects input (*, C, H, W) with H and W divisible "
                         f"by downscale_factor={r}; got shape {x.shape}")
    *lead, c, h, w = x.shape
    k = len(lead)
    y = x.reshape((*lead, c, h // r, r, w // r, r))
    y = y.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return y.reshape((*lead, c * r * r, h // r, w // r))


def channel_shuffle(input: Tensor, groups: int) -> Tensor:  # noqa: A002
    """Interleave the channels of ``groups`` groups, as ``torch.nn.functional.channel_shuffle``.

    (N, C, *) with C divisible by ``groups``: viewed as (N, groups, C / groups, *), the two
    channel axes are swapped, so the next grouped convolution mixes information across groups.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> F.channel_shuffle(cl.tensor(np.arange(4.0).reshape(1, 4, 1)), 2).numpy().ravel().tolist()
    [0.0, 2.0, 1.0, 3.0]
    """
    x = _validate.as_tensor(input, "input", "channel_shuffle")
    g = _factor(groups, "groups")
    if x.ndim < 3 or x.shape[1] % g:
        raise ValueError(f"channel_shuffle expects input (N, C, *) with C divisible by groups "
                         f"(={g}); got shape {x.shape}")
    n, c, *rest = x.shape
    return x.reshape((n, g, c // g, *rest)).transpose(1, 2).reshape(x.shape)
