"""Hostile object files (state_dicts, checkpoint dicts): every problem is a ModelFileError,
each budget (depth, values, string length, arrays) holds, and the peak allocation is bounded."""

import io as bytes_io
import json
import re
import zipfile

import numpy as np
import pytest
from hostile_zip import peak_of
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import io
from convlens.io import objects

ModelFileError = io.ModelFileError
MiB = 2**20


def npy(array):
    buffer = bytes_io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def object_file(path, tree, arrays=(), version=1, raw=None):
    document = raw if raw is not None else json.dumps(
        {"format": "convlens.object", "version": version, "tree": tree})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("object.json", document)
        for key, array in dict(arrays).items():
            archive.writestr(zipfile.ZipInfo(f"{key}.npy"), npy(array))
    return path


def nested(levels, make):
    tree = 0
    for _ in range(levels):
        tree = make(tree)
    return tree


def rejected(path, match, peak_limit=4 * MiB):
    error, peak = peak_of(lambda: cl.load(path))
    assert isinstance(error, ModelFileError), repr(error)
    assert re.search(match, str(error)), str(error)
    assert peak < peak_limit, peak
    return error


@pytest.mark.parametrize("tree,arrays,match", [
    (nested(100, lambda t: [t]), (), r"containers are nested deeper than 64 levels"),
    (nested(100, lambda t: {"tuple": [t]}), (), r"nested deeper than"),
    (nested(80, lambda t: {"dict": [["k", t]]}), (), r"nested deeper than 200 levels"),
    ("x" * (2**20 + 1), (), r"a string of 1048577 characters \(at most 1048576\)"),
    ({"pickle": "cos\nsystem"}, (), r"unknown or malformed tagged object \{'pickle'"),
    ({"dict": [["a", 1]], "x": 2}, (), r"unknown or malformed tagged object"),
    ({"dict": {"a": 1}}, (), r"a dict must hold a list of \[key, value\] pairs"),
    ({"dict": [["a", 1, 2]]}, (), r"a dict must hold a list of \[key, value\] pairs"),
    ({"dict": [[[1], 1]]}, (), r"a dict key must be a plain value or a tuple of them; got \[1\]"),
    ({"dict": [["a", 1], ["a", 2]]}, (), r"a dict holds the same key twice"),
    ({"float": "1e999"}, (), r"unknown or malformed tagged object"),
    ({"tensor": "0"}, {"0": np.zeros(2)}, r"malformed tensor reference"),
    ({"tensor": 0, "requires_grad": False}, {"0": np.zeros(2)}, r"malformed tensor reference"),
    ({"tensor": "0", "requires_grad": 1}, {"0": np.zeros(2)}, r"malformed tensor reference"),
    ({"ndarray": "7"}, {"0": np.zeros(2)}, r"refers to array '7', which the file does not hold"),
    ([{"ndarray": "0"}], {"0": np.zeros(2), "1": np.zeros(3)},
     r"holds arrays the tree never refers to: \['1'\]"),
    ({"scalar": "0"}, {"0": np.zeros(2)}, r"a scalar must be a 0-d array; got shape \(2,\)"),
    ({"tensor": "0", "requires_grad": True}, {"0": np.zeros(2, np.int64)},
     r"requires_grad needs a float array; got int64"),
    ({"parameter": "0", "requires_grad": True}, {"0": np.zeros(2, "<c16")},
     r"array '0' has dtype complex128; only bool, int and float"),
])
def test_malformed_trees_are_refused(tmp_path, tree, arrays, match):
    rejected(object_file(tmp_path / "bad.pt", tree, arrays), match)


def test_a_wrong_version_or_format_is_refused(tmp_path):
    rejected(object_file(tmp_path / "v.pt", 1, version=2),
             r"unsupported object file version 2; this convlens reads version 1")
    rejected(object_file(tmp_path / "f.pt", None, raw='{"format": "x", "tree": 1}'),
             r"object.json is not a convlens object description")
    both = tmp_path / "both.pt"
    with zipfile.ZipFile(both, "w") as archive:
        archive.writestr("object.json", "{}")
        archive.writestr("architecture.json", "{}")
    rejected(both, r"it holds both architecture.json and object.json")


@pytest.mark.parametrize("leaf,bytes_per_value", [(0, 24), (0.5, 48), ("ab", 80)])
def test_the_value_budget_holds_and_bounds_memory(tmp_path, monkeypatch, leaf, bytes_per_value):
    # The budget is 10**6 values; measured at 10**5 so tracemalloc stays quick (the peak
    # scales linearly: 14, 41 and 68 MiB at 10**6 for ints, floats and short strings).
    monkeypatch.setattr(objects, "MAX_TREE_ITEMS", 100_000)
    rejected(object_file(tmp_path / "many.pt", [leaf] * 100_001),
             r"the tree holds more than 100000 values", peak_limit=100_000 * bytes_per_value)


def test_many_containers_are_refused_before_parsing(tmp_path):
    error = rejected(object_file(tmp_path / "lists.pt", [[]] * 300_000),
                     r"more than 200000 objects and arrays", peak_limit=8 * MiB)
    assert "object.json" in str(error)


def test_many_references_to_one_array_load_it_once(tmp_path):
    big = np.zeros(2**18, np.float32)  # 1 MiB
    path = object_file(tmp_path / "refs.pt", [{"ndarray": "0"}] * 20_000, {"0": big})
    error, peak = peak_of(lambda: cl.load(path))
    assert error is None
    assert peak < 12 * MiB  # one array and a list, never 20,000 copies (20 GiB)
    loaded = cl.load(path)
    assert all(item is loaded[0] for item in loaded)


@st.composite
def json_trees(draw):
    return draw(st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
        | st.text(max_size=4) | st.sampled_from(["0", "tensor", "dict", "inf"]),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(
            st.sampled_from(["dict", "odict", "tuple", "tensor", "parameter", "ndarray",
                             "scalar", "float", "requires_grad", "x"]), children, max_size=2),
        max_leaves=12))


@settings(max_examples=60)
@given(tree=json_trees())
def test_random_json_trees_load_or_raise_model_file_error(tmp_path_factory, tree):
    path = object_file(tmp_path_factory.mktemp("json") / "t.pt", tree,
                       {"0": np.arange(3.0)})
    error, peak = peak_of(lambda: cl.load(path))
    assert error is None or isinstance(error, ModelFileError), repr(error)
    assert peak < 2 * MiB


@pytest.fixture(scope="module")
def valid_object_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("valid") / "ckpt.pt"
    model = cl.nn.Linear(4, 3)
    optimizer = cl.optim.Adam(model.parameters())
    cl.save({"epoch": 1, "model_state_dict": model.state_dict(),
             "optimizer_state_dict": optimizer.state_dict(), "best": float("inf"),
             "betas": (0.9, 0.99), "names": ["a", "b"]}, path)
    return path.read_bytes()


@settings(max_examples=60)
@given(edits=st.lists(st.tuples(st.sampled_from(["truncate", "flip", "overwrite", "insert"]),
                                st.integers(0, 4000), st.binary(min_size=1, max_size=8)),
                      min_size=1, max_size=3))
def test_mutated_object_files_load_or_raise_model_file_error(tmp_path_factory,
                                                             valid_object_file, edits):
    data = bytearray(valid_object_file)
    for kind, position, value in edits:
        position = min(position, len(data) - 1)
        if kind == "truncate":
            del data[position:]
        elif kind == "flip" and data:
            data[position] ^= value[0] or 1
        elif kind == "overwrite":
            data[position:position + len(value)] = value
        else:
            data[position:position] = value
    path = tmp_path_factory.mktemp("fuzz") / "m.pt"
    path.write_bytes(bytes(data))
    error, peak = peak_of(lambda: cl.load(path))
    assert error is None or isinstance(error, ModelFileError), repr(error)
    assert peak < 2 * MiB


def test_a_tensor_reference_may_list_its_keys_in_any_order(tmp_path):
    path = object_file(tmp_path / "order.pt", {"requires_grad": True, "tensor": "0"},
                       {"0": np.arange(3.0)})
    loaded = cl.load(path)
    assert loaded.requires_grad and loaded.numpy().tolist() == [0.0, 1.0, 2.0]
