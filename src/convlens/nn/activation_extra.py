"""More activation layers, each a thin wrapper of the function of the same name in
:mod:`convlens.functional`, with ``torch.nn``'s constructor arguments, defaults and reprs.

``inplace`` is accepted where torch has it and shown in the repr as torch shows it, but convlens
never overwrites its input: the result is always a new tensor (same values either way).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validate
from ..functional import activation as _act
from ..functional import activation_extra as _ext
from ..tensor import Tensor
from . import _args, _budget
from .module import Module
from .parameter import Parameter
from .registry import builtin


class _Pointwise(Module):
    """An activation with keyword options; subclasses list them in ``_options``."""

    _options: tuple[str, ...] = ()
    _shown: tuple[str, ...] = ()  # options printed in the repr (torch's choice)

    def _set(self, **options: Any) -> None:
        for name, value in options.items():
            setattr(self, name, _args.boolean(value, name) if name == "inplace" else value)

    def _call(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's argument name
        return self._call(input)

    def extra_repr(self) -> str:
        parts = [f"{name}={getattr(self, name)!r}" for name in self._shown]
        if "inplace" in self._options and "inplace" not in self._shown and self.inplace:
            parts.append("inplace=True")
        return ", ".join(parts)

    def get_config(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._options}


@builtin
class GELU(_Pointwise):
    """``x * Phi(x)``, as ``torch.nn.GELU``; ``approximate="tanh"`` for the tanh form.

    Examples
    --------
    >>> from convlens import nn
    >>> nn.GELU()
    GELU(approximate='none')
    """

    _options = _shown = ("approximate",)

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self._set(approximate=_validate.one_of(approximate, ("none", "tanh"), "approximate"))

    def _call(self, x: Tensor) -> Tensor:
        return _ext.gelu(x, self.approximate)


def _simple(name: str, fn, doc: str, inplace: bool = True, show_inplace: bool = True):
    """A parameterless activation class (with an ``inplace`` flag where torch has one)."""
    def __init__(self, inplace: bool = False) -> None:
        _Pointwise.__init__(self)
        self._set(inplace=inplace)

    def __init_plain__(self) -> None:
        _Pointwise.__init__(self)

    attrs = {"__doc__": doc, "__module__": __name__, "__qualname__": name,
             "_options": ("inplace",) if inplace else (),
             "__init__": __init__ if inplace else __init_plain__,
             "_call": lambda self, x: fn(x)}
    if inplace and not show_inplace:
        attrs["extra_repr"] = lambda self: ""
    return builtin(type(name, (_Pointwise,), attrs))


SiLU = _simple("SiLU", _ext.silu, "``x * sigmoid(x)``, as ``torch.nn.SiLU``.")
Mish = _simple("Mish", _ext.mish, "``x * tanh(softplus(x))``, as ``torch.nn.Mish``.")
SELU = _simple("SELU", _ext.selu, "Scaled ELU with fixed constants, as ``torch.nn.SELU``.")
ReLU6 = _simple("ReLU6", _ext.relu6, "``min(max(x, 0), 6)``, as ``torch.nn.ReLU6``.")
Hardswish = _simple("Hardswish", _ext.hardswish, "``x * relu6(x + 3) / 6``, as "
                    "``torch.nn.Hardswish``.", show_inplace=False)
Hardsigmoid = _simple("Hardsigmoid", _ext.hardsigmoid, "``relu6(x + 3) / 6``, as "
                      "``torch.nn.Hardsigmoid``.", show_inplace=False)
Softsign = _simple("Softsign", _ext.softsign, "``x / (1 + |x|)``, as ``torch.nn.Softsign``.",
                   inplace=False)
LogSigmoid = _simple("LogSigmoid", _ext.logsigmoid, "``log(sigmoid(x))``, as "
                     "``torch.nn.LogSigmoid``.", inplace=False)
Tanhshrink = _simple("Tanhshrink", _ext.tanhshrink, "``x - tanh(x)``, as "
                     "``torch.nn.Tanhshrink``.", inplace=False)


@builtin
class ELU(_Pointwise):
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``, as ``torch.nn.ELU``.

    Examples
    --------
    >>> from convlens import nn
    >>> nn.ELU(0.5, inplace=True)
    ELU(alpha=0.5, inplace=True)
    """

    _options = ("alpha", "inplace")
    _shown = ("alpha",)

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self._set(alpha=_validate.real_number(alpha, "alpha"), inplace=inplace)

    def _call(self, x: Tensor) -> Tensor:
        return _ext.elu(x, self.alpha)


@builtin
class CELU(ELU):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``, as ``torch.nn.CELU``."""

    def _call(self, x: Tensor) -> Tensor:
        return _ext.celu(x, self.alpha)


@builtin
class Hardtanh(_Pointwise):
    """Clamp to ``[min_val, max_val]``, as ``torch.nn.Hardtanh``."""

    _options = ("min_val", "max_val", "inplace")
    _shown = ("min_val", "max_val")

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0,
                 inplace: bool = False) -> None:
        super().__init__()
        low = _validate.real_number(min_val, "min_val")
        high = _validate.real_number(max_val, "max_val")
        if high < low:
            raise ValueError(f"Hardtanh needs max_val >= min_val; got min_val={min_val}, "
                             f"max_val={max_val}")
        self._set(min_val=min_val, max_val=max_val, inplace=inplace)

    def _call(self, x: Tensor) -> Tensor:
        return _ext.hardtanh(x, self.min_val, self.max_val)


@builtin
class Softplus(_Pointwise):
    """``log(1 + exp(beta * x)) / beta``, linear past ``threshold``, as ``torch.nn.Softplus``."""

    _options = _shown = ("beta", "threshold")

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self._set(beta=_validate.real_number(beta, "beta"),
                  threshold=_validate.real_number(threshold, "threshold"))

    def _call(self, x: Tensor) -> Tensor:
        return _ext.softplus(x, self.beta, self.threshold)


class _DimSoftmax(_Pointwise):
    _options = _shown = ("dim",)
    _fn = staticmethod(_act.log_softmax)

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool)):
            raise TypeError(f"dim must be an int or None; got {type(dim).__name__} {dim!r}")
        self.dim = dim

    def _call(self, x: Tensor) -> Tensor:
        dim = self.dim
        if dim is None:  # torch's legacy rule, as nn.Softmax
            dim = 0 if _validate.float_tensor(x, "input", type(self).__name__).ndim in (0, 1, 3) \
                else 1
        return type(self)._fn(x, dim)


@builtin
class LogSoftmax(_DimSoftmax):
    """``log(softmax(x))`` along ``dim``, as ``torch.nn.LogSoftmax``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import nn
    >>> [round(v, 4) for v in nn.LogSoftmax(dim=0)(cl.tensor([0.0, 0.0])).tolist()]
    [-0.6931, -0.6931]
    """

    _fn = staticmethod(_act.log_softmax)


@builtin
class Softmin(_DimSoftmax):
    """``softmax(-x)`` along ``dim``, as ``torch.nn.Softmin``."""

    _fn = staticmethod(_ext.softmin)


@builtin
class PReLU(Module):
    """``x`` where ``x > 0``, else ``weight * x``, with learnt slopes, as ``torch.nn.PReLU``.

    Parameters
    ----------
    num_parameters : int, default 1
        1 (one slope for all channels) or the number of channels (axis 1 of the input).
    init : float, default 0.25
        The initial slope.
    dtype : {np.float32, np.float64}, default np.float32

    Examples
    --------
    >>> from convlens import nn
    >>> layer = nn.PReLU(3)
    >>> layer, list(layer.state_dict()), layer.weight.tolist()
    (PReLU(num_parameters=3), ['weight'], [0.25, 0.25, 0.25])
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, *,
                 dtype: Any = np.float32) -> None:
        super().__init__()
        self.num_parameters = _validate.positive_int(num_parameters, "num_parameters")
        self.init = _validate.real_number(init, "init")
        self.weight = Parameter(np.full(self.num_parameters, self.init,
                                        _args.float_dtype(dtype)))

    @classmethod
    def estimated_elements(cls, config: dict[str, Any]) -> int:
        """Parameter elements ``cls(**config)`` allocates (see ``nn._budget``)."""
        return _budget.size(config.get("num_parameters"))

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return _ext.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"

    def get_config(self) -> dict[str, Any]:
        return {"num_parameters": self.num_parameters, "init": self.init,
                "dtype": str(self.weight.dtype)}
