"""The probes: equivariance, pooling invariance, receptive fields and parameter efficiency."""

import numpy as np
import pytest

import convlens as cl
from convlens import explain, nn
from convlens.explain._table import Table


def _noise(shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _conv(nd=2, **kwargs):
    cl.manual_seed(0)
    layer = nn.Conv2d if nd == 2 else nn.Conv1d
    return layer(3, 4, 3, **kwargs)


# -- equivariance -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_circular_stride_1_conv_is_exactly_equivariant(dtype):
    conv = _conv(padding=1, padding_mode="circular", dtype=dtype)
    shifts = (1, 2, 5, (3, -7), (0, 1))
    table = explain.equivariance(conv, _noise((3, 16, 16), dtype), shifts=shifts)
    assert len(table) == 1 and table[0]["jump"] == (1, 1) and table[0]["inexact"] == ""
    errors = [table[0][column] for column in table.columns[3:-1]]
    assert table.columns[3:-1] == ["shift 1", "shift 2", "shift 5", "shift (3, -7)",
                                   "shift (0, 1)"]
    assert max(errors) < 1e-6


def test_circular_1d_conv_is_exactly_equivariant():
    conv = _conv(nd=1, padding=1, padding_mode="circular")
    table = explain.equivariance(conv, _noise((3, 40)), shifts=(1, 4, 13))
    assert max(table[0][f"shift {s}"] for s in (1, 4, 13)) < 1e-6


def test_zero_padding_breaks_equivariance_at_the_borders():
    x = _noise((3, 16, 16))
    table = explain.equivariance(_conv(padding=1), x, shifts=(1, 2))
    # measured: 0.44 and 0.42 (the rows and columns next to the border and the wrap differ)
    assert table[0]["shift 1"] > 0.1 and table[0]["shift 2"] > 0.1
    # a picture that is zero near its border wraps around harmlessly: exact again
    framed = np.zeros((3, 16, 16), np.float32)
    framed[:, 5:11, 5:11] = x[:, 5:11, 5:11]
    assert explain.equivariance(_conv(padding=1), framed, shifts=(1, 2))[0]["shift 2"] < 1e-6


def test_stride_2_is_equivariant_only_for_even_shifts():
    conv = _conv(stride=2, padding=1, padding_mode="circular")
    table = explain.equivariance(conv, _noise((3, 16, 16)), shifts=(1, 2, 3, 4))
    row = table[0]
    assert row["jump"] == (2, 2) and row["inexact"] == "1, 3"
    assert row["shift 2"] < 1e-6 and row["shift 4"] < 1e-6
    # measured: 1.23 for odd shifts (compared with the rounded-down output shift)
    assert row["shift 1"] > 0.3 and row["shift 3"] > 0.3


def test_pooling_is_equivariant_on_its_own_grid():
    x = _noise((2, 16, 16))
    for pool in (nn.MaxPool2d(2), nn.AvgPool2d(2)):
        row = explain.equivariance(pool, x, shifts=(1, 2, (2, 4)))[0]
        assert row["jump"] == (2, 2) and row["inexact"] == "1"
        assert row["shift 2"] < 1e-6 and row["shift (2, 4)"] < 1e-6 and row["shift 1"] > 0.3


def test_equivariance_rows_for_a_model(lenet_digit):
    model, digit = lenet_digit
    table = explain.equivariance(model, digit, shifts=(1, 2, 4))
    assert [row["layer"] for row in table] == ["0", "1", "2", "3", "4", "5"]
    assert [row["jump"] for row in table] == [(1, 1)] * 2 + [(2, 2)] * 3 + [(4, 4)]
    assert [row["inexact"] for row in table] == ["", "", "1", "1", "1", "1, 2"]
    # the digit's frame is empty, so the zero-padded first conv is exact for small shifts
    assert table[0]["shift 1"] < 1e-6 and table[0]["shift 2"] < 1e-6
    assert "shift 4" in str(table) and "inexact" in str(table)


def test_equivariance_rows_for_the_1d_model():
    cl.manual_seed(0)
    table = explain.equivariance(cl.models.create("mnist1d_cnn"), _noise((1, 40)),
                                 shifts=(2, 4, 8))
    assert [row["jump"] for row in table] == [(2,), (2,), (4,), (4,), (8,), (8,)]
    assert [row["inexact"] for row in table] == ["", "", "2", "2", "2, 4", "2, 4"]
    assert all(row["shift 8"] > 0 for row in table)  # zero padding: never exact on noise


def test_equivariance_argument_errors():
    conv = _conv(padding=1)
    x = _noise((3, 8, 8))
    with pytest.raises(TypeError, match=r"shifts must be a non-empty sequence such as "
                                        r"\(1, 2, 4\); got 3"):
        explain.equivariance(conv, x, shifts=3)
    with pytest.raises(TypeError, match=r"shifts must hold ints or tuples of 2 ints \(one per "
                                        r"spatial axis\); got \(1, 2, 3\)"):
        explain.equivariance(conv, x, shifts=[(1, 2, 3)])
    with pytest.raises(ValueError, match=r"one \(C, H, W\) sample for this 2-D model; got "
                                         r"shape \(8, 8\)"):
        explain.equivariance(conv, x[0], shifts=(1,))


# -- pooling invariance -------------------------------------------------------------------
@pytest.fixture(scope="module")
def lenet_digit():
    cl.manual_seed(0)
    _, test = cl.data.load_dataset("mnist-5k")
    return cl.models.create("lenet5"), test.x[0]


def test_pooling_invariance_matches_its_definition():
    x = _noise((1, 1, 12), np.float64)[0]
    table = explain.pooling_invariance(nn.AvgPool1d(2), x, max_shift=3)
    assert table.columns == ["layer", "type", "shift 1", "shift 2", "shift 3", "mean"]

    def pool(v):
        return (v[..., 0::2] + v[..., 1::2]) / 2

    expected = [np.linalg.norm(pool(np.roll(x, s, axis=-1)) - pool(x)) / np.linalg.norm(pool(x))
                for s in (1, 2, 3)]
    got = [table[0][f"shift {s}"] for s in (1, 2, 3)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert table[0]["mean"] == pytest.approx(np.mean(expected))


def test_pooled_layers_change_less_than_the_layers_before_them(lenet_digit):
    model, digit = lenet_digit
    table = explain.pooling_invariance(model, digit, max_shift=3)
    mean = {row["layer"]: row["mean"] for row in table}
    assert len(table) == 12
    assert mean["2"] < mean["1"] and mean["5"] < mean["4"]  # each MaxPool2d vs the ReLU before
    assert mean["11"] < mean["0"]  # the logits change far less than the first conv's maps


def test_pooling_invariance_on_1d():
    cl.manual_seed(0)
    table = explain.pooling_invariance(cl.models.create("mnist1d_cnn"), _noise((1, 40)), 2)
    assert [row["type"] for row in table][:2] == ["Conv1d", "ReLU"] and len(table) == 8
    with pytest.raises(ValueError, match="max_shift must be >= 1; got 0"):
        explain.pooling_invariance(nn.AvgPool1d(2), _noise((1, 8)), max_shift=0)


# -- receptive fields ---------------------------------------------------------------------
def test_lenet_receptive_fields_by_hand():
    table = explain.receptive_field(cl.models.create("lenet5"), (1, 28, 28))
    rows = {row["layer"]: row for row in table}
    # conv5 pad 2: 5; pool2: 5+1=6; conv5 on jump 2: 6+4*2=14; pool2: 14+1*2=16
    assert [rows[k]["size"] for k in "012345"] == [(5, 5), (5, 5), (6, 6), (14, 14), (14, 14),
                                                   (16, 16)]
    assert [rows[k]["jump"] for k in "012345"] == [(1, 1)] * 2 + [(2, 2)] * 3 + [(4, 4)]
    # start: 0 + (2 - 2); 0 + 0.5 * 1; 0.5 + (2 - 0) * 2; 4.5 + 0.5 * 2
    assert [rows[k]["start"][0] for k in "0235"] == [0.0, 0.5, 4.5, 5.5]
    assert rows["6"]["size"] == "all" and rows["11"]["jump"] is None
    assert rows["3"]["output"] == (16, 10, 10)


@pytest.mark.parametrize("name, shape", [("lenet5", (1, 28, 28)), ("mnist1d_cnn", (1, 40)),
                                         ("resnet_small", (3, 16, 16))])
def test_receptive_fields_agree_with_summary(name, shape):
    cl.manual_seed(0)
    model = cl.models.create(name, input_shape=shape)
    ours = {row["layer"]: row for row in explain.receptive_field(model, shape)}
    theirs = model.summary(shape).rows
    compared = 0
    for row in theirs:
        if row["rf_size"] is not None and row["name"] in ours:
            assert ours[row["name"]]["size"] == tuple(row["rf_size"]), row["name"]
            assert ours[row["name"]]["jump"] == tuple(row["rf_jump"]), row["name"]
            compared += 1
    assert compared >= 6


def test_receptive_field_is_where_the_gradient_reaches():
    """The field of a unit is exactly the input pixels its value depends on."""
    cl.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(1, 2, 3, padding=1, dtype=np.float64), nn.AvgPool1d(2),
                          nn.Conv1d(2, 2, 3, dilation=2, stride=2, dtype=np.float64),
                          nn.AvgPool1d(2, stride=1), nn.Conv1d(2, 1, 2, dtype=np.float64))
    length = 64
    table = explain.receptive_field(model, (1, length))
    for index, row in enumerate(table):
        size, jump, start = row["size"][0], row["jump"][0], row["start"][0]
        unit = row["output"][-1] // 2
        x = cl.tensor(_noise((1, 1, length), np.float64, seed=index), requires_grad=True)
        model[:index + 1](x)[0, 0, unit].backward()
        reached = np.flatnonzero(x.grad.numpy()[0, 0])
        centre = start + unit * jump
        assert (reached.min(), reached.max()) == (centre - (size - 1) / 2,
                                                  centre + (size - 1) / 2), row["layer"]


class _Custom(nn.Module):
    """A model with its own forward: functions between the layers, no Sequential."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 8, 3)
        self.fc = nn.Linear(8 * 5 * 5, 10)

    def forward(self, x):
        x = self.pool(cl.functional.relu(self.conv1(x)))
        x = cl.functional.relu(self.conv2(x))
        return self.fc(cl.functional.flatten(x, 1))


def test_probes_follow_a_custom_forward():
    cl.manual_seed(0)
    model = _Custom()
    table = explain.receptive_field(model, (1, 14, 14))
    assert [(r["layer"], r["size"], r["jump"]) for r in table] == [
        ("conv1", (3, 3), (1, 1)), ("pool", (4, 4), (2, 2)), ("conv2", (8, 8), (2, 2)),
        ("fc", "all", None)]
    assert [r["layer"] for r in explain.parameter_efficiency(model, (1, 14, 14))] == [
        "conv1", "conv2"]
    rows = explain.equivariance(model, _noise((1, 14, 14)), shifts=(2,))
    assert [r["layer"] for r in rows] == ["conv1", "pool", "conv2"]


def test_receptive_field_errors():
    with pytest.raises(ValueError, match=r"receptive_field expects input_shape to be a tuple of "
                                         r"positive ints such as \(1, 28, 28\), without the "
                                         r"batch axis; got \(1, 0, 28\)"):
        explain.receptive_field(cl.models.create("lenet5"), (1, 0, 28))


# -- parameter efficiency -----------------------------------------------------------------
def test_lenet_parameter_efficiency_by_hand():
    table = explain.parameter_efficiency(cl.models.create("lenet5"), (1, 28, 28))
    assert [row["layer"] for row in table] == ["0", "3"]
    first, second = table
    assert first["params"] == 6 * 25 + 6
    assert first["fc_params"] == (28 * 28) * (6 * 28 * 28) + 6 * 28 * 28
    assert second["params"] == 16 * 6 * 25 + 16
    assert second["fc_params"] == (6 * 14 * 14) * (16 * 10 * 10) + 16 * 10 * 10
    assert second["ratio"] == pytest.approx(1_883_200 / 2416)


@pytest.mark.parametrize("name, shape", [("lenet5", (1, 28, 28)), ("mnist1d_cnn", (1, 40)),
                                         ("resnet_small", (3, 16, 16))])
def test_parameter_efficiency_agrees_with_summary(name, shape):
    cl.manual_seed(0)
    model = cl.models.create(name, input_shape=shape)
    ours = {row["layer"]: row["fc_params"] for row in explain.parameter_efficiency(model, shape)}
    theirs = {row["name"]: row["fc_params"] for row in model.summary(shape).rows
              if row["fc_params"] is not None}
    assert ours == theirs


def test_grouped_conv_without_bias():
    conv = nn.Conv2d(4, 8, 3, groups=2, bias=False)
    row = explain.parameter_efficiency(conv, (4, 10, 10))[0]
    assert row["params"] == 8 * 2 * 9
    assert row["fc_params"] == 400 * 8 * 8 * 8 and row["output"] == (8, 8, 8)


# -- the table ----------------------------------------------------------------------------
def test_table_text_and_html():
    table = Table("a <title>", ["layer", "value", "size"],
                  [{"layer": "0", "value": 0.000012345, "size": (3, 3)},
                   {"layer": "1<b>", "value": None, "size": (0.5, 1.5)}], ["note & more"])
    assert str(table).splitlines() == [
        "a <title>",
        "layer  value     size",
        "-----  --------  ----------",
        "0      1.23e-05  3x3",
        "1<b>   -         (0.5, 1.5)",
        "note & more"]
    page = table.to_html()
    assert "<caption>a &lt;title&gt;</caption>" in page and "<td>1&lt;b&gt;</td>" in page
    assert '<td class="num">1.23e-05</td>' in page and '<td class="num">3x3</td>' in page
    assert '<p class="note">note &amp; more</p>' in page
    assert table.column("layer") == ["0", "1<b>"] and len(table) == 2
