"""ONNX export of the newer layers, checked against ONNX Runtime and re-imported.

Each layer follows a convolution (so its input is a real feature map) in a small float32
model; the file ONNX Runtime runs must give convlens's output, and ``from_onnx`` of that
file must give it again.
"""

from __future__ import annotations

import numpy as np
import pytest
from interop_helpers import assert_close, run_convlens, run_ort

import convlens as cl
from convlens import interop, nn

pytest.importorskip("onnxruntime")


def _layers():
    cases = [
        ("MaxPool3d", lambda: nn.MaxPool3d(2, 1, 1, ceil_mode=True), 3, 17),
        ("AvgPool3d", lambda: nn.AvgPool3d(2, 2, 1, count_include_pad=False), 3, 17),
        ("AdaptiveAvgPool3d", lambda: nn.AdaptiveAvgPool3d(1), 3, 17),
        ("Conv3d", lambda: nn.Conv3d(4, 2, 3, padding=1, generator=3), 3, 17),
        ("LPPool2d", lambda: nn.LPPool2d(2, 2), 2, 17),
        ("LPPool1d-p1", lambda: nn.LPPool1d(1, 3, 2), 1, 17),
        ("ZeroPad2d", lambda: nn.ZeroPad2d((1, 2, 0, 3)), 2, 17),
        ("ConstantPad1d", lambda: nn.ConstantPad1d((2, 1), 0.5), 1, 17),
        ("ReflectionPad2d", lambda: nn.ReflectionPad2d((1, 2, 2, 1)), 2, 17),
        ("ReplicationPad1d", lambda: nn.ReplicationPad1d((3, 1)), 1, 17),
        # before opset 19 circular padding is exported as Slice + Concat, which ONNX import
        # does not read: checked against ONNX Runtime only
        ("CircularPad2d", lambda: nn.CircularPad2d((1, 2, 2, 1)), 2, 17),
        ("CircularPad2d-19", lambda: nn.CircularPad2d((1, 0, 0, 2)), 2, 19),
        ("ConvTranspose2d", lambda: nn.ConvTranspose2d(4, 3, 3, 2, 1, 1, generator=2), 2, 17),
        ("ConvTranspose1d", lambda: nn.ConvTranspose1d(4, 2, 4, 3, 2, groups=2,
                                                       generator=2), 1, 17),
        ("GELU", lambda: nn.GELU(), 2, 17),
        ("GELU-tanh", lambda: nn.GELU(approximate="tanh"), 2, 17),
        ("GELU-20", lambda: nn.GELU(), 2, 20),
        ("SiLU", lambda: nn.SiLU(), 2, 17),
        ("ELU", lambda: nn.ELU(0.7), 2, 17),
        ("SELU", lambda: nn.SELU(), 2, 17),
        ("CELU", lambda: nn.CELU(1.3), 2, 17),
        ("Hardswish", lambda: nn.Hardswish(), 2, 17),
        ("Hardsigmoid", lambda: nn.Hardsigmoid(), 2, 17),
        ("Softplus", lambda: nn.Softplus(beta=2.0), 2, 17),
        ("Softsign", lambda: nn.Softsign(), 2, 17),
        ("Mish", lambda: nn.Mish(), 2, 17),
        ("ReLU6", lambda: nn.ReLU6(), 2, 17),
        ("Hardtanh", lambda: nn.Hardtanh(-0.5, 0.25), 2, 17),
        ("PReLU", lambda: nn.PReLU(4, 0.1), 2, 17),
        ("LayerNorm", lambda: nn.LayerNorm([8, 8]), 2, 17),
        ("GroupNorm", lambda: nn.GroupNorm(2, 4), 2, 17),
        ("InstanceNorm2d", lambda: nn.InstanceNorm2d(4, affine=True), 2, 17),
        ("InstanceNorm1d", lambda: nn.InstanceNorm1d(4), 1, 17),
        ("Upsample-nearest", lambda: nn.Upsample(scale_factor=2), 2, 17),
        ("Upsample-bilinear", lambda: nn.Upsample(scale_factor=2, mode="bilinear"), 2, 17),
        ("Upsample-align", lambda: nn.Upsample(scale_factor=3, mode="bilinear",
                                               align_corners=True), 2, 17),
        ("Upsample-bicubic", lambda: nn.Upsample(scale_factor=2, mode="bicubic"), 2, 17),
        ("Upsample-size", lambda: nn.Upsample(size=(11, 5), mode="nearest"), 2, 18),
        ("Upsample-linear1d", lambda: nn.Upsample(scale_factor=2, mode="linear"), 1, 17),
        ("PixelShuffle", lambda: nn.PixelShuffle(2), 2, 17),
    ]
    return [pytest.param(*case[1:], id=case[0]) for case in cases]


_CONVS = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}


def _randomize(model, seed=5):
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.data = rng.normal(0.5, 0.5, p.shape).astype(p.dtype)
    return model


@pytest.mark.parametrize(("make", "nd", "opset"), _layers())
def test_export_matches_onnx_runtime_and_reimports(make, nd, opset, tmp_path):
    model = _randomize(nn.Sequential(_CONVS[nd](3, 4, 3, padding=1, generator=1), make())).eval()
    shape = (3, *(6,) * nd) if nd == 3 else (3, *(8,) * nd)
    path = interop.to_onnx(model, tmp_path / "m.onnx", shape, opset=opset)
    x = np.random.default_rng(0).standard_normal((2, *shape)).astype(np.float32)
    expected = run_convlens(model, x)
    assert_close(run_ort(path, x), expected)
    if not (isinstance(model[1], nn.CircularPad2d) and opset < 19):
        assert_close(run_convlens(interop.from_onnx(path), x), expected)


def test_imported_layers_export_again(tmp_path):
    """A model that import builds from OnnxPool/OnnxConvTranspose/Elementwise exports again."""
    model = _randomize(nn.Sequential(
        nn.Conv2d(3, 4, 3, generator=1), nn.ConvTranspose2d(4, 4, 3, 2, 1, generator=2),
        nn.GELU(), nn.GroupNorm(2, 4), nn.ReLU6())).eval()
    first = interop.to_onnx(model, tmp_path / "a.onnx", (3, 9, 9))
    second = interop.to_onnx(interop.from_onnx(first), tmp_path / "b.onnx", (3, 9, 9))
    x = np.random.default_rng(1).standard_normal((2, 3, 9, 9)).astype(np.float32)
    assert_close(run_ort(second, x), run_convlens(model, x))
    with cl.no_grad():
        assert model(cl.tensor(x)).shape == (2, 4, 13, 13)


@pytest.mark.parametrize("opset", [18, 21])
def test_imported_group_normalization_exports_again(opset, tmp_path):
    """ONNX GroupNormalization (per group at opset 18, per channel at 21) imports, matches
    ONNX Runtime, and exports again (opset 18's as OnnxGroupNorm, 21's as nn.GroupNorm)."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(3)
    scale = rng.normal(1, 0.3, 2 if opset == 18 else 4).astype(np.float32)
    bias = rng.normal(0, 0.3, scale.shape).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2)], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4, 3, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(scale, "s"), numpy_helper.from_array(bias, "b")])
    path = tmp_path / "gn.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), path)
    imported = interop.from_onnx(path)
    x = rng.standard_normal((2, 4, 3, 3)).astype(np.float32)
    expected = run_convlens(imported, x)
    assert_close(expected, run_ort(path, x))
    again = interop.to_onnx(imported, tmp_path / "again.onnx", (4, 3, 3))
    assert_close(run_ort(again, x), expected)
