"""explain.filters, activations, plot_activations and overlay on the zoo's 1-D and 2-D models."""

import subprocess
import sys

import numpy as np
import pytest

import convlens as cl
from convlens import explain, nn

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def lenet():
    cl.manual_seed(0)
    return cl.models.create("lenet5")


@pytest.fixture(scope="module")
def cnn1d():
    cl.manual_seed(0)
    return cl.models.create("mnist1d_cnn")


def _mosaic(fig):
    return fig.axes[0].images[0].get_array()


def test_importing_explain_does_not_import_matplotlib_or_pillow():
    code = ("import sys, convlens.explain; "
            "print(sorted(m for m in ('matplotlib', 'PIL') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_lenet_filters_one_tile_per_filter_and_input_channel(lenet):
    figures = explain.filters(lenet)
    assert len(figures) == 2
    # 6 filters of 1x5x5 on a 3-column grid; 16 filters x 6 channels, one blank pixel between
    assert _mosaic(figures[0]).shape == (2 * 6 - 1, 3 * 6 - 1)
    np.testing.assert_allclose(_mosaic(figures[0])[6:11, 12:17], lenet[0].weight.numpy()[5, 0])
    assert _mosaic(figures[1]).shape == (16 * 6 - 1, 6 * 6 - 1)
    weight = lenet[3].weight.numpy()
    image = _mosaic(figures[1])
    # tile (filter 4, channel 2) holds that slice of the weight
    np.testing.assert_allclose(image[4 * 6:4 * 6 + 5, 2 * 6:2 * 6 + 5], weight[4, 2])
    low, high = figures[1].axes[0].images[0].get_clim()
    assert high == -low == pytest.approx(np.abs(weight).max())
    assert len(figures[1].axes) == 2  # the image and its colorbar
    assert figures[1].axes[1].get_ylabel() == "weight"


def test_first_layer_rgb_filters_are_colour_tiles():
    cl.manual_seed(0)
    model = cl.models.create("vgg_small", width=8)
    figures = explain.filters(model, layer="0")
    image = _mosaic(figures[0])
    assert image.shape == (3 * 4 - 1, 3 * 4 - 1, 3)  # 8 filters on a 3x3 grid of 3x3 tiles
    weight = model[0].weight.numpy()
    limit = np.abs(weight.astype(np.float64)).max()
    np.testing.assert_allclose(image[4:7, 0:3], 0.5 + weight[3].transpose(1, 2, 0) / (2 * limit),
                               atol=1e-7)
    assert image.min() >= 0 and image.max() <= 1
    # a deeper layer of the same model is a per-channel grid
    assert _mosaic(explain.filters(model, layer=model[3])[0]).shape == (8 * 4 - 1, 8 * 4 - 1)


def test_1d_filters_are_line_plots(cnn1d):
    figures = explain.filters(cnn1d)
    assert len(figures) == 3
    for fig, layer in zip(figures, (cnn1d[0], cnn1d[2], cnn1d[4])):
        weight = layer.weight.numpy()
        ax = fig.axes[0]
        assert len(fig.axes) == 1 and len(ax.texts) == 25  # one labelled cell per filter
        zero_lines, lines = ax.collections[:2]
        assert len(zero_lines.get_segments()) == 25
        segments = lines.get_segments()
        assert len(segments) == 25 * weight.shape[1]  # one line per input channel
        # every line is its kernel slice, moved to its cell: same shape, one shared scale
        for index in (0, 7, 24):
            line = segments[index * weight.shape[1]]
            np.testing.assert_allclose(np.diff(line[:, 1]), np.diff(weight[index, 0]),
                                       atol=1e-6)
            assert line[0, 1] - weight[index, 0, 0] == pytest.approx(
                zero_lines.get_segments()[index][0, 1], abs=1e-6)


def test_filters_of_a_model_without_convs_and_bad_layer_names(lenet):
    assert explain.filters(cl.models.create("mlp")) == []
    with pytest.raises(ValueError, match=r"layer must name a conv layer of the model "
                                         r"\(one of '0', '3'\); got '2'"):
        explain.filters(lenet, layer="2")
    with pytest.raises(ValueError, match=r"got 'Linear'"):
        explain.filters(lenet, layer=nn.Linear(2, 2))


def test_activations_are_every_layers_output(lenet):
    x = np.random.default_rng(0).random((1, 28, 28), dtype=np.float32)
    maps = explain.activations(lenet, x)
    assert list(maps) == [str(i) for i in range(12)]
    assert maps["0"].shape == (6, 28, 28) and maps["5"].shape == (16, 5, 5)
    assert maps["11"].shape == (10,)
    with cl.no_grad():
        np.testing.assert_array_equal(maps["5"], lenet[:6](cl.tensor(x[None])).numpy()[0])
    # a batch of one is the same sample; a Tensor works as well as an ndarray
    batched = explain.activations(lenet, cl.tensor(x[None]))
    np.testing.assert_array_equal(batched["11"], maps["11"])


def test_activations_run_in_eval_mode_and_restore_the_mode():
    cl.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Dropout(0.5))
    model.train()
    x = np.random.default_rng(1).random((1, 6, 6), dtype=np.float32)
    first, second = explain.activations(model, x), explain.activations(model, x)
    np.testing.assert_array_equal(first["2"], second["2"])  # no dropout, running stats
    assert all(module.training for module in model.modules())


def test_activation_input_errors(lenet, cnn1d):
    with pytest.raises(ValueError, match=r"one sample \(C, \.\.\.\) or a batch of one "
                                         r"\(1, C, \.\.\.\); got shape \(2, 1, 28, 28\)"):
        explain.activations(lenet, np.zeros((2, 1, 28, 28)))
    with pytest.raises(ValueError, match=r"one \(C, L\) sample for this 1-D model; got shape "
                                         r"\(40,\)"):
        explain.activations(cnn1d, np.zeros(40))
    with pytest.raises(TypeError, match="x to be an ndarray or convlens Tensor; got list"):
        explain.activations(lenet, [[0.0]])


def test_plot_activations_one_figure_per_layer_2d(lenet):
    x = np.random.default_rng(0).random((1, 28, 28), dtype=np.float32)
    maps = explain.activations(lenet, x)
    figures = explain.plot_activations(maps)
    assert len(figures) == len(explain.hooks.layers(lenet)) == 12
    # 6 maps of 28x28 on a 3-column grid; 16 maps of 10x10 on a 4x4 grid
    assert _mosaic(figures[0]).shape == (2 * 29 - 1, 3 * 29 - 1)
    assert _mosaic(figures[3]).shape == (4 * 11 - 1, 4 * 11 - 1)
    np.testing.assert_array_equal(_mosaic(figures[3])[11:21, 22:32], maps["3"][6])
    low, high = maps["3"].min(), maps["3"].max()
    assert figures[3].axes[0].get_title() == (
        f"layer 3: shape (16, 10, 10), range [{low:.3g}, {high:.3g}]")
    assert len(figures[11].axes[0].patches) == 10  # one bar per logit
    assert len(figures[7].axes[0].patches) == 0 and len(figures[7].axes[0].lines) == 2


def test_plot_activations_1d_stacks_one_line_per_filter(cnn1d):
    x = np.random.default_rng(0).standard_normal((1, 40)).astype(np.float32)
    maps = explain.activations(cnn1d, x)
    figures = explain.plot_activations(maps)
    assert len(figures) == 8
    ax = figures[2].axes[0]
    assert len(ax.lines) == 25
    offsets = [line.get_ydata() - maps["2"][c] for c, line in enumerate(ax.lines)]
    steps = np.diff([o[0] for o in offsets])
    assert np.all(steps < 0) and np.allclose(steps, steps[0])  # depth order, top to bottom
    assert figures[2].axes[0].get_title().startswith("layer 2: shape (25, 10), range [")


def test_overlay_2d_and_1d():
    fig = explain.overlay(np.random.default_rng(0).random((1, 8, 8)), np.eye(8), title="t")
    image, heat = fig.axes[0].images
    assert image.get_array().shape == (8, 8) and heat.get_array().max() == 1.0
    assert fig.axes[0].get_title() == "t"
    rgb = explain.overlay(np.zeros((3, 8, 8)), np.ones((8, 8)))
    assert rgb.axes[0].images[0].get_array().shape == (8, 8, 3)
    line = explain.overlay(np.zeros((2, 40)), np.arange(40.0))
    assert len(line.axes[0].lines) == 2 and line.axes[0].images[0].get_array().shape == (1, 40)


def test_overlay_errors():
    with pytest.raises(ValueError, match=r"overlay expects image shaped \(8, 8\) or \(C, 8, 8\) "
                                         r"like the heatmap with C = 1 or 3; got image shape "
                                         r"\(1, 9, 8\)"):
        explain.overlay(np.zeros((1, 9, 8)), np.zeros((8, 8)))
    with pytest.raises(ValueError, match=r"heatmap to be \(H, W\) or \(L,\); got shape "
                                         r"\(1, 2, 2\)"):
        explain.overlay(np.zeros((2, 2)), np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match=r"alpha must be a finite number in \[0.0, 1.0\]; "
                                         r"got 2.0"):
        explain.overlay(np.zeros((2, 2)), np.zeros((2, 2)), alpha=2.0)
