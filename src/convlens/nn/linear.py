"""``Linear`` (a fully connected layer: a matrix product plus a bias), ``Identity`` and
``Bilinear``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validate
from ..conv import geometry
from ..functional.linear import bilinear, linear
from ..random import as_generator
from ..tensor import Tensor
from . import _args, _budget, init
from .module import Module
from .parameter import Parameter
from .registry import builtin


@builtin
class Linear(Module):
    """y = x @ weight.T + bias, as ``torch.nn.Linear``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool, default True
    dtype : {np.float32, np.float64}, default np.float32
    generator : numpy.random.Generator or int, optional
        Source of the initial weights; the default generator if None.

    Notes
    -----
    ``weight`` is (out_features, in_features), ``bias`` (out_features,), both drawn from
    U(-1/sqrt(in_features), 1/sqrt(in_features)) (PyTorch's default). Input (*, in_features)
    gives output (*, out_features).

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens import nn
    >>> fc = nn.Linear(400, 120)
    >>> fc
    Linear(in_features=400, out_features=120, bias=True)
    >>> fc(cl.tensor(np.zeros((2, 400), np.float32))).shape
    (2, 120)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 dtype: Any = np.float32,
                 generator: np.random.Generator | int | None = None) -> None:
        super().__init__()
        self.in_features = _validate.positive_int(in_features, "in_features")
        self.out_features = _validate.positive_int(out_features, "out_features")
        _args.weight_and_bias(self, (self.out_features, self.in_features), self.out_features,
                              bias, _args.float_dtype(dtype),
                              f"in_features={in_features}, out_features={out_features}",
                              limit=geometry.MAX_RESULT_BYTES)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | int | None = None) -> None:
        """Re-draw weight and bias with PyTorch's default init."""
        init.default_init_(self.weight, self.bias, generator=generator)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's argument name
        x = _validate.float_tensor(input, "input", "Linear")
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear expects input of shape (*, {self.in_features}) "
                             f"(in_features last); got shape {x.shape}")
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")

    def get_config(self) -> dict[str, Any]:
        return {"in_features": self.in_features, "out_features": self.out_features,
                "bias": self.bias is not None, "dtype": str(self.weight.dtype)}


@builtin
class Identity(Module):
    """Return the input unchanged; arguments are accepted and ignored, as ``torch.nn.Identity``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import nn
    >>> x = cl.tensor([1.0, 2.0])
    >>> nn.Identity()(x) is x
    True
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:  # noqa: A002
        return input

    def get_config(self) -> dict[str, Any]:
        return {}


@builtin
class Bilinear(Module):
    """``y = x1 @ weight @ x2 + bias`` per output feature, as ``torch.nn.Bilinear``.

    Parameters
    ----------
    in1_features, in2_features, out_features : int
    bias : bool, default True
    dtype : {np.float32, np.float64}, default np.float32
    generator : numpy.random.Generator or int, optional

    Notes
    -----
    ``weight`` is (out_features, in1_features, in2_features) and ``bias`` (out_features,),
    both drawn from U(-1/sqrt(in1_features), 1/sqrt(in1_features)), as in torch.

    Examples
    --------
    >>> from convlens import nn
    >>> nn.Bilinear(2, 3, 4)
    Bilinear(in1_features=2, in2_features=3, out_features=4, bias=True)
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, *, dtype: Any = np.float32,
                 generator: np.random.Generator | int | None = None) -> None:
        super().__init__()
        self.in1_features = _validate.positive_int(in1_features, "in1_features")
        self.in2_features = _validate.positive_int(in2_features, "in2_features")
        self.out_features = _validate.positive_int(out_features, "out_features")
        dtype = _args.float_dtype(dtype)
        bound = 1 / np.sqrt(self.in1_features)
        rng = as_generator(generator)
        shape = (self.out_features, self.in1_features, self.in2_features)
        self.weight = Parameter(rng.uniform(-bound, bound, shape).astype(dtype))
        if _args.boolean(bias, "bias"):
            self.bias = Parameter(rng.uniform(-bound, bound, self.out_features).astype(dtype))
        else:
            self.register_parameter("bias", None)

    @classmethod
    def estimated_elements(cls, config: dict[str, Any]) -> int:
        """Parameter elements ``cls(**config)`` allocates (see ``nn._budget``)."""
        return (_budget.size(config.get("in1_features")) + 1) * _budget.size(
            config.get("in2_features")) * _budget.size(config.get("out_features"))

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")

    def get_config(self) -> dict[str, Any]:
        return {"in1_features": self.in1_features, "in2_features": self.in2_features,
                "out_features": self.out_features, "bias": self.bias is not None,
                "dtype": str(self.weight.dtype)}
