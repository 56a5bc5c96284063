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
