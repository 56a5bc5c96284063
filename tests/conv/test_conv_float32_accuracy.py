"""Float32 accuracy of every engine ``auto`` can pick: at most 5x PyTorch's rounding error.

For each benchmark layer (``benchmarks``' shapes from ``conv_configs.json``, batch and image
size scaled down for test time) the float32 forward, grad_input and grad_weight of every
engine that ``algorithm="auto"`` may pick in float32 are compared with a float64 oracle
computed from the same float32-rounded operands, as is ``torch.nn.functional``'s float32
result. The error is normwise, ``||got - exact|| / ||exact||``. Engines ``auto`` skips in
float32 (Winograd F(4x4, 3x3)) are measured too and printed, not bounded; run this file as a
script to print the table that ``docs/performance.md`` shows.
"""

from __future__ import annotations

import numpy as np
import pytest

from convlens.conv import ENGINES, ConvContext, gemm, unsupported
from convlens.conv.choose import auto_skips
from convlens.conv.geometry import ConvSpec

LAYERS = {   # name: (x_shape, w_shape, stride, padding, groups), scaled-down benchmark shapes
    "lenet-c1": ((8, 1, 28, 28), (6, 1, 5, 5), 1, 2, 1),
    "lenet-c2": ((8, 6, 14, 14), (16, 6, 5, 5), 1, 0, 1),
    "cifar-3x3": ((2, 32, 32, 32), (64, 32, 3, 3), 1, 1, 1),
    "vgg-3x3": ((1, 64, 28, 28), (64, 64, 3, 3), 1, 1, 1),
    "resnet-down": ((1, 64, 28, 28), (128, 64, 3, 3), 2, 1, 1),
    "pointwise": ((2, 128, 14, 14), (256, 128, 1, 1), 1, 0, 1),
    "depthwise": ((2, 128, 28, 28), (128, 1, 3, 3), 1, 1, 128),
    "large-k15": ((1, 16, 48, 48), (16, 16, 15, 15), 1, 7, 1),
    "large-k31": ((1, 3, 96, 96), (8, 3, 31, 31), 1, 15, 1),
    "mnist1d-c1": ((16, 1, 40), (25, 1, 5), 2, 1, 1),
    "audio-k9": ((2, 32, 2000), (32, 32, 9), 1, 4, 1),
    "audio-k257": ((1, 16, 4000), (16, 16, 257), 1, 128, 1),
}
PASSES = ("forward", "grad_input", "grad_weight")
BOUND = 5.0


def _error(got: np.ndarray, exact: np.ndarray) -> float:
    return float(np.linalg.norm((got - exact).ravel()) / np.linalg.norm(exact.ravel()))


def _operands(x_shape, w_shape, spec, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = (rng.standard_normal(w_shape) / np.sqrt(np.prod(w_shape[1:]))).astype(np.float32)
    out = spec.output_size(x_shape[2:], w_shape[2:])
    gy = rng.standard_normal((x_shape[0], w_shape[0], *out)).astype(np.float32)
    return x, w, gy


def _torch_errors(torch, x, w, gy, spec, exact):
    nd = x.ndim - 2
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    conv = getattr(torch.nn.functional, f"conv{nd}d")
    y = conv(tx, tw, stride=spec.stride, padding=spec.padding[0][0], groups=spec.groups)
    y.backward(torch.tensor(gy))
    got = (y.detach().numpy(), tx.grad.numpy(), tw.grad.numpy())
    return dict(zip(PASSES, (_error(a, b) for a, b in zip(got, exact))))


def measure(name: str, torch) -> dict[str, dict[str, float]]:
    """{"torch": errors, engine: errors / torch's errors, ...} for one layer."""
    x_shape, w_shape, stride, padding, groups = LAYERS[name]
    nd = len(x_shape) - 2
    spec = ConvSpec((stride,) * nd, ((padding, padding),) * nd, (1,) * nd, groups)
    x, w, gy = _operands(x_shape, w_shape, spec)
    x64, w64, gy64 = (a.astype(np.float64) for a in (x, w, gy))
    exact = (gemm.forward(x64, w64, spec), gemm.grad_input(gy64, w64, x.shape, spec),
             gemm.grad_weight(gy64, x64, w.shape, spec))
    torch_errors = _torch_errors(torch, x, w, gy, spec, exact)
    result = {"torch": torch_errors}
    for engine_name, engine in ENGINES.items():
        if unsupported(engine_name, w_shape, spec) or (engine_name == "direct"
                                                        and max(w_shape[2:]) > 9):
            continue        # direct is never the cheapest there, and slow to run
        ctx = ConvContext(save=True)
        got = (engine.forward(x, w, spec, ctx=ctx),
               engine.grad_input(gy, w, x.shape, spec, ctx=ctx),
               engine.grad_weight(gy, x, w.shape, spec, ctx=ctx))
        result[engine_name] = {p: _error(a, b) / torch_errors[p]
                               for p, a, b in zip(PASSES, got, exact)}
    return result


@pytest.mark.slow
@pytest.mark.parametrize("name", list(LAYERS))
def test_auto_engines_round_at_most_5x_torch(name):
    torch = pytest.importorskip("torch")
    result = measure(name, torch)
    for engine_name, ratios in result.items():
        if engine_name == "torch" or auto_skips(engine_name, np.float32) is not None:
            continue
        for pass_, ratio in ratios.items():
            assert ratio <= BOUND, f"{name}: {engine_name} {pass_} error is {ratio:.1f}x torch's"


def test_winograd_stays_available_by_explicit_choice():
    """``auto`` skips Winograd F(4x4, 3x3) in float32, but ``algorithm="winograd"`` runs it."""
    import convlens as cl
    from convlens import conv
    from convlens import functional as F

    explanation = conv.explain((2, 32, 32, 32), (64, 32, 3, 3), padding=1, requires_grad=True)
    assert explanation.choice != "winograd"
    assert "auto skips it: float32 rounding error above 5x" in str(explanation)
    assert conv.explain((2, 32, 32, 32), (64, 32, 3, 3), padding=1,
                        dtype="float64").estimates["winograd"] > 0
    rng = np.random.default_rng(0)
    x = cl.tensor(rng.standard_normal((1, 4, 10, 10)).astype(np.float32))
    w = cl.tensor(rng.standard_normal((4, 4, 3, 3)).astype(np.float32))
    y = F.conv2d(x, w, padding=1, algorithm="winograd")
    expected = F.conv2d(x, w, padding=1, algorithm="direct")
    np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-4, atol=1e-4)


if __name__ == "__main__":      # print the table for docs/performance.md
    import torch

    torch.set_num_threads(1)
    print("| layer | torch fwd / gi / gw | " + " | ".join(ENGINES) + " |")
    for layer in LAYERS:
        r = measure(layer, torch)
        cells = [" / ".join(f"{r['torch'][p]:.1e}" for p in PASSES)]
        cells += [" / ".join(f"{r[e][p]:.1f}" for p in PASSES) if e in r else "-"
                  for e in ENGINES]
        print(f"| {layer} | " + " | ".join(cells) + " |")
