"""summary(): numbers checked against a hand count, branches, side effects, rendering."""

import numpy as np
import pytest

import convlens as cl
from convlens import nn
from convlens.nn.summary import summary


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


# LeNet-5 on 1x28x28, counted by hand:
# conv1: 6 filters of 1x5x5 + 6 biases = 156 params; output 6x28x28 (padding 2);
#        MACs = 6*28*28 outputs * 25 = 117,600; RF 5, jump 1.
#        FC equivalent: 784 inputs * 4,704 outputs + 4,704 biases = 3,692,640 (x23,670.8).
# pool1: 6x14x14; RF 5 + (2-1)*1 = 6, jump 2.
# conv2: 16 filters of 6x5x5 + 16 = 2,416 params; output 16x10x10;
#        MACs = 1,600 * 150 = 240,000; RF 6 + 4*2 = 14, jump 2.
#        FC equivalent: 1,176 * 1,600 + 1,600 = 1,883,200 (x779.5).
# pool2: 16x5x5; RF 14 + 1*2 = 16, jump 4.
# fc1: 400*120 + 120 = 48,120 params, 48,000 MACs; fc2: 120*84 + 84 = 10,164, 10,080;
# fc3: 84*10 + 10 = 850, 840. Total 61,706 params, 416,520 MACs.
LENET_ROWS = [
    # name, type, output shape, params, MACs, RF size, jump, FC params
    ("0", "Conv2d", (6, 28, 28), 156, 117_600, (5, 5), (1, 1), 3_692_640),
    ("1", "ReLU", (6, 28, 28), 0, 0, (5, 5), (1, 1), None),
    ("2", "MaxPool2d", (6, 14, 14), 0, 0, (6, 6), (2, 2), None),
    ("3", "Conv2d", (16, 10, 10), 2_416, 240_000, (14, 14), (2, 2), 1_883_200),
    ("4", "ReLU", (16, 10, 10), 0, 0, (14, 14), (2, 2), None),
    ("5", "MaxPool2d", (16, 5, 5), 0, 0, (16, 16), (4, 4), None),
    ("6", "Flatten", (400,), 0, 0, None, None, None),
    ("7", "Linear", (120,), 48_120, 48_000, None, None, None),
    ("8", "ReLU", (120,), 0, 0, None, None, None),
    ("9", "Linear", (84,), 10_164, 10_080, None, None, None),
    ("10", "ReLU", (84,), 0, 0, None, None, None),
    ("11", "Linear", (10,), 850, 840, None, None, None),
]


def test_lenet5_numbers_match_a_hand_count():
    table = lenet5().summary((1, 28, 28))
    got = [(r["name"], r["type"], r["output_shape"], r["params"], r["macs"], r["rf_size"],
            r["rf_jump"], r["fc_params"]) for r in table.rows]
    assert got == LENET_ROWS
    assert table.rows[0]["fc_ratio"] == pytest.approx(3_692_640 / 156)
    assert table.rows[3]["fc_ratio"] == pytest.approx(1_883_200 / 2_416)
    assert (table.total_params, table.trainable_params, table.total_macs) == (61_706, 61_706,
                                                                              416_520)
    assert table.input_shape == (1, 28, 28) and table.output_shape == (10,)
    text = str(table)
    assert "x23,671 fewer parameters" in text and "x779 fewer parameters" in text
    assert "Total params: 61,706" in text and "416,520" in text
    assert text.splitlines()[2].split()[:8] == ["0", "Conv2d", "(6,", "28,", "28)", "156",
                                               "117,600", "5x5"]


def test_1d_stack_receptive_field():
    # conv k5 s2 -> RF 5, jump 2; conv k3 s2 d2 (span 5) -> 5 + 4*2 = 13, jump 4;
    # maxpool k2 -> 13 + 1*4 = 17, jump 8; avgpool k3 s1 -> 17 + 2*8 = 33, jump 8
    model = nn.Sequential(nn.Conv1d(1, 4, 5, stride=2), nn.Conv1d(4, 4, 3, stride=2, dilation=2),
                          nn.MaxPool1d(2), nn.AvgPool1d(3, stride=1))
    rows = model.summary((1, 100)).rows
    assert [(r["rf_size"], r["rf_jump"]) for r in rows] == [((5,), (2,)), ((13,), (4,)),
                                                            ((17,), (8,)), ((33,), (8,))]
    # output lengths: (100-5)//2+1 = 48, (48-5)//2+1 = 22, 11, 9; MACs = L_out * 4 * C_in*K
    assert [r["macs"] for r in rows] == [48 * 4 * 5, 22 * 4 * 12, 0, 0]


def test_branches_merge_receptive_fields_and_count_parameters_once():
    shared = nn.Conv2d(4, 4, 3, padding=1)
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),                                       # RF 3
        nn.Residual(nn.Sequential(shared, nn.ReLU(), shared)),               # 5, then 7
        nn.Concat(nn.Conv2d(4, 2, 1), nn.Sequential(nn.MaxPool2d(3, 1, 1),    # 7, 9
                                                    nn.Conv2d(4, 2, 5, padding=2))),  # 13
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    table = model.summary((3, 8, 8))
    by_name = {}
    for row in table.rows:
        by_name.setdefault(row["name"], []).append(row)
    assert [r["rf_size"] for r in by_name["1.body.0"]] == [(5, 5), (7, 7)]
    assert [r["params"] for r in by_name["1.body.0"]] == [148, 0]  # shared: counted once
    assert by_name["2.0"][0]["rf_size"] == (7, 7)
    assert by_name["2.1.1"][0]["rf_size"] == (13, 13)
    # after the Concat, the larger field (13) carries on: global pool over 8x8, jump 1
    assert by_name["3"][0]["rf_size"] == (13 + 7, 13 + 7) and by_name["3"][0]["rf_jump"] == (8, 8)
    assert table.total_params == sum(p.numel() for p in model.parameters())
    assert sum(r["params"] for r in table.rows) == table.total_params


def test_summary_has_no_side_effects():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Dropout(0.5), nn.Flatten(),
                          nn.Linear(2 * 6 * 6, 2))
    model[2].eval()  # a mixed mode must come back as it was
    state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    cl.manual_seed(5)
    before = cl.random.default_generator().bit_generator.state
    model.summary((1, 8, 8))
    assert cl.random.default_generator().bit_generator.state == before
    assert model.training and model[1].training and not model[2].training
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), state[key])
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_float64_models_and_html():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, dtype=np.float64), nn.Flatten())
    table = model.summary([1, 5, 5])
    assert table.rows[0]["output_shape"] == (2, 3, 3)
    page = table._repr_html_()
    assert page.startswith("<table>") and "<th>FC-equivalent params</th>" in page
    assert "<td>Conv2d</td>" in page and "x" in page and "fewer parameters" in page
    assert repr(table) == str(table)


def test_conv_with_more_parameters_than_a_dense_layer_says_so():
    # 1x1 input, 3x3 kernel, padding 1: 9 weights per output but only 1 input pixel
    table = nn.Conv2d(1, 1, 3, padding=1, bias=False).summary((1, 1, 1))
    assert table.rows[0]["fc_params"] == 1 and table.rows[0]["fc_ratio"] == pytest.approx(1 / 9)
    assert "x9.0 more parameters" in str(table)


def test_summary_errors():
    with pytest.raises(ValueError, match=r"input_shape must be a non-empty tuple of positive "
                                         r"ints without the batch dimension, e\.g\. \(1, 28, 28\)"
                                         r"; got \(0, 28\)"):
        lenet5().summary((0, 28))
    with pytest.raises(ValueError, match="input_shape must be .*; got 784"):
        lenet5().summary(784)
    with pytest.raises(ValueError, match=r"Conv2d expects input of shape \(N, 1, H, W\)"):
        lenet5().summary((3, 28, 28))
    model = lenet5()
    with pytest.raises(ValueError):
        model.summary((3, 28, 28))
    assert all(not m._forward_hooks for m in model.modules())  # cleaned up after an error
    with pytest.raises(TypeError, match="summary expects an nn.Module; got list"):
        summary([], (1,))


@pytest.mark.parametrize("pool", [nn.MaxPool2d, nn.AvgPool2d])
def test_a_pool_with_per_side_padding_has_a_receptive_field(pool):
    """Per-side (low, high) pool padding once made the summary raise. Only the low side moves
    the windows' centres: each output pixel's gradient reaches exactly the input pixels of
    the window the geometry places there."""
    from convlens.explain._geometry import Geometry, layer_geometry

    layer = pool(3, stride=2, padding=((1, 0), (0, 1)))
    rows = nn.Sequential(nn.Conv2d(1, 1, 1), layer).summary((1, 9, 9)).rows
    assert (rows[1]["rf_size"], rows[1]["rf_jump"]) == ((3, 3), (2, 2))
    x = cl.tensor(np.random.default_rng(0).standard_normal((1, 1, 9, 9)), requires_grad=True)
    y = layer(x)
    g = layer_geometry(layer, Geometry.identity(2), (9, 9), tuple(y.shape[2:]))
    for i, j in [(1, 1), (2, 3), (3, 0)]:
        x.grad = None
        seed = np.zeros(y.shape)
        seed[0, 0, i, j] = 1.0
        y.backward(seed, retain_graph=True)
        rows_hit, cols_hit = np.nonzero(x.grad.numpy()[0, 0])
        centre = (g.start[0] + i * g.jump[0], g.start[1] + j * g.jump[1])
        half = (g.size[0] - 1) / 2
        assert rows_hit.min() >= centre[0] - half and rows_hit.max() <= centre[0] + half
        assert cols_hit.min() >= centre[1] - half and cols_hit.max() <= centre[1] + half
        if pool is nn.AvgPool2d:        # the whole window inside the input is reached
            inside_rows = [r for r in range(int(centre[0] - half), int(centre[0] + half) + 1)
                           if 0 <= r < 9]
            assert sorted(set(rows_hit)) == inside_rows
