"""to_onnx: the exported file passes onnx.checker and ONNX Runtime matches convlens."""

import os

import numpy as np
import pytest

import convlens as cl
from convlens import interop, nn

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from interop_helpers import assert_close, randomize_batch_norm, run_convlens, run_ort  # noqa: E402

ZOO = [("lenet5", (1, 28, 28), {}), ("mnist1d_cnn", (1, 40), {}),
       ("vgg_small", (3, 32, 32), {"width": 8}), ("resnet_small", (3, 32, 32), {"width": 8}),
       ("mlp", (1, 40), {})]


def export_and_compare(model, shape, tmp_path, opset=17, batch=3, dtype=np.float32):
    model.eval()
    path = interop.to_onnx(model, tmp_path / "model.onnx", shape, opset=opset)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    x = np.random.default_rng(0).standard_normal((batch, *shape)).astype(dtype)
    expected = run_convlens(model, x)
    assert_close(run_ort(path, x), expected, rtol=1e-4 if dtype == np.float32 else 1e-10)
    return path


@pytest.mark.parametrize("name,shape,kwargs", ZOO)
def test_zoo_models_match_onnx_runtime_with_dynamic_batch(name, shape, kwargs, tmp_path):
    cl.manual_seed(0)
    model = randomize_batch_norm(cl.models.create(name, input_shape=shape, **kwargs))
    path = export_and_compare(model, shape, tmp_path, batch=3)
    x = np.random.default_rng(1).standard_normal((1, *shape)).astype(np.float32)
    assert_close(run_ort(path, x), run_convlens(model, x))  # another batch size, same file
    graph_input = onnx.load(path).graph.input[0].type.tensor_type.shape.dim
    assert graph_input[0].dim_param == "N"


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("opset", [17, 19])
def test_padding_modes_become_pad_nodes(mode, opset, tmp_path):
    cl.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode), nn.ReLU())
    path = export_and_compare(model, (2, 6, 7), tmp_path, opset=opset)
    ops = [node.op_type for node in onnx.load(path).graph.node]
    if mode == "zeros":
        assert "Pad" not in ops
    elif mode == "circular" and opset < 19:  # Pad's "wrap" mode needs opset 19
        assert "Slice" in ops and "Pad" not in ops
    else:
        assert "Pad" in ops


def test_conv1d_padding_modes(tmp_path):
    cl.manual_seed(2)
    model = nn.Sequential(nn.Conv1d(2, 3, 5, padding=2, padding_mode="reflect"),
                          nn.Conv1d(3, 3, 3, padding=1, padding_mode="circular"),
                          nn.Conv1d(3, 2, 3, padding="same", padding_mode="replicate"))
    export_and_compare(model, (2, 11), tmp_path)


def test_padding_strings_dilation_groups_and_per_side_pairs(tmp_path):
    cl.manual_seed(3)
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, stride=2, padding="same"),       # SAME_UPPER: extra pad at the end
        nn.Conv2d(4, 4, 3, padding="full", dilation=2, groups=2),
        nn.Conv2d(4, 6, 2, padding=((1, 0), (0, 2)), bias=False),
        nn.Conv2d(6, 2, 3, padding="valid"))
    path = export_and_compare(model, (2, 9, 8), tmp_path)
    first = onnx.load(path).graph.node[0]
    pads = [list(a.ints) for a in first.attribute if a.name == "pads"][0]
    # SAME_UPPER, stride 2: 9 rows -> 5 needs 2 pad rows (1, 1); 8 columns -> 4 needs 1 (0, 1)
    assert pads == [1, 0, 1, 1]


def test_pooling_variants(tmp_path):
    model = nn.Sequential(nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
                          nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
                          nn.AvgPool2d(2, 1, 0), nn.AdaptiveAvgPool2d((3, None)))
    export_and_compare(model, (2, 24, 24), tmp_path)
    model = nn.Sequential(nn.MaxPool2d(2, dilation=2), nn.AvgPool2d(3, 2, 1, ceil_mode=True))
    export_and_compare(model, (2, 11, 11), tmp_path)
    model = nn.Sequential(nn.MaxPool1d(3, 2, 1, ceil_mode=True), nn.AvgPool1d(3, 2, 1),
                          nn.AdaptiveAvgPool1d(1))
    path = export_and_compare(model, (2, 12), tmp_path)
    assert [n.op_type for n in onnx.load(path).graph.node] == [
        "MaxPool", "AveragePool", "GlobalAveragePool"]


def test_branches_activations_norms_and_flattening(tmp_path):
    cl.manual_seed(4)
    model = randomize_batch_norm(nn.Sequential(
        nn.Concat(nn.Conv2d(3, 4, 1),
                  nn.Sequential(nn.Conv2d(3, 2, 3, padding=1), nn.LeakyReLU(0.2))),
        nn.BatchNorm2d(6), nn.Sigmoid(),
        nn.Residual(nn.Sequential(nn.Conv2d(6, 6, 3, padding=1), nn.Tanh())),
        nn.Flatten(2), nn.BatchNorm1d(6), nn.Linear(16, 5), nn.Softmax(dim=-1), nn.Flatten(),
        nn.BatchNorm1d(30), nn.Dropout(), nn.Identity(), nn.Linear(30, 2)))
    path = export_and_compare(model, (3, 4, 4), tmp_path)
    ops = {node.op_type for node in onnx.load(path).graph.node}
    assert {"Concat", "Add", "BatchNormalization", "Reshape", "MatMul", "Gemm"} <= ops


def test_float64_models_export_as_double(tmp_path):
    # ONNX Runtime has no float64 Conv kernel on the CPU, so the double file is read back by
    # convlens (which computes in float64) and checked by the ONNX checker.
    cl.manual_seed(5)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, dtype=np.float64), nn.ReLU(), nn.Flatten(),
                          nn.Linear(2 * 4 * 4, 3, dtype=np.float64)).eval()
    path = interop.to_onnx(model, tmp_path / "m.onnx", (1, 6, 6))
    onnx.checker.check_model(onnx.load(path), full_check=True)
    assert onnx.load(path).graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    x = np.random.default_rng(0).standard_normal((2, 1, 6, 6))
    again = interop.from_onnx(path)
    assert again[0].weight.dtype == np.float64
    np.testing.assert_array_equal(run_convlens(again, x), run_convlens(model, x))


def test_export_leaves_mode_statistics_and_random_state_alone(tmp_path):
    cl.manual_seed(6)
    model = cl.models.create("vgg_small", width=4)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    draw = cl.random.default_generator().bit_generator.state
    interop.to_onnx(model, tmp_path / "m.onnx", (3, 32, 32))
    assert model.training and all(m.training for m in model.modules())
    assert cl.random.default_generator().bit_generator.state == draw
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key])


def test_static_batch_and_opsets(tmp_path):
    model = cl.models.create("mnist1d_cnn")
    for opset in (13, 21):
        path = interop.to_onnx(model, tmp_path / f"m{opset}.onnx", (1, 40), opset=opset,
                               dynamic_batch=False)
        loaded = onnx.load(path)
        onnx.checker.check_model(loaded, full_check=True)
        assert loaded.opset_import[0].version == opset
        assert loaded.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 1


class Custom(nn.Module):
    def forward(self, x):
        return x * 2


@pytest.mark.parametrize("model,shape,match", [
    (nn.Sequential(Custom()), (3,), r"to_onnx has no rule for .*Custom \(at '0'\); supported: "
                                    r"AdaptiveAvgPool1d, .*Conv2d"),
    (nn.AdaptiveAvgPool2d(2), (1, 5, 5), r"only when each input size is a multiple of the "
                                         r"output size; got input \(5, 5\) for output \(2, 2\)"),
    (nn.MaxPool2d(2, return_indices=True), (1, 4, 4), "return_indices=True"),
    (nn.AvgPool2d(2, divisor_override=3), (1, 4, 4), "divisor_override"),
    (nn.BatchNorm2d(1, track_running_stats=False), (1, 4, 4), "track_running_stats=False"),
    (nn.Flatten(0), (1, 4, 4), r"Flatten\(start_dim=0\).*batch"),
])
def test_unsupported_layers_raise_clear_errors(model, shape, match, tmp_path):
    with pytest.raises(interop.UnsupportedError, match=match):
        interop.to_onnx(model, tmp_path / "m.onnx", shape)
    assert os.listdir(tmp_path) == []  # nothing written, not even a temporary file


@pytest.mark.parametrize("kwargs,error,match", [
    ({"opset": 12}, ValueError, r"opset must be an int from 13 to 21; got 12"),
    ({"opset": True}, ValueError, r"opset must be an int from 13 to 21; got True"),
    ({"dynamic_batch": 1}, TypeError, r"dynamic_batch must be a bool; got 1"),
    ({"input_shape": (1, 0, 28)}, ValueError, r"input_shape must be positive"),
])
def test_argument_errors(kwargs, error, match, tmp_path):
    arguments = {"input_shape": (1, 28, 28), **kwargs}
    with pytest.raises(error, match=match):
        interop.to_onnx(cl.models.create("lenet5"), tmp_path / "m.onnx", **arguments)
    with pytest.raises(TypeError, match="model must be an nn.Module; got str"):
        interop.to_onnx("lenet5", tmp_path / "m.onnx", (1, 28, 28))


def test_failed_export_keeps_the_existing_file(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"old")
    with pytest.raises(interop.UnsupportedError):
        interop.to_onnx(nn.Sequential(Custom()), path, (3,))
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["m.onnx"]


def test_export_import_round_trip_is_exact(tmp_path):
    cl.manual_seed(7)
    for name, shape, kwargs in ZOO:
        model = randomize_batch_norm(cl.models.create(name, input_shape=shape, **kwargs)).eval()
        path = interop.to_onnx(model, tmp_path / f"{name}.onnx", shape)
        x = np.random.default_rng(2).standard_normal((2, *shape)).astype(np.float32)
        np.testing.assert_array_equal(run_convlens(interop.from_onnx(path), x),
                                      run_convlens(model, x))
