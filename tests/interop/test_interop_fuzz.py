"""Fuzzing the loaders: from_onnx, load_state_dict_file and cl.load on hostile bytes.

Every mutated file must either load or raise convlens's own error type (a ValueError
subclass), with no other exception, no crash and a small peak allocation (tracemalloc sees
NumPy's buffers too). Hand-made files cover what random mutation rarely hits: declared sizes
far beyond the file, wrong dtypes, deep nesting, cycles, huge graphs and unknown ops.
"""

import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import interop, io, nn
from convlens.interop import _onnx_format as fmt
from convlens.interop import _protobuf as pb

PEAK_LIMIT = 4 * 2**20  # bytes; the valid files are a few kB


def small_model():
    cl.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Residual(nn.Conv2d(4, 4, 1)), nn.Flatten(),
                         nn.Linear(4 * 4 * 4, 3)).eval()


@pytest.fixture(scope="module")
def valid_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("valid")
    model = small_model()
    files = {"onnx": folder / "m.onnx", "safetensors": folder / "m.safetensors",
             "convlens": folder / "m.convlens"}
    interop.to_onnx(model, files["onnx"], (1, 8, 8))
    interop.save_state_dict_file(model.state_dict(), files["safetensors"])
    cl.save(model, files["convlens"])
    return {kind: path.read_bytes() for kind, path in files.items()}


LOADERS = {
    "onnx": (interop.from_onnx, interop.InteropError),
    "safetensors": (interop.load_state_dict_file, interop.ModelFileError),
    "convlens": (cl.load, io.ModelFileError),
}


def load_bounded(kind, path):
    """Load ``path``; returns the error raised (or None) after checking the peak allocation."""
    load, allowed = LOADERS[kind]
    tracemalloc.start()
    try:
        load(path)
        error = None
    except allowed as caught:
        error = caught
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < PEAK_LIMIT, f"{kind} loader peaked at {peak} bytes"
    return error


@st.composite
def mutations(draw, size):
    """A list of edits: truncate, flip bytes (xor), overwrite a run, or insert bytes."""
    edits = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["truncate", "flip", "overwrite", "insert"]))
        position = draw(st.integers(0, max(size - 1, 0)))
        if kind == "flip":
            edits.append((kind, position, draw(st.integers(1, 255))))
        else:
            edits.append((kind, position, draw(st.binary(min_size=1, max_size=16))))
    return edits


def mutate(data: bytes, edits) -> bytes:
    data = bytearray(data)
    for kind, position, value in edits:
        position = min(position, max(len(data) - 1, 0))
        if kind == "truncate":
            del data[position:]
        elif kind == "flip" and data:
            data[position] ^= value
        elif kind == "overwrite":
            data[position:position + len(value)] = value
        elif kind == "insert":
            data[position:position] = value
    return bytes(data)


def fuzz(kind, valid_files, tmp_path, edits):
    data = mutate(valid_files[kind], edits)
    path = tmp_path / f"fuzz.{kind}"
    path.write_bytes(data)
    load_bounded(kind, path)


FAST = settings(max_examples=35, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
SLOW = settings(max_examples=1500, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("kind", sorted(LOADERS))
@FAST
@given(edits=mutations(4096))
def test_mutated_files_fail_cleanly(kind, valid_files, tmp_path, edits):
    fuzz(kind, valid_files, tmp_path, edits)


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(LOADERS))
@SLOW
@given(edits=mutations(4096))
def test_mutated_files_fail_cleanly_many(kind, valid_files, tmp_path, edits):
    fuzz(kind, valid_files, tmp_path, edits)


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_every_truncation_point_of_the_headers(kind, valid_files, tmp_path):
    data = valid_files[kind]
    for end in list(range(0, 200, 7)) + [len(data) - 1]:
        (tmp_path / f"t.{kind}").write_bytes(data[:end])
        assert load_bounded(kind, tmp_path / f"t.{kind}") is not None


# -- hand-made hostile ONNX files -----------------------------------------------------------
def onnx_file(path, nodes, initializers=(), inputs=("x",), opset=17, rank=4):
    value_infos = [fmt.encode_value_info(name, 1, ["N"] + [4] * (rank - 1)) for name in inputs]
    outputs = [fmt.encode_value_info("y", 1, ["N"])]
    path.write_bytes(fmt.encode_model("g", nodes, list(initializers), value_infos, outputs,
                                      opset, 8, ("test", "0")))
    return path


def relu(source, target, name="r"):
    return fmt.encode_node("Relu", [source], [target], name, {})


def raw_tensor(name, dims, data_type, raw):
    return b"".join([*(pb.int_field(1, d) for d in dims), pb.int_field(2, data_type),
                     pb.bytes_field(8, name), pb.bytes_field(9, raw)])


@pytest.mark.parametrize("dims,raw,match", [
    ([2**20, 2**20], bytes(8), r"declares 1099511627776 elements .* more than the limit"),
    ([1000, 1000], bytes(8), r"declares dims \[1000, 1000\] of float32 \(4000000 bytes\) but "
                             r"holds 8 bytes"),
    ([-1, 2], bytes(8), r"invalid dims \[-1, 2\]"),
    ([1] * 40, bytes(4), r"invalid dims"),
])
def test_onnx_declared_sizes_beyond_the_file(dims, raw, match, tmp_path):
    path = onnx_file(tmp_path / "big.onnx", [relu("x", "y")], [raw_tensor("w", dims, 1, raw)])
    with pytest.raises(interop.ModelFileError, match=match):
        interop.from_onnx(path)
    assert load_bounded("onnx", path) is not None


@pytest.mark.parametrize("data_type,match", [
    (8, r"tensor 'w' has ONNX data type 8, which convlens does not read"),
    (16, r"tensor 'w' has ONNX data type 16"), (99, r"ONNX data type 99")])
def test_onnx_wrong_dtypes(data_type, match, tmp_path):
    path = onnx_file(tmp_path / "dtype.onnx", [relu("x", "y")],
                     [raw_tensor("w", [2], data_type, bytes(4))])
    with pytest.raises(interop.UnsupportedError, match=match):
        interop.from_onnx(path)


def test_onnx_cycles_and_undefined_values(tmp_path):
    cycle = [relu("b", "a", "first"), relu("a", "b", "second"), relu("x", "y")]
    with pytest.raises(interop.ModelFileError, match=r"cycle through node 'first' \(Relu\)"):
        interop.from_onnx(onnx_file(tmp_path / "cycle.onnx", cycle))
    dangling = [relu("ghost", "y", "reader")]
    with pytest.raises(interop.ModelFileError, match=r"node 'reader' \(Relu\) reads 'ghost', "
                                                     r"which no node, input or initializer"):
        interop.from_onnx(onnx_file(tmp_path / "dangling.onnx", dangling))
    twice = [relu("x", "y", "one"), relu("x", "y", "two")]
    with pytest.raises(interop.ModelFileError, match=r"value 'y' is defined twice \(again by "
                                                     r"node 'two'\)"):
        interop.from_onnx(onnx_file(tmp_path / "twice.onnx", twice))


def test_onnx_deeply_nested_subgraphs_are_refused_without_recursion(tmp_path):
    graph = b""
    for depth in range(3000):  # If -> then_branch -> If -> ... , 3000 levels of messages
        attribute = b"".join([pb.bytes_field(1, "then_branch"), pb.int_field(20, 5),
                              pb.bytes_field(6, graph)])
        node = b"".join([pb.bytes_field(1, "c"), pb.bytes_field(2, "y"),
                         pb.bytes_field(3, f"if{depth}"), pb.bytes_field(4, "If"),
                         pb.message_field(5, [attribute])])
        graph = pb.message_field(1, [node])
    nested = onnx_file(tmp_path / "nested.onnx", [node])
    with pytest.raises(interop.UnsupportedError, match=r"ONNX operator 'If' \(node 'if2999'\) "
                                                       r"is not supported"):
        interop.from_onnx(nested)
    assert load_bounded("onnx", nested) is not None


def test_onnx_graph_size_limits(tmp_path):
    chain = [relu("x" if i == 0 else f"v{i}", f"v{i + 1}" if i < 2999 else "y", f"r{i}")
             for i in range(3000)]
    path = onnx_file(tmp_path / "long.onnx", chain)
    with pytest.raises(interop.ModelFileError, match=r"the graph has 3000 nodes, more than "
                                                     r"max_nodes=1000"):
        interop.from_onnx(path, max_nodes=1000)
    model = interop.from_onnx(path)  # a long chain loads and runs without deep recursion
    assert isinstance(model, nn.Sequential) and len(model) == 3000
    x = np.linspace(-1, 1, 4 * 64, dtype=np.float32).reshape(4, 4, 4, 4)
    np.testing.assert_array_equal(model(cl.tensor(x)).numpy(), np.maximum(x, 0))
    with pytest.raises(interop.ModelFileError, match=r"more than max_bytes=100"):
        interop.from_onnx(path, max_bytes=100)


def test_onnx_unknown_ops_domains_and_bad_attributes(tmp_path):
    unknown = [fmt.encode_node("FancyConv", ["x"], ["y"], "fancy", {})]
    with pytest.raises(interop.UnsupportedError, match=r"ONNX operator 'FancyConv' \(node "
                                                       r"'fancy'\) is not supported"):
        interop.from_onnx(onnx_file(tmp_path / "unknown.onnx", unknown))
    domain = [fmt.encode_node("Relu", ["x"], ["y"], "r", {}) + pb.bytes_field(7, "com.evil")]
    with pytest.raises(interop.UnsupportedError, match=r"from domain 'com.evil'"):
        interop.from_onnx(onnx_file(tmp_path / "domain.onnx", domain))
    pool = [fmt.encode_node("MaxPool", ["x"], ["y"], "pool", {})]
    with pytest.raises(interop.ModelFileError, match=r"ONNX MaxPool node 'pool' lacks the "
                                                     r"required attribute 'kernel_shape'"):
        interop.from_onnx(onnx_file(tmp_path / "attr.onnx", pool))
    conv = [fmt.encode_node("Conv", ["x", "w"], ["y"], "conv", {"group": 3})]
    weight = fmt.encode_tensor("w", np.zeros((4, 4, 3, 3), np.float32))
    with pytest.raises(interop.UnsupportedError, match=r"group \(=3\) must divide the 4 filters"):
        interop.from_onnx(onnx_file(tmp_path / "group.onnx", conv, [weight]))
    # A weight the graph computes is read when the model runs: x conv x is sum(x * x).
    data_in_graph = [fmt.encode_node("Conv", ["x", "x"], ["y"], "conv", {})]
    model = interop.from_onnx(onnx_file(tmp_path / "dyn.onnx", data_in_graph))
    x = np.random.default_rng(0).standard_normal((1, 4, 4, 4))
    assert model(cl.tensor(x)).numpy().reshape(-1) == pytest.approx([np.sum(x * x)])


def test_protobuf_framing_errors():
    with pytest.raises(interop.ModelFileError, match="a varint longer than 10 bytes"):
        pb.decode(memoryview(b"\x08" + b"\xff" * 11), fmt.MODEL, "ModelProto")
    with pytest.raises(interop.ModelFileError, match=r"field 7 declares 1000 bytes but only 1 "
                                                     r"remain"):
        pb.decode(memoryview(b"\x3a\xe8\x07x"), fmt.MODEL, "ModelProto")
    with pytest.raises(interop.ModelFileError, match="unsupported wire type 3"):
        pb.decode(memoryview(b"\x0b"), fmt.MODEL, "ModelProto")
    with pytest.raises(interop.ModelFileError, match="not an ONNX model: the ModelProto has no "
                                                     "graph"):
        fmt.decode_model(b"\x08\x07")


# -- hand-made hostile convlens files (cl.load, another developer's loader) ------------------
def test_convlens_file_declaring_a_huge_interop_constant(tmp_path):
    graph = interop.Graph({"c": interop.layers.Constant([2])}, [("c", [], "y")], ["x"], ["y"])
    cl.save(graph, tmp_path / "c.convlens")
    import json
    import zipfile

    with zipfile.ZipFile(tmp_path / "c.convlens") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    name = next(n for n in members if n.endswith(".json"))
    text = members[name].decode().replace('"shape":[2]', '"shape":[1000000,1000000]')
    assert '1000000' in text
    members[name] = text.encode()
    assert json.loads(text)
    with zipfile.ZipFile(tmp_path / "huge.convlens", "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    with pytest.raises(io.ModelFileError, match=r"exceeds 268435456 elements|more than the "
                                                r"\d+ bytes of weights in the file can hold"):
        cl.load(tmp_path / "huge.convlens")
    assert load_bounded("convlens", tmp_path / "huge.convlens") is not None
