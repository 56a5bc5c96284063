"""Budgets that hold in the interop readers: what they allocate is bounded by the file.

Each attack is a small hand-made file; its peak allocation (tracemalloc, NumPy's buffers
included) is measured and bounded. The attacks: a Conv whose kernel_shape claims far more
than its weight, Concat folding that doubles a constant again and again, a protobuf of many
empty messages (hundreds of times its size as Python objects), tens of thousands of nodes
sharing one name, and a convlens file of interop Constant layers that hold no weights.
"""

import json
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import convlens as cl
from convlens import interop, io
from convlens.interop import _onnx_format as fmt
from convlens.interop import _protobuf as pb

MiB = 2**20


def onnx_file(path, nodes, initializers=(), inputs=("x",), rank=4):
    value_infos = [fmt.encode_value_info(name, 1, ["N"] + [4] * (rank - 1)) for name in inputs]
    outputs = [fmt.encode_value_info("y", 1, ["N"])]
    path.write_bytes(fmt.encode_model("g", nodes, list(initializers), value_infos, outputs,
                                      17, 8, ("test", "0")))
    return path


def peak_of(call, allowed=interop.InteropError):
    """Run ``call()``, which must raise ``allowed``; return (error, peak bytes)."""
    tracemalloc.start()
    try:
        with pytest.raises(allowed) as caught:
            call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return caught.value, peak


def test_conv_kernel_shape_must_match_the_weight(tmp_path):
    weight = fmt.encode_tensor("w", np.ones((1, 1, 1, 1), np.float32))
    conv = fmt.encode_node("Conv", ["x", "w"], ["y"], "conv", {"kernel_shape": [30000, 30000]})
    path = onnx_file(tmp_path / "kernel.onnx", [conv], [weight])
    error, peak = peak_of(lambda: interop.from_onnx(path))
    assert "kernel_shape [30000, 30000] does not match the weight's shape [1, 1, 1, 1]" \
        in str(error)
    assert peak < 1 * MiB  # it allocated 3.4 GiB for the filters before


def test_conv_bias_must_have_one_value_per_filter(tmp_path):
    weight = fmt.encode_tensor("w", np.ones((2, 1, 1, 1), np.float32))
    bias = fmt.encode_tensor("b", np.ones(5, np.float32))
    conv = fmt.encode_node("Conv", ["x", "w", "b"], ["y"], "conv", {})
    path = onnx_file(tmp_path / "bias.onnx", [conv], [weight, bias])
    with pytest.raises(interop.UnsupportedError, match="the bias has 5 values for 2 filters"):
        interop.from_onnx(path)


def doubling_concats(path, doublings, seed_bytes=1024):
    seed = fmt.encode_tensor("c0", np.zeros(seed_bytes // 4, np.float32))
    nodes = [fmt.encode_node("Concat", [f"c{i}", f"c{i}"], [f"c{i + 1}"], f"cat{i}",
                             {"axis": 0}) for i in range(doublings)]
    nodes.append(fmt.encode_node("Add", ["x", f"c{doublings}"], ["y"], "add", {}))
    return onnx_file(path, nodes, [seed])


def test_concat_folding_is_bounded_by_the_file_size(tmp_path):
    path = doubling_concats(tmp_path / "concat.onnx", 22)  # 1 KiB doubled 22 times: 4 GiB
    assert path.stat().st_size < 4096
    error, peak = peak_of(lambda: interop.from_onnx(path), interop.ModelFileError)
    assert "constants made while importing would exceed" in str(error)
    assert peak < 4 * MiB


def test_concat_folding_within_the_budget_still_folds(tmp_path):
    path = doubling_concats(tmp_path / "small.onnx", 6)  # 1 KiB -> 64 KiB, under the slack
    model = interop.from_onnx(path)
    x = np.ones((1, 4, 4, 4), np.float32)
    y = model(cl.tensor(x.reshape(-1)[:1].reshape(1))).numpy()
    assert y.shape == (256 * 64,)


def test_protobuf_decoding_is_charged_against_a_per_file_budget(tmp_path):
    # Two nodes with 80,000 empty attributes each: 2 bytes each in the file, hundreds of
    # bytes each as decoded Python objects.
    node = b"".join([pb.bytes_field(1, "x"), pb.bytes_field(2, "y"), pb.bytes_field(3, "r"),
                     pb.bytes_field(4, "Relu")])
    path = tmp_path / "empty.onnx"
    nodes = [node + b"\x2a\x00" * 80_000, node + b"\x2a\x00" * 80_000]
    onnx_file(path, nodes)
    assert path.stat().st_size < 1 * MiB
    error, peak = peak_of(lambda: interop.from_onnx(path), interop.ModelFileError)
    assert "of objects (32 per byte of the file plus 16777216)" in str(error)
    assert peak < pb.DECODE_BASE + pb.DECODE_FACTOR * path.stat().st_size + 8 * MiB


def test_tens_of_thousands_of_same_named_nodes_import_in_linear_time(tmp_path):
    count = 20_000
    chain = [fmt.encode_node("Relu", ["x" if i == 0 else f"v{i}"],
                             [f"v{i + 1}" if i < count - 1 else "y"], "same", {})
             for i in range(count)]
    path = onnx_file(tmp_path / "names.onnx", chain)
    start = time.perf_counter()
    model = interop.from_onnx(path)
    elapsed = time.perf_counter() - start
    assert len(model) == count
    names = [name for name, _ in model.named_children()]
    assert len(set(names)) == count
    assert elapsed < 20  # 40,000 nodes took 177 s while naming was quadratic


def test_a_convlens_file_of_interop_constants_is_held_to_its_weights(tmp_path):
    graph = interop.Graph({"c": interop.layers.Constant([2])}, [("c", [], "y")], ["x"], ["y"])
    cl.save(graph, tmp_path / "c.convlens")
    with zipfile.ZipFile(tmp_path / "c.convlens") as archive:
        document = json.loads(archive.read("architecture.json"))
    config = document["architecture"]["config"]
    constant = config["layers"]["c"]
    config["layers"] = {f"c{i}": constant for i in range(20)}
    config["steps"] = [[f"c{i}", [], f"y{i}"] for i in range(20)]
    config["outputs"] = [f"y{i}" for i in range(20)]
    constant["__module__"]["config"]["shape"] = [2**26]  # 256 MiB each, 5 GiB in all
    path = tmp_path / "constants.convlens"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("architecture.json", json.dumps(document))
    error, peak = peak_of(lambda: cl.load(path), io.ModelFileError)
    assert "parameter elements, more than the 0 bytes of weights in the file can hold" \
        in str(error)
    assert peak < 1 * MiB


def safetensors_file(path, header: bytes, data=b""):
    path.write_bytes(len(header).to_bytes(8, "little") + header + data)
    return path


@pytest.mark.parametrize("header,match", [
    (b'{"t": {"dtype": [1], "shape": [1], "data_offsets": [0, 4]}}', r"has dtype \[1\]"),
    (b'{"t": {"dtype": "F32", "shape": [1' + b"0" * 5000 + b'], "data_offsets": [0, 4]}}',
     r"not valid JSON: Exceeds the limit \(4300 digits\)"),
    (b'{"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "t": 1}',
     r"not valid JSON: the key 't' appears twice in one object"),
    (b'{"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "dtype": "F64"}}',
     r"the key 'dtype' appears twice"),
])
def test_safetensors_edge_cases_are_model_file_errors(tmp_path, header, match):
    path = safetensors_file(tmp_path / "w.safetensors", header, bytes(4))
    with pytest.raises(interop.ModelFileError, match=match):
        interop.load_state_dict_file(path)


# -- fuzzing graphs that try to expand at import time ------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def expanding_graphs(draw):
    """Chains of Concat/Identity/Reshape over a small constant, Constant nodes with lists,
    and a Conv whose kernel_shape may lie, all with names drawn from a tiny set."""
    names = st.sampled_from(["n", "n_2", "n_3", ""])
    nodes, current = [], "c0"
    for i in range(draw(st.integers(0, 40))):
        op = draw(st.sampled_from(["Concat", "Identity", "Reshape", "Constant"]))
        out = f"c{i + 1}"
        if op == "Concat":
            nodes.append(fmt.encode_node("Concat", [current] * draw(st.integers(1, 4)), [out],
                                         draw(names), {"axis": 0}))
        elif op == "Reshape":
            nodes.append(fmt.encode_node("Reshape", [current, "shape"], [out], draw(names), {}))
        elif op == "Constant":
            nodes.append(fmt.encode_node("Constant", [], [out], draw(names),
                                         {"value_ints": [1] * draw(st.integers(0, 64))}))
        else:
            nodes.append(fmt.encode_node("Identity", [current], [out], draw(names), {}))
        current = out
    kernel = draw(st.lists(st.integers(1, 2**15), min_size=2, max_size=2))
    nodes.append(fmt.encode_node("Conv", ["x", "w"], ["conv"], draw(names),
                                 {"kernel_shape": kernel}))
    nodes.append(fmt.encode_node("Add", ["conv", current], ["y"], draw(names), {}))
    initializers = [fmt.encode_tensor("c0", np.zeros(draw(st.integers(1, 512)), np.float32)),
                    fmt.encode_tensor("shape", np.array([-1], np.int64)),
                    fmt.encode_tensor("w", np.ones((1, 4, 1, 1), np.float32))]
    return nodes, initializers


@settings(max_examples=40)
@given(graph=expanding_graphs())
def test_fuzz_graphs_cannot_expand_beyond_the_budget(tmp_path_factory, graph):
    nodes, initializers = graph
    path = onnx_file(tmp_path_factory.mktemp("g") / "g.onnx", nodes, initializers)
    tracemalloc.start()
    try:
        try:
            interop.from_onnx(path)
        except interop.InteropError:
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * MiB


def test_batch_norm_statistics_must_agree_in_shape(tmp_path):
    tensors = [fmt.encode_tensor(name, np.ones(size, np.float32))
               for name, size in (("s", 4), ("b", 4), ("m", 4), ("v", 1000))]
    node = fmt.encode_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], "bn", {})
    path = onnx_file(tmp_path / "bn.onnx", [node], tensors)
    with pytest.raises(interop.UnsupportedError, match=r"scale, B, mean and var must be 1-D and "
                                                       r"the same length; got shapes \[\[4\], "
                                                       r"\[4\], \[4\], \[1000\]\]"):
        interop.from_onnx(path)
