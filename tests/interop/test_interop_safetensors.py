"""Safetensors without torch, every header field validated, and pickles refused unopened."""

import json
import pickle
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import convlens as cl
from convlens import interop


def write_raw(path, header, data=b""):
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    return path


def test_torch_state_dict_loads_without_torch(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.BatchNorm2d(6),
                              torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(6 * 8 * 8, 3))
    net(torch.randn(4, 1, 8, 8))  # training step: non-trivial running stats
    net.eval()
    path = tmp_path / "net.safetensors"
    st_torch.save_file(net.state_dict(), str(path))
    x = np.random.default_rng(0).standard_normal((2, 1, 8, 8)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", net(torch.tensor(x)).detach().numpy())
    script = textwrap.dedent(f"""
        import sys
        sys.modules["torch"] = None  # any import of torch now fails
        sys.modules["safetensors"] = None
        import numpy as np
        import convlens as cl
        from convlens import interop, nn
        model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.BatchNorm2d(6), nn.ReLU(),
                              nn.Flatten(), nn.Linear(6 * 8 * 8, 3)).eval()
        state = interop.load_state_dict_file({str(path)!r})
        assert state["1.num_batches_tracked"].dtype == np.int64
        model.load_state_dict(state)
        y = model(cl.tensor(np.load({str(tmp_path / "x.npy")!r}))).numpy()
        np.testing.assert_allclose(y, np.load({str(tmp_path / "y.npy")!r}), rtol=1e-5,
                                   atol=1e-6)
        print("torch loaded:", sys.modules["torch"] is not None)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "torch loaded: False"


def test_writer_is_read_by_the_reference_library(tmp_path):
    st_numpy = pytest.importorskip("safetensors.numpy")
    cl.manual_seed(0)
    model = cl.models.create("resnet_small", width=4)
    path = tmp_path / "w.safetensors"
    interop.save_state_dict_file(model.state_dict(), path, metadata={"format": "pt"})
    reference = st_numpy.load_file(str(path))
    ours = interop.load_state_dict_file(path)
    assert list(ours) == list(model.state_dict())
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(reference[key], value.numpy())
        np.testing.assert_array_equal(ours[key], value.numpy())
        assert ours[key].dtype == value.dtype and ours[key].flags.writeable


def test_all_dtypes_round_trip(tmp_path):
    arrays = {name: np.arange(6).reshape(2, 3).astype(code) for name, code in
              interop.safetensors_io.DTYPES.items()}
    arrays["empty"] = np.zeros((0, 4), np.float32)
    arrays["scalar"] = np.array(3.5, np.float64)
    interop.save_state_dict_file(arrays, tmp_path / "all.safetensors")
    loaded = interop.load_state_dict_file(tmp_path / "all.safetensors")
    for key, value in arrays.items():
        np.testing.assert_array_equal(loaded[key], value)
        assert loaded[key].dtype == value.dtype.newbyteorder("=")


class _Exploit:
    """Unpickling this would create a marker file: proof the loader never unpickles."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("name", ["model.pt", "model.pth", "weights.bin", "disguised.safetensors",
                                  "disguised.onnx", "model.onnx.pt"])
def test_pickles_are_refused_with_advice_and_never_opened(name, tmp_path):
    marker = tmp_path / "exploited"
    path = tmp_path / name
    path.write_bytes(pickle.dumps({"weight": _Exploit(str(marker))}, protocol=4))
    load = interop.from_onnx if ".onnx" in name else interop.load_state_dict_file
    with pytest.raises(interop.ModelFileError, match=r"looks like a pickle-based PyTorch file\. "
                       r"convlens never unpickles.*torch\.load\(path, weights_only=True\); "
                       r"safetensors\.torch\.save_file\(sd, 'weights\.safetensors'\)"):
        load(path)
    assert not marker.exists()


def test_torch_zip_checkpoint_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "weights.safetensors"  # a misnamed torch.save file
    torch.save({"w": torch.zeros(2)}, str(path))
    with pytest.raises(interop.ModelFileError, match="looks like a pickle-based PyTorch file"):
        interop.load_state_dict_file(path)


F32 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


@pytest.mark.parametrize("header,data,match", [
    ({"a": {**F32, "dtype": "F8_E4M3"}}, bytes(8), r"tensor 'a' has dtype 'F8_E4M3'; convlens "
                                                  r"reads \['BOOL', 'F16'"),
    ({"a": {**F32, "shape": [3]}}, bytes(8), r"tensor 'a' of shape \[3\] and dtype F32 needs 12 "
                                              r"bytes; its data_offsets span 8"),
    ({"a": {**F32, "shape": [-2]}}, bytes(8), r"tensor 'a' has invalid shape \[-2\]"),
    ({"a": {**F32, "data_offsets": [0, 16]}}, bytes(8), r"data_offsets \[0, 16\] outside the 8 "
                                                         r"data bytes"),
    ({"a": {**F32, "shape": [10**12], "data_offsets": [0, 4 * 10**12]}}, bytes(8),
     r"outside the 8 data bytes"),
    ({"a": F32, "b": {**F32, "data_offsets": [4, 12]}}, bytes(12), r"overlaps another tensor"),
    ({"a": {**F32, "data_offsets": [4, 12]}}, bytes(12), r"leaves a gap before it"),
    ({"a": F32}, bytes(12), r"the tensors cover 8 data bytes but the file holds 12"),
    ({"a": {"dtype": "F32", "shape": [2]}}, bytes(8), r"exactly dtype, shape and data_offsets"),
    ({"__metadata__": {"k": 1}}, b"", r"__metadata__ must map strings to strings"),
    ([1, 2], b"", r"header must be a JSON object"),
])
def test_malformed_headers_are_refused(header, data, match, tmp_path):
    path = write_raw(tmp_path / "bad.safetensors", header, data)
    with pytest.raises(interop.ModelFileError, match=match):
        interop.load_state_dict_file(path)


def test_framing_errors(tmp_path):
    path = tmp_path / "short.safetensors"
    path.write_bytes(b"\x05\x00")
    with pytest.raises(interop.ModelFileError, match=r"not a safetensors file: its header "
                                                     r"length field declares 5 bytes"):
        interop.load_state_dict_file(path)
    path.write_bytes(struct.pack("<Q", 2**40) + b"{}")
    with pytest.raises(interop.ModelFileError, match=r"declares 1099511627776 bytes but the "
                                                     r"file holds 2 after it"):
        interop.load_state_dict_file(path)
    path.write_bytes(struct.pack("<Q", 4) + b"{ab}")
    with pytest.raises(interop.ModelFileError, match="the safetensors header is not valid JSON"):
        interop.load_state_dict_file(path)
    write_raw(path, {"a": F32}, bytes(8))
    with pytest.raises(interop.ModelFileError, match=r"more than max_bytes=10"):
        interop.load_state_dict_file(path, max_bytes=10)


def test_writer_errors(tmp_path):
    with pytest.raises(TypeError, match=r"state_dict keys must be strings; got 1"):
        interop.save_state_dict_file({1: np.zeros(1)}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match=r"has dtype float128, which safetensors cannot store"):
        interop.save_state_dict_file({"c": np.zeros(1, np.longdouble)}, tmp_path / "x.st")
    with pytest.raises(TypeError, match="metadata must map strings to strings"):
        interop.save_state_dict_file({}, tmp_path / "x.st", metadata={"a": 1})


def test_the_interop_package_never_imports_a_deserializer_that_runs_code():
    import ast
    import pathlib

    package = pathlib.Path(interop.__file__).parent
    imported = set()
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
            elif isinstance(node, ast.Attribute) and node.attr == "load":
                assert getattr(node.value, "id", "") not in ("torch", "pickle"), source
    assert not imported & {"pickle", "cPickle", "dill", "marshal", "shelve", "joblib"}
    assert len(list(package.glob("*.py"))) >= 10


def test_a_convlens_file_is_named_as_one_not_as_a_pickle(tmp_path):
    # torch.save(model.state_dict(), "m.pt") under `import convlens as torch` writes a
    # convlens zip, which the safetensors reader used to call "a pickle-based PyTorch file"
    path = tmp_path / "weights.pt"
    cl.save({"weight": cl.tensor(np.ones(2, np.float32))}, path)
    with pytest.raises(interop.ModelFileError, match=r"is a convlens file .* cl.load\(path\)"):
        interop.load_state_dict_file(path)
