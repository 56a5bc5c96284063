"""``Dropout`` and its variants (``Dropout1d/2d/3d`` drop whole channels, ``AlphaDropout``
keeps SELU's statistics): zero activations at random while training, with an explicit generator.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validate
from ..functional.dropout import alpha_dropout, dropout, dropout1d, dropout2d, dropout3d
from ..random import as_generator
from ..tensor import Tensor
from . import _args
from .module import Module
from .registry import builtin


@builtin
class Dropout(Module):
    """Zero each element with probability ``p`` in training and scale the rest by 1/(1-p).

    In eval mode it is the identity (as ``torch.nn.Dropout``).

    Parameters
    ----------
    p : float, default 0.5
        Drop probability in [0, 1].
    inplace : bool, default False
        Accepted for compatibility with PyTorch code; has no effect.
    generator : numpy.random.Generator or int, optional
        Source of the masks. An int seeds a Generator owned by this layer. None draws from the
        default generator at each call (see :func:`convlens.manual_seed`).

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> drop = nn.Dropout(0.5, generator=0)
    >>> y = drop(cl.tensor(np.ones((1, 1000), np.float32)))
    >>> sorted(set(y.numpy().ravel().tolist()))
    [0.0, 2.0]
    >>> drop.eval()(cl.tensor([1.0, 2.0])).tolist()
    [1.0, 2.0]
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, *,
                 generator: np.random.Generator | int | None = None) -> None:
        super().__init__()
        self.p = _validate.real_number(p, "p", low=0.0, high=1.0)
        self.inplace = _args.boolean(inplace, "inplace")
        # Seed once here, so an int seed gives a fresh mask at every call, not the same one.
        self.generator = None if generator is None else as_generator(generator)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's argument name
        return dropout(input, self.p, self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"

    def get_config(self) -> dict[str, Any]:
        return {"p": self.p, "inplace": self.inplace}


class _DropoutVariant(Dropout):
    """Dropout's arguments, repr and config; ``_fn`` decides what is dropped."""

    _fn = staticmethod(dropout)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return type(self)._fn(input, self.p, self.training, generator=self.generator)


@builtin
class Dropout1d(_DropoutVariant):
    """Zero whole channels of (N, C, L) or (C, L) input in training, as ``torch.nn.Dropout1d``.

    Same parameters as :class:`Dropout`.
    """

    _fn = staticmethod(dropout1d)


@builtin
class Dropout2d(_DropoutVariant):
    """Zero whole channels of (N, C, H, W) input in training, as ``torch.nn.Dropout2d``.

    Examples
    --------
    >>> from convlens import nn
    >>> nn.Dropout2d(0.3)
    Dropout2d(p=0.3, inplace=False)
    """

    _fn = staticmethod(dropout2d)


@builtin
class Dropout3d(_DropoutVariant):
    """Zero whole channels of (N, C, D, H, W) input in training, as ``torch.nn.Dropout3d``."""

    _fn = staticmethod(dropout3d)


@builtin
class AlphaDropout(_DropoutVariant):
    """Dropout that keeps SELU's mean and variance, as ``torch.nn.AlphaDropout``."""

    @staticmethod
    def _fn(input, p, training, generator=None):  # noqa: A002
        return alpha_dropout(input, p, training, generator=generator)
