"""The layers ONNX import builds, against torch in float64, forward and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import convlens as cl
from convlens.interop.layers_elementwise import Elementwise
from convlens.interop.layers_norm import OnnxGroupNorm, OnnxInstanceNorm, OnnxLayerNorm
from convlens.interop.layers_resize import OnnxResize, nearest_source
from convlens.interop.onnx_window import OnnxConv, OnnxConvTranspose, OnnxPool, onnx_pairs
from reference import check_against_torch

torch = pytest.importorskip("torch")
TF = torch.nn.functional
RNG = np.random.default_rng(0)


def _x(*shape):
    return RNG.standard_normal(shape) * 2


@pytest.mark.parametrize(("kind", "alpha", "beta", "reference"), [
    ("Elu", 0.7, 0.0, lambda x: TF.elu(x, 0.7)),
    ("Selu", 1.6732632423543772, 1.0507009873554805, TF.selu),
    ("Celu", 1.3, 0.0, lambda x: TF.celu(x, 1.3)),
    ("Softplus", 0.0, 0.0, TF.softplus),
    ("Softsign", 0.0, 0.0, TF.softsign),
    ("HardSigmoid", 0.2, 0.4, lambda x: torch.clamp(0.2 * x + 0.4, 0, 1)),
    ("HardSwish", 0.0, 0.0, TF.hardswish),
    ("Gelu", 0.0, 0.0, TF.gelu),
    ("Gelu", 1.0, 0.0, lambda x: TF.gelu(x, approximate="tanh")),
    ("Erf", 0.0, 0.0, torch.erf),
])
def test_elementwise_matches_torch(kind, alpha, beta, reference):
    layer = Elementwise(kind, alpha, beta)
    x = _x(3, 7)
    x[0, :3] = [40.0, -40.0, 0.3]  # far tails: no overflow in softplus and friends
    check_against_torch(layer, reference, x)


@pytest.mark.parametrize(("kernel", "stride", "pad", "dilation", "ceil"), [
    (3, 2, 1, 1, False), (3, 2, 1, 2, True), (2, 3, 1, 1, True), (4, 1, 2, 1, False)])
def test_onnx_pool_matches_torch_where_torch_can(kernel, stride, pad, dilation, ceil):
    x = _x(2, 3, 9, 8)
    pads = [(pad, pad)] * 2
    max_pool = OnnxPool("max", [kernel] * 2, [stride] * 2, pads, [dilation] * 2,
                        ceil_mode=ceil)
    check_against_torch(max_pool, lambda t: TF.max_pool2d(t, kernel, stride, pad, dilation,
                                                          ceil), x)
    if dilation == 1:
        for include in (True, False):
            avg = OnnxPool("avg", [kernel] * 2, [stride] * 2, pads, ceil_mode=ceil,
                           count_include_pad=include)
            check_against_torch(avg, lambda t, inc=include: TF.avg_pool2d(
                t, kernel, stride, pad, ceil, inc), x)


def test_onnx_pool_asymmetric_pads_equal_explicit_padding():
    """Per-side pads (wider than half the kernel) are padding, then an unpadded pool."""
    x = _x(1, 2, 6, 7)
    pads = [(0, 3), (2, 1)]
    ones = np.pad(np.ones(x.shape), [(0, 0), (0, 0), *pads])
    padded = np.pad(x, [(0, 0), (0, 0), *pads])
    layer = OnnxPool("avg", [3, 2], [2, 1], pads, [2, 1], count_include_pad=False)
    tx, tm = torch.tensor(padded), torch.tensor(ones)
    taps = torch.ones(1, 1, 3, 2, dtype=torch.float64)
    sums = TF.conv2d(tx.reshape(2, 1, *tx.shape[2:]), taps, dilation=(2, 1), stride=(2, 1))
    counts = TF.conv2d(tm.reshape(2, 1, *tm.shape[2:]), taps, dilation=(2, 1), stride=(2, 1))
    # a window over padding alone (pads wider than the kernel) averages nothing: 0
    expected = (sums / counts.clamp(min=1)).reshape(1, 2, *sums.shape[2:]).numpy()
    np.testing.assert_allclose(layer(cl.tensor(x)).numpy(), expected, rtol=1e-12)
    # every max window meets the input (an all-padding window would be -inf)
    check_against_torch(OnnxPool("max", [3, 2], [2, 1], [(0, 2), (1, 1)]),
                        lambda t: TF.max_pool2d(TF.pad(t, (1, 1, 0, 2), value=-np.inf),
                                                (3, 2), (2, 1)), x)


def test_onnx_conv_takes_tensor_weights_with_same_lower():
    x, w, b = _x(2, 4, 7, 6), _x(6, 2, 3, 2), _x(6)
    layer = OnnxConv([2, 1], groups=2, auto_pad="SAME_LOWER")
    (lo_h, hi_h), (lo_w, hi_w) = onnx_pairs("SAME_LOWER", (7, 6), (3, 2), (2, 1), (1, 1), ())
    assert (lo_h, hi_h, lo_w, hi_w) == (1, 1, 1, 0)
    check_against_torch(layer, lambda t, tw, tb: TF.conv2d(
        TF.pad(t, (lo_w, hi_w, lo_h, hi_h)), tw, tb, (2, 1), groups=2), x, w, b)


@pytest.mark.parametrize(("pads", "output_padding"), [
    ([(1, 0), (0, 2)], ()), ([(1, 1), (0, 0)], (1, 0))])
def test_onnx_conv_transpose_crops_per_side(pads, output_padding):
    x, w, b = _x(2, 4, 5, 4), _x(4, 3, 3, 3), _x(3)
    layer = OnnxConvTranspose([2, 2], pads, output_padding=output_padding)
    extra = list(output_padding) or [0, 0]

    def reference(t, tw, tb):
        full = TF.conv_transpose2d(t, tw, None, 2, 0, extra)
        (a, b_), (c, d) = pads
        full = full[:, :, a:full.shape[2] - b_, c:full.shape[3] - d]
        return full + tb.reshape(1, -1, 1, 1)

    check_against_torch(layer, reference, x, w, b)


def test_norm_layers_match_torch():
    x, scale, bias = _x(2, 6, 5, 4), _x(6), _x(6)
    check_against_torch(OnnxGroupNorm(3, 1e-5), lambda t, s, b: TF.group_norm(t, 3, s, b),
                        x, scale, bias)
    check_against_torch(OnnxInstanceNorm(1e-3), lambda t, s, b: TF.instance_norm(
        t, weight=s, bias=b, eps=1e-3), x, scale, bias)
    s2, b2 = _x(5, 4), _x(5, 4)
    check_against_torch(OnnxLayerNorm(-2, 1e-5), lambda t, s, b: TF.layer_norm(t, (5, 4), s, b),
                        x, s2, b2)


def test_onnx_nearest_matches_torch_nearest_in_its_own_mode():
    assert nearest_source(4, 10, 2.5, "asymmetric", "floor").tolist() == \
        TF.interpolate(torch.arange(4.0).reshape(1, 1, 4), scale_factor=2.5).reshape(
            -1).long().tolist()
    x = _x(1, 2, 3, 5)
    layer = OnnxResize("onnx-nearest", scales=[2.0, 1.5], coords="asymmetric",
                       nearest_mode="floor")
    check_against_torch(layer, lambda t: TF.interpolate(t, scale_factor=(2.0, 1.5)), x)
    with pytest.raises(ValueError, match="give exactly one of scales, sizes and computed"):
        OnnxResize("nearest")


def test_shapes_read_at_run_time_are_bounded():
    from convlens.interop.layers_dynamic import DynamicPad

    x = cl.tensor(np.ones((1, 1, 2, 2)))
    with pytest.raises(ValueError, match=r"Pad's pads asks for an output of shape "
                                         r"\(1, 1, 200002, 200002\)"):
        DynamicPad()(x, cl.tensor(np.array([0, 0, 10**5, 10**5] * 2)))
    with pytest.raises(ValueError, match=r"Resize's sizes asks for an output of shape "
                                         r"\(1, 1, 100000, 100000\) \(10000000000 elements\)"):
        OnnxResize("nearest", computed="sizes")(x, cl.tensor(np.array([1, 1, 10**5, 10**5])))
    with pytest.raises(ValueError, match=r"Resize's scales asks"):
        OnnxResize("onnx-nearest", scales=[1e5, 1e5])(x)
