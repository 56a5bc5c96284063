"""``dropout`` with an explicit random generator."""

from __future__ import annotations

import numpy as np

from .. import _validate
from ..random import as_generator
from ..tensor import Tensor


def dropout(input: Tensor, p: float = 0.5, training: bool = True,  # noqa: A002
            generator: np.random.Generator | int | None = None) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p).

    Parameters
    ----------
    input : Tensor
    p : float, default 0.5
        Drop probability in [0, 1].
    training : bool, default True
        When False, return ``input`` unchanged.
    generator : numpy.random.Generator or int, optional
        Source of randomness; the default generator (see :func:`convlens.manual_seed`) if None.

    Returns
    -------
    Tensor
        Same shape as ``input``. ``p=0`` (or ``training=False``) returns ``input`` itself and
        ``p=1`` returns zeros, as in torch.

    Raises
    ------
    ValueError
        If ``p`` is outside [0, 1].
    TypeError
        Non-float input, or a ``generator`` that is not None, an int or a Generator.

    Notes
    -----
    The mask comes from ``generator``, never from hidden global state, so the same seed gives
    the same mask. It is not torch's mask: the two libraries draw different random numbers.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> x = cl.tensor(np.ones(6))
    >>> a = F.dropout(x, 0.5, generator=0).numpy()
    >>> bool((a == F.dropout(x, 0.5, generator=0).numpy()).all()), sorted(set(a.tolist()))
    (True, [0.0, 2.0])
    """
    x = _validate.float_tensor(input, "input", "dropout")
    p = _validate.real_number(p, "p", low=0.0, high=1.0)
    rng = as_generator(generator)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        mask = np.zeros(x.shape, dtype=x.dtype)
    else:
        keep = rng.random(x.shape) >= p
        mask = keep.astype(x.dtype) / np.asarray(1 - p, dtype=x.dtype)
    return Tensor._from_op(x._data * mask, (x,), lambda g: (g * mask,), "Dropout")


def _channel_dropout(input, p: float, training: bool, generator, nd: int,  # noqa: A002
                     op: str) -> Tensor:
    """Zero whole channels: one draw per (sample, channel), broadcast over ``nd`` dims."""
    x = _validate.float_tensor(input, "input", op)
    p = _validate.real_number(p, "p", low=0.0, high=1.0)
    rng = as_generator(generator)
    if x.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{op} expects a {nd + 1}-D (C, *d) or {nd + 2}-D (N, C, *d) input "
                         f"with {nd} spatial dims; got shape {x.shape}")
    if not training or p == 0.0:
        return x
    # torch reads a 3-D input to dropout2d as (N, C, L); otherwise one channel axis per sample.
    lead = 2 if x.ndim == nd + 2 or (nd == 2 and x.ndim == 3) else 1
    mask_shape = x.shape[:lead] + (1,) * (x.ndim - lead)
    if p == 1.0:
        mask = np.zeros(mask_shape, dtype=x.dtype)
    else:
        mask = (rng.random(mask_shape) >= p).astype(x.dtype) / np.asarray(1 - p, dtype=x.dtype)
    return Tensor._from_op(x._data * mask, (x,), lambda g: (g * mask,), "Dropout")


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,  # noqa: A002
              inplace: bool = False,
              generator: np.random.Generator | int | None = None) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input, as ``torch.nn.functional.dropout1d``.

    Kept channels are scaled by 1 / (1 - p). ``inplace`` is accepted and never overwrites.
    """
    return _channel_dropout(input, p, training, generator, 1, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,  # noqa: A002
              inplace: bool = False,
              generator: np.random.Generator | int | None = None) -> Tensor:
    """Zero whole channels of (N, C, H, W) input, as ``torch.nn.functional.dropout2d``.

    A 3-D input is read as (N, C, L), as torch (with a warning) still does.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> y = F.dropout2d(cl.tensor(np.ones((1, 4, 2, 2))), 0.5, generator=0).numpy()
    >>> sorted(set(y.reshape(4, -1).std(axis=1).tolist()))  # each channel all 0 or all 2
    [0.0]
    """
    return _channel_dropout(input, p, training, generator, 2, "dropout2d")


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,  # noqa: A002
              inplace: bool = False,
              generator: np.random.Generator | int | None = None) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input, as torch's dropout3d."""
    return _channel_dropout(input, p, training, generator, 3, "dropout3d")


# -SELU_SCALE * SELU_ALPHA: the value SELU saturates to for very negative input.
_ALPHA_PRIME = 1.7580993408473766


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,  # noqa: A002
                  inplace: bool = False,
                  generator: np.random.Generator | int | None = None) -> Tensor:
    """Dropout that keeps SELU's zero mean and unit variance, as torch's ``alpha_dropout``.

    Dropped elements are set to SELU's negative saturation ``-1.7581``, then everything is
    scaled by ``a`` and shifted by ``b`` (Klambauer et al. 2017):
    ``a = ((1 - p) * (1 + p * 1.7581**2)) ** -0.5`` and ``b = 1.7581 * a * p``. Note torch's
    default ``training=False`` here.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import functional as F
    >>> x = cl.tensor(np.random.default_rng(0).standard_normal(100_000))
    >>> y = F.alpha_dropout(x, 0.3, training=True, generator=1).numpy()
    >>> abs(float(y.mean())) < 0.01, round(float(y.std()), 1)
    (True, 1.0)
    """
    x = _validate.float_tensor(input, "input", "alpha_dropout")
    p = _validate.real_number(p, "p", low=0.0, high=1.0)
    rng = as_generator(generator)
    if not training or p == 0.0:
        return x
    if p == 1.0:  # torch: every element dropped gives zeros
        return x * 0.0
    keep = (rng.random(x.shape) >= p).astype(x.dtype)
    a = ((1 - p) * (1 + p * _ALPHA_PRIME**2)) ** -0.5
    shift = ((keep - 1) * _ALPHA_PRIME * a + _ALPHA_PRIME * a * p).astype(x.dtype)
    scale = (keep * a).astype(x.dtype)
    return Tensor._from_op(x._data * scale + shift, (x,), lambda g: (g * scale,), "AlphaDropout")
