"""More pooling layers: adaptive max, power-average (LP), max unpooling and fractional max.

Each wraps the function of the same name in :mod:`convlens.functional` (looked up at call
time), with torch's constructor arguments, and checks them when it is built.
"""

from __future__ import annotations

import math
from typing import Any

from .. import _validate
from .. import functional as F
from ..functional import _pool_common
from ..random import as_generator
from ..tensor import Tensor
from . import _args
from .module import Module
from .pooling import _AdaptivePoolNd, _stored
from .registry import builtin


class _AdaptiveMaxPoolNd(_AdaptivePoolNd):
    _kind = "max"

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = _args.boolean(return_indices, "return_indices")

    def forward(self, input: Tensor):  # noqa: A002
        return getattr(F, f"adaptive_max_pool{self._nd}d")(input, self.output_size,
                                                           self.return_indices)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "return_indices": self.return_indices}


@builtin
class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max of (N, C, L) input over ``output_size`` bins, as ``torch.nn.AdaptiveMaxPool1d``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import nn
    >>> nn.AdaptiveMaxPool1d(2)(cl.tensor([[[1.0, 5.0, 3.0, 4.0, 2.0]]])).tolist()
    [[[5.0, 4.0]]]
    """

    _nd = 1


@builtin
class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max over an ``output_size`` grid of bins, as ``torch.nn.AdaptiveMaxPool2d``.

    Parameters
    ----------
    output_size : int or tuple of 2 (int or None)
        (H_out, W_out); None keeps that input size; 1 is global max pooling.
    return_indices : bool, default False
        Also return each maximum's flat index into the (H, W) plane.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> nn.AdaptiveMaxPool2d((2, 1))(cl.tensor(np.ones((1, 3, 5, 5)))).shape
    (1, 3, 2, 1)
    """

    _nd = 2


class _LPPoolNd(Module):
    _nd = 0

    def __init__(self, norm_type: float, kernel_size: Any, stride: Any = None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        layer = type(self).__name__
        _pool_common.window_args(layer, self._nd, kernel_size, stride, 0, 1)
        self.norm_type = _validate.any_real(norm_type, "norm_type")
        if self.norm_type == 0:
            raise ValueError(f"{layer}: norm_type must be non-zero; got {norm_type!r}")
        self.norm_type = norm_type
        self.kernel_size = _stored(kernel_size, self._nd)
        self.stride = _stored(stride, self._nd)   # None stays None, as in torch
        self.ceil_mode = _args.boolean(ceil_mode, "ceil_mode")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return getattr(F, f"lp_pool{self._nd}d")(input, self.norm_type, self.kernel_size,
                                                 self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")

    def get_config(self) -> dict[str, Any]:
        norm = self.norm_type
        # JSON has no infinity: an infinite norm_type is saved as the string "inf" or "-inf"
        return {"norm_type": str(float(norm)) if math.isinf(norm) else norm,
                "kernel_size": self.kernel_size, "stride": self.stride,
                "ceil_mode": self.ceil_mode}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> _LPPoolNd:
        norm = config.get("norm_type")
        if norm in ("inf", "-inf"):
            config = {**config, "norm_type": float(norm)}
        return cls(**config)


@builtin
class LPPool1d(_LPPoolNd):
    """1-D power-average pooling, as ``torch.nn.LPPool1d``; see :class:`LPPool2d`.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import nn
    >>> nn.LPPool1d(2, 2)(cl.tensor([[[3.0, 4.0, 6.0, 8.0]]])).tolist()
    [[[5.0, 10.0]]]
    """

    _nd = 1


@builtin
class LPPool2d(_LPPoolNd):
    """2-D power-average pooling, as ``torch.nn.LPPool2d``: ``(sum x ** p) ** (1 / p)``
    over each window (see :func:`convlens.functional.lp_pool2d`).

    Parameters
    ----------
    norm_type : float
        The power ``p`` (non-zero); ``inf`` gives max pooling of ``|x|``.
    kernel_size : int or tuple of 2 ints
    stride : int or tuple of 2 ints, optional
        Defaults to ``kernel_size``.
    ceil_mode : bool, default False

    Examples
    --------
    >>> from convlens import nn
    >>> nn.LPPool2d(2, 3, stride=2)
    LPPool2d(norm_type=2, kernel_size=3, stride=2, ceil_mode=False)
    """

    _nd = 2


class _MaxUnpoolNd(Module):
    _nd = 0

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        nd = self._nd
        self.kernel_size = _pool_common.window_tuple(kernel_size, nd, "kernel_size")
        self.stride = self.kernel_size if stride is None else _pool_common.window_tuple(
            stride, nd, "stride")
        self.padding = _pool_common.window_tuple(padding, nd, "padding", minimum=0)

    def forward(self, input: Tensor, indices: Tensor,  # noqa: A002
                output_size: Any = None) -> Tensor:
        return getattr(F, f"max_unpool{self._nd}d")(input, indices, self.kernel_size,
                                                    self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def get_config(self) -> dict[str, Any]:
        return {"kernel_size": self.kernel_size, "stride": self.stride,
                "padding": self.padding}


@builtin
class MaxUnpool1d(_MaxUnpoolNd):
    """Partial inverse of :class:`MaxPool1d`, as ``torch.nn.MaxUnpool1d``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import nn
    >>> y, i = nn.MaxPool1d(2, return_indices=True)(cl.tensor([[[1.0, 3.0, 4.0, 2.0]]]))
    >>> nn.MaxUnpool1d(2)(y, i).tolist()
    [[[0.0, 3.0, 4.0, 0.0]]]
    """

    _nd = 1


@builtin
class MaxUnpool2d(_MaxUnpoolNd):
    """Partial inverse of :class:`MaxPool2d`, as ``torch.nn.MaxUnpool2d``.

    ``forward(input, indices, output_size=None)`` puts each value back at its index and
    zeros elsewhere (see :func:`convlens.functional.max_unpool2d`).

    Parameters
    ----------
    kernel_size : int or tuple of 2 ints
    stride : int or tuple of 2 ints, optional
        Defaults to ``kernel_size``.
    padding : int or tuple of 2 ints, default 0

    Examples
    --------
    >>> from convlens import nn
    >>> nn.MaxUnpool2d(2)
    MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))
    """

    _nd = 2


@builtin
class FractionalMaxPool2d(Module):
    """Max pooling over pseudo-random windows, as ``torch.nn.FractionalMaxPool2d``.

    Parameters
    ----------
    kernel_size : int or tuple of 2 ints
    output_size : int or tuple of 2 ints, optional
    output_ratio : float or tuple of 2 floats in (0, 1), optional
        Give exactly one of ``output_size`` and ``output_ratio``.
    return_indices : bool, default False
    _random_samples : Tensor, optional
        (N, C, 2) fixed samples in [0, 1), used at every call (not saved).
    generator : numpy.random.Generator or int, optional
        Keyword-only: an int seeds a generator owned by the layer; None draws from the default
        generator at each call (see :func:`convlens.manual_seed`). Not saved.

    Notes
    -----
    The windows follow :func:`convlens.functional.fractional_max_pool2d`; with the same
    ``_random_samples`` the output is torch's.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> nn.FractionalMaxPool2d(2, output_ratio=0.5, generator=0)(
    ...     cl.tensor(np.ones((1, 3, 10, 9)))).shape
    (1, 3, 5, 4)
    """

    def __init__(self, kernel_size: Any, output_size: Any = None, output_ratio: Any = None,
                 return_indices: bool = False, _random_samples: Any = None, *,
                 generator: Any = None) -> None:
        super().__init__()
        self.kernel_size = _stored(_pool_common.window_tuple(kernel_size, 2, "kernel_size"))
        if (output_size is None) == (output_ratio is None):
            raise ValueError("FractionalMaxPool2d needs exactly one of output_size and "
                             f"output_ratio; got output_size={output_size!r}, "
                             f"output_ratio={output_ratio!r}")
        self.output_size = None if output_size is None else _pool_common.window_tuple(
            output_size, 2, "output_size")
        ratio = output_ratio
        if ratio is not None:
            ratio = tuple(ratio) if isinstance(ratio, list | tuple) else (ratio, ratio)
            if len(ratio) != 2 or not all(0 < _validate.real_number(r, "output_ratio") < 1
                                          for r in ratio):
                raise ValueError(f"output_ratio must be a number or 2 numbers in (0, 1); "
                                 f"got {output_ratio!r}")
        self.output_ratio = ratio
        self.return_indices = _args.boolean(return_indices, "return_indices")
        self._random_samples = _random_samples
        self.generator = None if generator is None else as_generator(generator)

    def forward(self, input: Tensor):  # noqa: A002
        return F.fractional_max_pool2d(input, self.kernel_size, self.output_size,
                                       self.output_ratio, self.return_indices,
                                       self._random_samples, generator=self.generator)

    def get_config(self) -> dict[str, Any]:
        return {"kernel_size": self.kernel_size, "output_size": self.output_size,
                "output_ratio": self.output_ratio, "return_indices": self.return_indices}
