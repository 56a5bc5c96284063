"""Small layers for ONNX operators that have no stock convlens layer.

Each is a registered ``nn.Module`` with ``get_config()``, so an imported model that uses them
still saves with ``convlens.save``, exports back to ONNX and converts to PyTorch. Their
semantics are ONNX's (https://onnx.ai/onnx/operators/), written with convlens ops, so
autograd differentiates them like any other layer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _ops, nn
from ..conv import geometry
from ..functional.activation import softmax
from ..functional.padding import pad_pairs
from ..tensor import Tensor

PAD_MODES = {"constant": "zeros", "reflect": "reflect", "edge": "replicate", "wrap": "circular"}
MAX_CONSTANT_ELEMENTS = 2**28
_CONSTANT_DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
                    "uint16", "uint32", "uint64", "bool")


def _json_float(value: float) -> float | str:
    """JSON has no infinities: -inf (the fill ahead of a max pool) is saved as "-inf"."""
    return value if np.isfinite(value) else str(value)


@nn.register
class Add(nn.Module):
    """Sum of any number of inputs, with NumPy broadcasting (ONNX ``Add`` and ``Sum``).

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens.interop import layers
    >>> layers.Add()(cl.tensor([1.0, 2.0]), cl.tensor([10.0, 20.0])).tolist()
    [11.0, 22.0]
    """

    def forward(self, *inputs: Tensor) -> Tensor:
        total = inputs[0]
        for x in inputs[1:]:
            total = total + x
        return total

    def get_config(self) -> dict[str, Any]:
        return {}


@nn.register
class Mul(nn.Module):
    """Elementwise product of two inputs, with broadcasting (ONNX ``Mul``)."""

    def forward(self, a: Tensor, b: Tensor) -> Tensor:
        return a * b

    def get_config(self) -> dict[str, Any]:
        return {}


@nn.register
class MatMul(nn.Module):
    """Matrix product of two inputs, as ``numpy.matmul`` (ONNX ``MatMul``)."""

    def forward(self, a: Tensor, b: Tensor) -> Tensor:
        return a @ b

    def get_config(self) -> dict[str, Any]:
        return {}


@nn.register
class Gemm(nn.Module):
    """``alpha * A' @ B' + beta * C`` with optional transposes (ONNX ``Gemm``).

    Used when ``B`` is computed by the graph; a constant ``B`` becomes an ``nn.Linear``.
    """

    def __init__(self, alpha: float = 1.0, beta: float = 1.0, trans_a: bool = False,
                 trans_b: bool = False) -> None:
        super().__init__()
        self.alpha, self.beta = float(alpha), float(beta)
        self.trans_a, self.trans_b = bool(trans_a), bool(trans_b)

    def forward(self, a: Tensor, b: Tensor, c: Tensor | None = None) -> Tensor:
        a = a.transpose(0, 1) if self.trans_a else a
        b = b.transpose(0, 1) if self.trans_b else b
        out = (a @ b) * self.alpha if self.alpha != 1.0 else a @ b
        if c is not None:
            out = out + (c * self.beta if self.beta != 1.0 else c)
        return out

    def get_config(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "beta": self.beta, "trans_a": self.trans_a,
                "trans_b": self.trans_b}


@nn.register
class Cat(nn.Module):
    """Concatenate the inputs along ``dim`` (ONNX ``Concat``).

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens.interop import layers
    >>> x = cl.tensor(np.zeros((2, 3, 4, 4), np.float32))
    >>> layers.Cat(dim=1)(x, x).shape
    (2, 6, 4, 4)
    """

    def __init__(self, dim: int = 1) -> None:
        super().__init__()
        self.dim = int(dim)

    def forward(self, *inputs: Tensor) -> Tensor:
        return _ops.cat(inputs, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"

    def get_config(self) -> dict[str, Any]:
        return {"dim": self.dim}


@nn.register
class Permute(nn.Module):
    """Reorder the axes to ``dims`` (ONNX ``Transpose`` with ``perm``)."""

    def __init__(self, dims: Sequence[int]) -> None:
        super().__init__()
        self.dims = tuple(int(d) for d in dims)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's argument name
        if len(self.dims) != input.ndim:
            raise ValueError(f"Permute(dims={self.dims}) needs a {len(self.dims)}-D input; got "
                             f"shape {input.shape}")
        return input.permute(self.dims)

    def extra_repr(self) -> str:
        return f"dims={self.dims}"

    def get_config(self) -> dict[str, Any]:
        return {"dims": list(self.dims)}


def reshape_target(in_shape: tuple[int, ...], shape: Sequence[int],
                   allowzero: bool) -> tuple[int, ...]:
    """ONNX ``Reshape``'s target: 0 copies the input size (unless ``allowzero``), -1 infers."""
    target = [in_shape[i] if s == 0 and not allowzero and i < len(in_shape) else s
              for i, s in enumerate(shape)]
    known = int(np.prod([s for s in target if s != -1]))
    total = int(np.prod(in_shape))
    if target.count(-1) > 1 or (-1 in target and (known == 0 or total % known)) or (
            -1 not in target and known != total):
        raise ValueError(f"Reshape cannot turn an input of shape {in_shape} into shape "
                         f"{tuple(shape)}")
    return tuple(total // known if s == -1 else s for s in target)


@nn.register
class Reshape(nn.Module):
    """Reshape to ``shape``, where 0 copies the input's size and -1 is inferred (ONNX ``Reshape``).

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens.interop import layers
    >>> layers.Reshape([0, -1])(cl.tensor(np.zeros((2, 3, 4), np.float32))).shape
    (2, 12)
    """

    def __init__(self, shape: Sequence[int], allowzero: bool = False) -> None:
        super().__init__()
        self.shape = tuple(int(s) for s in shape)
        self.allowzero = bool(allowzero)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input.reshape(reshape_target(input.shape, self.shape, self.allowzero))

    def extra_repr(self) -> str:
        return f"shape={self.shape}"

    def get_config(self) -> dict[str, Any]:
        return {"shape": list(self.shape), "allowzero": self.allowzero}


@nn.register
class FlattenTo2d(nn.Module):
    """Flatten to 2-D: dims before ``axis`` form the rows, the rest the columns (ONNX ``Flatten``).

    ``axis=1`` is ``nn.Flatten()``, which the importer uses instead.
    """

    def __init__(self, axis: int = 1) -> None:
        super().__init__()
        self.axis = int(axis)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        axis = self.axis % input.ndim if self.axis < 0 else self.axis
        if axis > input.ndim:
            raise ValueError(f"Flatten(axis={self.axis}) is out of range for shape {input.shape}")
        rows = int(np.prod(input.shape[:axis]))
        return input.reshape((rows, int(np.prod(input.shape[axis:]))))

    def extra_repr(self) -> str:
        return f"axis={self.axis}"

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


@nn.register
class FlatSoftmax(nn.Module):
    """Softmax over all dims from ``axis`` on, flattened together (ONNX ``Softmax`` < opset 13)."""

    def __init__(self, axis: int = 1) -> None:
        super().__init__()
        self.axis = int(axis)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        rows = FlattenTo2d(self.axis)(input)
        return softmax(rows, dim=1).reshape(input.shape)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


@nn.register
class GlobalMaxPool(nn.Module):
    """Maximum over all spatial dims, keeping them as size 1 (ONNX ``GlobalMaxPool``).

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> from convlens.interop import layers
    >>> layers.GlobalMaxPool()(cl.tensor(np.arange(8.0).reshape(1, 2, 2, 2))).tolist()
    [[[[3.0]], [[7.0]]]]
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input.amax(dim=tuple(range(2, input.ndim)), keepdim=True)

    def get_config(self) -> dict[str, Any]:
        return {}


@nn.register
class LRN(nn.Module):
    """Local response normalisation across channels (ONNX ``LRN``, AlexNet's).

    ``y = x / (bias + alpha / size * sum(x[c'] ** 2)) ** beta`` where ``c'`` runs over
    ``[c - floor((size - 1) / 2), c + ceil((size - 1) / 2)]``, clipped to the channels.
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 bias: float = 1.0) -> None:
        super().__init__()
        self.size = int(size)
        self.alpha, self.beta, self.bias = float(alpha), float(beta), float(bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        channels, lo = input.shape[1], (self.size - 1) // 2
        pairs = ((lo, self.size - 1 - lo),) + ((0, 0),) * (input.ndim - 2)
        squares = pad_pairs(input * input, pairs, "zeros")
        window = squares[:, 0:channels]
        for offset in range(1, self.size):
            window = window + squares[:, offset:offset + channels]
        return input / (window * (self.alpha / self.size) + self.bias) ** self.beta

    def extra_repr(self) -> str:
        return f"size={self.size}, alpha={self.alpha}, beta={self.beta}, bias={self.bias}"

    def get_config(self) -> dict[str, Any]:
        return {"size": self.size, "alpha": self.alpha, "beta": self.beta, "bias": self.bias}


@nn.register
class Pad(nn.Module):
    """Pad every axis by (low, high) ``pads`` in ``mode`` (ONNX ``Pad``).

    Parameters
    ----------
    pads : sequence of (int, int)
        One pair per axis, batch and channel axes included.
    mode : {"constant", "reflect", "edge", "wrap"}, default "constant"
    value : float, default 0.0
        The fill of ``"constant"`` (``-inf`` ahead of a max pool).
    """

    def __init__(self, pads: Sequence[Sequence[int]], mode: str = "constant",
                 value: float = 0.0) -> None:
        super().__init__()
        self.pads = tuple((int(lo), int(hi)) for lo, hi in pads)
        if mode not in PAD_MODES:
            raise ValueError(f"mode must be one of {sorted(PAD_MODES)}; got {mode!r}")
        self.mode, self.value = mode, float(value)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if len(self.pads) != input.ndim:
            raise ValueError(f"Pad has {len(self.pads)} (low, high) pairs but the input has "
                             f"shape {input.shape}")
        return pad_pairs(input, self.pads, PAD_MODES[self.mode], self.value)

    def extra_repr(self) -> str:
        return f"pads={self.pads}, mode={self.mode!r}, value={self.value}"

    def get_config(self) -> dict[str, Any]:
        return {"pads": [list(p) for p in self.pads], "mode": self.mode,
                "value": _json_float(self.value)}


@nn.register
class SamePad(nn.Module):
    """Pad the spatial dims so that ``out = ceil(in / stride)`` (ONNX ``auto_pad="SAME_*"``).

    ``lower=False`` puts an odd extra pixel at the end (SAME_UPPER), ``lower=True`` at the
    start (SAME_LOWER).
    """

    def __init__(self, kernel_size: Sequence[int], stride: Sequence[int],
                 dilation: Sequence[int], lower: bool = False, value: float = 0.0) -> None:
        super().__init__()
        self.kernel_size = tuple(int(k) for k in kernel_size)
        self.stride = tuple(int(s) for s in stride)
        self.dilation = tuple(int(d) for d in dilation)
        self.lower, self.value = bool(lower), float(value)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        pairs = [geometry.same_padding(n, k, s, d) for n, k, s, d in
                 zip(input.shape[2:], self.kernel_size, self.stride, self.dilation)]
        pairs = [(hi, lo) if self.lower else (lo, hi) for lo, hi in pairs]
        return pad_pairs(input, tuple(pairs), "zeros", self.value)

    def get_config(self) -> dict[str, Any]:
        return {"kernel_size": list(self.kernel_size), "stride": list(self.stride),
                "dilation": list(self.dilation), "lower": self.lower,
                "value": _json_float(self.value)}


@nn.register
class Constant(nn.Module):
    """Output a stored tensor (an ONNX initializer or ``Constant`` the graph computes with).

    The value is the buffer ``value`` (in ``state_dict``), so it saves with the weights.
    """

    def __init__(self, shape: Sequence[int], dtype: str = "float32") -> None:
        super().__init__()
        # A config may come from an untrusted file: check before allocating.
        if not isinstance(shape, Sequence) or len(shape) > 32 or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
            raise ValueError(f"shape must be a list of at most 32 non-negative ints; got "
                             f"{shape!r:.100}")
        if int(np.prod(shape, dtype=object)) > MAX_CONSTANT_ELEMENTS:
            raise ValueError(f"a Constant of shape {list(shape)} exceeds "
                             f"{MAX_CONSTANT_ELEMENTS} elements")
        if dtype not in _CONSTANT_DTYPES:
            raise ValueError(f"dtype must be one of {_CONSTANT_DTYPES}; got {dtype!r:.40}")
        self.register_buffer("value", np.zeros(tuple(shape), np.dtype(dtype)))

    @classmethod
    def config_nbytes(cls, config: dict[str, Any]) -> int:
        """Bytes a Constant built from ``config`` allocates (0 for a config it refuses), so
        that ``convlens.load`` counts them against the weights the file holds."""
        shape, dtype = config.get("shape"), config.get("dtype", "float32")
        if not isinstance(shape, list) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape) \
                or dtype not in _CONSTANT_DTYPES:
            return 0
        return math.prod(shape) * np.dtype(dtype).itemsize

    def forward(self) -> Tensor:
        return self.value

    def extra_repr(self) -> str:
        return f"shape={self.value.shape}, dtype={self.value.dtype}"

    def get_config(self) -> dict[str, Any]:
        return {"shape": list(self.value.shape), "dtype": str(self.value.dtype)}
