"""The one helper that checks a convlens op against ``torch.nn.functional``.

``check_against_torch(cl_fn, torch_fn, x, w, ...)`` runs both functions on the same data (in
the manner of tinygrad's ``helper_test_op``): every float ndarray argument becomes a
``requires_grad`` tensor of ``dtype`` in both libraries, every integer ndarray an int64
tensor, a ``Constant(array)`` a float tensor without gradient (for arguments torch cannot
differentiate, such as class weights), and anything else is passed through. It compares the
outputs, then back-propagates the same random upstream gradient through both and compares the
gradient of every float input.

``torch_conv`` maps a convlens conv call onto torch where the arguments differ: torch's
``F.conv*d`` has no ``padding_mode`` and no ``"full"``, per-side or strided ``"same"``
padding, so those become an explicit ``F.pad`` followed by an unpadded conv. The padding
arithmetic is written out here independently of ``convlens.conv.geometry``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import convlens as cl

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TOLERANCE = {np.float64: dict(rtol=1e-5, atol=1e-5), np.float32: dict(rtol=1e-4, atol=1e-4)}


@dataclass(frozen=True)
class Constant:
    """A float array that both libraries get as a tensor that does not require grad."""

    array: np.ndarray


def _to_torch(value: Any, dtype: type) -> Any:
    if isinstance(value, Constant):
        return torch.tensor(value.array.astype(dtype))
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return torch.tensor(value.astype(dtype), requires_grad=True)
    if isinstance(value, np.ndarray):
        return torch.tensor(value.astype(np.int64))
    return value


def _to_convlens(value: Any, dtype: type) -> Any:
    if isinstance(value, Constant):
        return cl.tensor(value.array.astype(dtype))
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return cl.tensor(value.astype(dtype), requires_grad=True)
    if isinstance(value, np.ndarray):
        return cl.tensor(value.astype(np.int64))
    return value


def _outputs(out: Any) -> tuple:
    return out if isinstance(out, tuple) else (out,)


def _close(actual: np.ndarray, expected: np.ndarray, dtype: type, what: str) -> None:
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(actual, expected, rtol=tol["rtol"], atol=tol["atol"] * scale,
                               err_msg=what)


def check_against_torch(cl_fn: Callable[..., Any], torch_fn: Callable[..., Any], *args: Any,
                        dtype: type = np.float64, seed: int = 0, grad: bool = True
                        ) -> tuple[Any, Any]:
    """Compare forward outputs and input gradients of ``cl_fn`` and ``torch_fn``.

    Returns ``(convlens_inputs, torch_inputs)`` so a caller can check side effects too.
    Integer outputs (such as pooling indices) must match exactly.
    """
    cl_args = [_to_convlens(a, dtype) for a in args]
    torch_args = [_to_torch(a, dtype) for a in args]
    cl_out, torch_out = _outputs(cl_fn(*cl_args)), _outputs(torch_fn(*torch_args))
    assert len(cl_out) == len(torch_out)
    for i, (c, t) in enumerate(zip(cl_out, torch_out)):
        expected = t.detach().numpy()
        if expected.dtype.kind == "f":
            assert c.dtype == expected.dtype, f"output {i}: dtype {c.dtype} != {expected.dtype}"
            _close(c.numpy(), expected, dtype, f"output {i}")
        else:
            np.testing.assert_array_equal(c.numpy(), expected, err_msg=f"output {i}")
    differentiable = [i for i, a in enumerate(args)
                      if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    if grad and differentiable:
        upstream = np.random.default_rng(seed).standard_normal(cl_out[0].shape).astype(dtype)
        cl_out[0].backward(upstream)
        torch_out[0].backward(torch.tensor(upstream))
        for i in differentiable:
            expected = torch_args[i].grad
            expected = np.zeros(args[i].shape, dtype) if expected is None else expected.numpy()
            actual = cl_args[i].grad
            actual = np.zeros(args[i].shape, dtype) if actual is None else actual.numpy()
            _close(actual, expected, dtype, f"gradient of argument {i}")
    return cl_args, torch_args


# -- convolution: convlens arguments -> torch calls ------------------------------------------
_TORCH_PAD_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
                   "circular": "circular"}


def explicit_padding(padding: Any, in_size: tuple[int, ...], kernel: tuple[int, ...],
                     stride: tuple[int, ...], dilation: tuple[int, ...]
                     ) -> list[tuple[int, int]]:
    """(low, high) per spatial dim for any convlens ``padding`` form.

    ``"same"`` is ONNX's SAME_UPPER: ``out = ceil(n / s)``, total padding
    ``max((out - 1) * s + d * (k - 1) + 1 - n, 0)``, the odd pixel at the end.
    """
    nd = len(in_size)
    if padding == "valid":
        return [(0, 0)] * nd
    if padding == "full":
        return [(d * (k - 1),) * 2 for k, d in zip(kernel, dilation)]
    if padding == "same":
        pairs = []
        for n, k, s, d in zip(in_size, kernel, stride, dilation):
            total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
            pairs.append((total // 2, total - total // 2))
        return pairs
    if isinstance(padding, int):
        return [(padding, padding)] * nd
    if all(isinstance(p, int) for p in padding):
        return [(p, p) for p in padding]
    return [tuple(p) for p in padding]


def _tuple(value: Any, nd: int) -> tuple[int, ...]:
    return (value,) * nd if isinstance(value, int) else tuple(value)


def torch_conv(nd: int, x: Any, weight: Any, bias: Any = None, stride: Any = 1,
               padding: Any = 0, dilation: Any = 1, groups: int = 1,
               padding_mode: str = "zeros") -> Any:
    """What torch computes for ``convlens.functional.conv{nd}d`` with these arguments."""
    conv = {1: TF.conv1d, 2: TF.conv2d, 3: TF.conv3d}[nd]
    stride, dilation = _tuple(stride, nd), _tuple(dilation, nd)
    if padding_mode == "zeros" and (padding == "valid" or (
            padding == "same" and set(stride) == {1})):
        with warnings.catch_warnings():  # torch notes that even kernels need a padded copy
            warnings.filterwarnings("ignore", "Using padding='same'", UserWarning)
            return conv(x, weight, bias, stride, padding, dilation, groups)  # torch's strings
    pairs = explicit_padding(padding, tuple(x.shape[2:]), tuple(weight.shape[2:]), stride,
                             dilation)
    flat = [v for pair in reversed(pairs) for v in pair]   # torch's F.pad: last dim first
    x = TF.pad(x, flat, mode=_TORCH_PAD_MODE[padding_mode])
    return conv(x, weight, bias, stride, 0, dilation, groups)
