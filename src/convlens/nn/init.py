"""Weight initialisers, with ``torch.nn.init``'s names and formulas and an explicit generator.

Every function fills its tensor in place (bumping ``Tensor.version``) and returns it. Random
ones draw from ``generator``: an int seed, a ``numpy.random.Generator``, or None for the
default generator that :func:`convlens.manual_seed` resets. Draws are made in float64 and
then cast, so float32 and float64 layers built from the same seed hold the same values up to
rounding.

Fans, for a weight of shape (out, in, *kernel) (He et al. 2015; Glorot and Bengio 2010)::

    fan_in  = in  * prod(kernel)
    fan_out = out * prod(kernel)
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

from .. import _validate
from ..autograd import no_grad
from ..random import as_generator
from ..tensor import Tensor

_GAINS = {"linear": 1.0, "identity": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0,
          "conv_transpose1d": 1.0, "conv_transpose2d": 1.0, "conv_transpose3d": 1.0,
          "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0), "selu": 3.0 / 4}


def _shape(tensor: Any) -> tuple[int, ...]:
    if isinstance(tensor, Tensor | np.ndarray):
        return tuple(tensor.shape)
    raise TypeError(f"nn.init expects a convlens Tensor or an ndarray; "
                    f"got {type(tensor).__name__}")


def _fill(tensor: Any, values: np.ndarray | float) -> Any:
    if isinstance(tensor, Tensor):
        with no_grad():  # initialising a parameter is not an op to differentiate
            return tensor.copy_(values)
    np.copyto(tensor, np.asarray(values, tensor.dtype))
    return tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity, as ``torch.nn.init.calculate_gain``.

    Parameters
    ----------
    nonlinearity : str
        "linear", "conv1d", "conv2d", "conv3d", "sigmoid" (1), "tanh" (5/3), "relu"
        (sqrt(2)), "leaky_relu" (sqrt(2 / (1 + negative_slope**2))) or "selu" (3/4).
    param : float, optional
        The negative slope of "leaky_relu" (default 0.01).

    Examples
    --------
    >>> from convlens import nn
    >>> round(nn.init.calculate_gain("leaky_relu", 5 ** 0.5) ** 2, 6)
    0.333333
    """
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, Real) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    _validate.one_of(nonlinearity, [*_GAINS, "leaky_relu"], "nonlinearity")
    return _GAINS[nonlinearity]


def _calculate_fan_in_and_fan_out(tensor: Any) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel); needs at least 2 dimensions."""
    shape = _shape(tensor)
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a tensor of at least 2 dimensions; "
                         f"got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor: Any, mode: str) -> int:
    _validate.one_of(mode, ("fan_in", "fan_out"), "mode")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Any, a: float = 0.0, b: float = 1.0,
             generator: np.random.Generator | int | None = None) -> Any:
    """Fill with draws from U(a, b)."""
    a = _validate.real_number(a, "a")
    b = _validate.real_number(b, "b")
    if a > b:
        raise ValueError(f"uniform_ needs a <= b; got a={a}, b={b}")
    return _fill(tensor, as_generator(generator).uniform(a, b, size=_shape(tensor)))


def normal_(tensor: Any, mean: float = 0.0, std: float = 1.0,
            generator: np.random.Generator | int | None = None) -> Any:
    """Fill with draws from N(mean, std**2)."""
    mean = _validate.real_number(mean, "mean")
    std = _validate.real_number(std, "std", low=0.0)
    return _fill(tensor, as_generator(generator).normal(mean, std, size=_shape(tensor)))


def constant_(tensor: Any, val: float) -> Any:
    """Fill with ``val``."""
    _shape(tensor)
    return _fill(tensor, _validate.real_number(val, "val"))


def zeros_(tensor: Any) -> Any:
    """Fill with 0."""
    return constant_(tensor, 0.0)


def ones_(tensor: Any) -> Any:
    """Fill with 1."""
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Any, gain: float = 1.0,
                    generator: np.random.Generator | int | None = None) -> Any:
    """Glorot uniform: U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = _validate.real_number(gain, "gain") * math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator=generator)


def xavier_normal_(tensor: Any, gain: float = 1.0,
                   generator: np.random.Generator | int | None = None) -> Any:
    """Glorot normal: N(0, std**2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = _validate.real_number(gain, "gain") * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator=generator)


def kaiming_uniform_(tensor: Any, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: np.random.Generator | int | None = None) -> Any:
    """He uniform: U(-bound, bound) with ``bound = gain * sqrt(3 / fan)``.

    ``gain = calculate_gain(nonlinearity, a)``. PyTorch's default for conv and linear weights is
    ``a = sqrt(5)``, which makes ``bound = 1 / sqrt(fan_in)``.

    Examples
    --------
    >>> import numpy as np
    >>> from convlens import nn
    >>> w = np.empty((6, 1, 5, 5), np.float32)
    >>> _ = nn.init.kaiming_uniform_(w, a=5 ** 0.5, generator=0)
    >>> bool(np.abs(w).max() <= 1 / np.sqrt(25))
    True
    """
    fan = _fan(tensor, mode)
    if fan == 0:
        return tensor
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator=generator)


def kaiming_normal_(tensor: Any, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: np.random.Generator | int | None = None) -> Any:
    """He normal: N(0, std**2) with ``std = gain / sqrt(fan)``."""
    fan = _fan(tensor, mode)
    if fan == 0:
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator=generator)


def default_init_(weight: Any, bias: Any = None,
                  generator: np.random.Generator | int | None = None) -> None:
    """PyTorch's default for conv and linear layers, weight first, then bias.

    ``weight ~ kaiming_uniform_(a=sqrt(5))``, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and
    ``bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with the weight's fan_in. Both draws come from
    one generator, so a seed fixes the whole layer.
    """
    generator = as_generator(generator)
    kaiming_uniform_(weight, a=math.sqrt(5.0), generator=generator)
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        uniform_(bias, -bound, bound, generator=generator)
