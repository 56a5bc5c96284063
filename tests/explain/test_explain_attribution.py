"""Saliency against finite differences, Grad-CAM on models whose answer is known by hand."""

import numpy as np
import pytest

import convlens as cl
from convlens import explain, nn
from gradcheck import numerical_grad


def _tiny(dtype=np.float64):
    cl.manual_seed(3)
    return nn.Sequential(
        nn.Conv2d(2, 3, 3, dtype=dtype), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(3 * 3 * 3, 4, dtype=dtype))


def test_saliency_matches_finite_differences():
    model = _tiny()
    x = np.random.default_rng(0).standard_normal((2, 8, 8))
    for target in (0, 3):
        def logit(target=target):
            with cl.no_grad():
                return float(model(cl.tensor(x[None]))[0, target])

        expected = np.abs(numerical_grad(logit, x)).max(axis=0)  # max |grad| over channels
        got = explain.saliency(model, x, target=target)
        assert got.shape == (8, 8) and got.dtype == np.float64
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


def test_saliency_defaults_to_the_predicted_class_and_leaves_parameters_alone():
    model = _tiny()
    x = np.random.default_rng(1).standard_normal((1, 2, 8, 8))
    with cl.no_grad():
        predicted = int(np.argmax(model(cl.tensor(x)).numpy()))
    np.testing.assert_array_equal(explain.saliency(model, x),
                                  explain.saliency(model, x, target=predicted))
    assert all(p.grad is None for p in model.parameters())
    assert all(p.requires_grad for p in model.parameters())


@pytest.mark.parametrize("name, shape", [("lenet5", (1, 28, 28)), ("mnist1d_cnn", (1, 40))])
def test_saliency_and_grad_cam_on_the_zoo(name, shape):
    cl.manual_seed(0)
    model = cl.models.create(name)
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    assert explain.saliency(model, x, target=2).shape == shape[1:]
    cam = explain.grad_cam(model, x, target=2)
    assert cam.shape == shape[1:] and cam.min() >= 0
    last_conv = explain.hooks.conv_layers(model)[-1][0]
    np.testing.assert_array_equal(cam, explain.grad_cam(model, x, target=2, layer=last_conv))
    assert all(p.grad is None for p in model.parameters())


def _split_signs(stride=1):
    """Conv channel 0 copies the input, channel 1 negates it; class k reads channel k.

    logit_k = mean(relu(channel k)), so d logit_k / d A_k = [A_k > 0] / (h w) and the other
    channel gets no gradient: Grad-CAM for class 0 is mean([x > 0]) / (h w) * relu(x) on the
    conv's grid, and for class 1 the same with -x.
    """
    conv = nn.Conv2d(1, 2, 1, stride=stride, bias=False, dtype=np.float64)
    conv.weight.data = np.array([1.0, -1.0]).reshape(2, 1, 1, 1)
    linear = nn.Linear(2, 2, bias=False, dtype=np.float64)
    linear.weight.data = np.eye(2)
    return nn.Sequential(conv, nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), linear)


def test_grad_cam_known_answer():
    model = _split_signs()
    x = np.zeros((6, 6))
    x[:2, :3] = [[1.0, 2.0, 3.0], [0.5, 0.5, 4.0]]  # positive blob, top left
    x[4:, 4:] = -2.0  # negative blob, bottom right
    area = 36
    for target, part in ((0, np.maximum(x, 0)), (1, np.maximum(-x, 0))):
        alpha = np.mean(part > 0) / area
        cam = explain.grad_cam(model, x[None], target=target, layer="0")
        np.testing.assert_allclose(cam, alpha * part, rtol=1e-12)
    # after the ReLU the gradient is 1 / (h w) everywhere (the pooling's), so alpha = 1 / (h w)
    np.testing.assert_allclose(explain.grad_cam(model, x[None], target=1, layer="1"),
                               np.maximum(-x, 0) / area, rtol=1e-12)


def test_grad_cam_resamples_from_receptive_field_centres():
    model = _split_signs(stride=2)
    x = np.random.default_rng(0).random((8, 8)) + 0.1  # all positive
    coarse = x[::2, ::2]  # the 4x4 conv output sits on input pixels 0, 2, 4, 6
    alpha = 1.0 / 16
    # between two centres: the average; beyond the last centre (pixel 7, one pixel past
    # centre 6, half a jump): half of it, falling to zero, not held constant
    rows = np.array([np.interp(np.arange(8), [0, 2, 4, 6, 8], [*c, 0.0]) for c in coarse.T]).T
    expected = np.array([np.interp(np.arange(8), [0, 2, 4, 6, 8], [*r, 0.0]) for r in rows])
    np.testing.assert_allclose(explain.grad_cam(model, x[None], target=0, layer="0"),
                               expected * alpha, rtol=1e-12)


def test_grad_cam_by_hand_on_a_valid_3x3_conv():
    """A 3x3 valid conv on 6x6: units are centred on pixels 1..4, none on the border pixels.

    conv weight w = all ones / 9 (one channel), then global average pooling and a linear layer
    with weight 1, so y = mean(A) and dy/dA = 1/16 everywhere: alpha = 1/16 and the map on the
    conv grid is relu(A) / 16. Upsampled with jump 1, pixel p on an axis takes unit p - 1 whole;
    the border pixels 0 and 5 are one pixel from the nearest centre: weight 0.
    """
    conv = nn.Conv2d(1, 1, 3, bias=False, dtype=np.float64)
    conv.weight.data = np.full((1, 1, 3, 3), 1.0 / 9)
    linear = nn.Linear(1, 1, bias=False, dtype=np.float64)
    linear.weight.data = np.ones((1, 1))
    model = nn.Sequential(conv, nn.AdaptiveAvgPool2d(1), nn.Flatten(), linear)
    x = np.arange(36, dtype=np.float64).reshape(6, 6) / 10
    by_hand = np.zeros((6, 6))
    for i in range(1, 5):
        for j in range(1, 5):
            by_hand[i, j] = sum(x[i + a, j + b] for a in (-1, 0, 1) for b in (-1, 0, 1)) / 9 / 16
    cam = explain.grad_cam(model, x[None], target=0, layer="0")
    np.testing.assert_allclose(cam, by_hand, rtol=1e-12)
    assert cam[:, 0].max() == cam[:, 5].max() == cam[0].max() == cam[5].max() == 0.0


def test_grad_cam_and_saliency_errors():
    cl.manual_seed(0)
    model = cl.models.create("lenet5")
    x = np.zeros((1, 28, 28), np.float32)
    with pytest.raises(ValueError, match=r"grad_cam needs a layer with spatial output .* layer "
                                         r"'7' \(Linear\) outputs shape \(120,\)"):
        explain.grad_cam(model, x, layer="7")
    with pytest.raises(ValueError, match=r"layer must name a layer of the model \(one of '0', "
                                         r"'1', .*'11'\); got 'conv9'"):
        explain.grad_cam(model, x, layer="conv9")
    with pytest.raises(ValueError, match=r"target must be a class index in \[0, 9\]; got 10"):
        explain.saliency(model, x, target=10)
    with pytest.raises(ValueError, match=r"target must be a class index in \[0, 9\]; got -1"):
        explain.grad_cam(model, x, target=-1)
    with pytest.raises(ValueError, match="grad_cam needs a conv layer, or layer= naming a layer "
                                         "with spatial output; this model has no conv layers"):
        explain.grad_cam(nn.Sequential(nn.AvgPool2d(2), nn.Flatten()), x)
    flat = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    with pytest.raises(ValueError, match=r"saliency needs a model that outputs \(N, classes\) "
                                         r"logits; got output shape \(1, 2, 26, 26\)"):
        explain.saliency(flat, x)
