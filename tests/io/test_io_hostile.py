"""Truncated, corrupt, mismatched and hostile files give ModelFileError: no crash, hang or
huge allocation, and never a pickle load."""

import io as _bytes_io
import json
import pickle
import tracemalloc
import zipfile

import numpy as np
import pytest

import convlens as cl
from convlens import io, nn

ModelFileError = io.ModelFileError


def lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.BatchNorm2d(6), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(6 * 14 * 14, 10))


@pytest.fixture
def saved(tmp_path):
    cl.manual_seed(0)
    model = lenet()
    path = tmp_path / "good.convlens"
    cl.save(model, path)
    return model, path


def npy(array, allow_pickle=False):
    buffer = _bytes_io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def npy_header_only(shape, descr="<f8"):
    buffer = _bytes_io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False,
                                                  "shape": shape})
    return buffer.getvalue()


def write_zip(path, members, compress=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compress) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def members_of(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def architecture(node, training=False):
    return json.dumps({"format": "convlens.model", "version": 1, "training": training,
                       "architecture": node})


def linear_node(in_features=3, out_features=2):
    return {"type": "Linear", "config": {"in_features": in_features,
                                         "out_features": out_features}}


def assert_rejected(path, match, peak_bytes=64 * 2**20):
    """cl.load raises ModelFileError matching ``match`` and never allocates much."""
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match=match):
            cl.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < peak_bytes


class Payload:
    """Unpickling this would create ``marker`` on disk."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_a_pickle_is_refused_and_never_run(tmp_path, protocol):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.convlens"
    path.write_bytes(pickle.dumps({"model": Payload(marker)}, protocol=protocol))
    assert_rejected(path, "convlens never unpickles")
    with pytest.raises(ModelFileError, match="convlens never unpickles"):
        io.load_checkpoint(path)
    assert not marker.exists()


def test_a_pickle_inside_the_zip_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.convlens"
    evil = np.array([Payload(marker)], dtype=object)
    write_zip(path, {"architecture.json": architecture(linear_node()),
                     "weight.npy": npy(evil, allow_pickle=True),
                     "bias.npy": npy(np.zeros(2, np.float32))})
    assert_rejected(path, r"array 'weight' has dtype object; only bool, int and float")
    assert not marker.exists()


def test_a_torch_file_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(3, 2).state_dict(), path)
    assert_rejected(path, "it has no architecture.json")


def test_truncated_files_are_refused(saved):
    _, path = saved
    data = path.read_bytes()
    for cut in [0, 1, 3, 30, 100, len(data) // 3, len(data) // 2, len(data) - 22, len(data) - 1]:
        path.write_bytes(data[:cut])
        with pytest.raises(ModelFileError, match="not a valid convlens model file"):
            cl.load(path)


def test_flipped_bytes_are_refused_or_harmless(tmp_path):
    """Flip each byte of a small model file in turn: the flip is caught (zip CRC, headers,
    sizes), or it sat in a field that does not matter and the model loads exactly as saved.
    Never another exception, never a silently different model."""
    cl.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 1, 2), nn.BatchNorm2d(1, affine=False))
    path = tmp_path / "m.convlens"
    cl.save(model, path)
    data = path.read_bytes()
    masks = (0x01, 0x80, 0x5A)
    rejected = 0
    for position in range(len(data)):
        corrupt = bytearray(data)
        corrupt[position] ^= masks[position % 3] if position % 4 else 0x01
        path.write_bytes(bytes(corrupt))
        try:
            loaded = cl.load(path)
        except ModelFileError:
            rejected += 1
            continue
        assert repr(loaded) == repr(model), position
        for key, value in model.state_dict().items():
            assert loaded.state_dict()[key].dtype == value.dtype
            np.testing.assert_array_equal(loaded.state_dict()[key].numpy(), value.numpy())
    assert rejected > len(data) // 2


def test_encrypted_members_are_refused(saved):
    _, path = saved
    data = bytearray(path.read_bytes())
    central = data.rfind(b"PK\x01\x02")  # the last member's central directory entry
    data[central + 8] |= 0x01  # general purpose flag bit 0: encrypted
    path.write_bytes(bytes(data))
    assert_rejected(path, "it has encrypted members")


def test_shapes_that_do_not_fit_the_architecture_are_refused(tmp_path):
    path = tmp_path / "m.convlens"
    write_zip(path, {"architecture.json": architecture(linear_node(3, 2)),
                     "weight.npy": npy(np.zeros((2, 4), np.float32)),
                     "bias.npy": npy(np.zeros(2, np.float32))})
    assert_rejected(path, r"array 'weight' has shape \(2, 4\) and dtype float32; the "
                          r"architecture needs \(2, 3\) float32")
    write_zip(path, {"architecture.json": architecture(linear_node(3, 2)),
                     "weight.npy": npy(np.zeros((2, 3), np.float32))})
    assert_rejected(path, r"its weights do not match the architecture: missing \['bias'\]")
    write_zip(path, {"architecture.json": architecture(linear_node(3, 2)),
                     "weight.npy": npy(np.zeros((2, 3), np.float32)),
                     "bias.npy": npy(np.zeros(2, np.float32)),
                     "extra.npy": npy(np.zeros(2, np.float32))})
    assert_rejected(path, r"unexpected \['extra'\]")
    write_zip(path, {"architecture.json": architecture(linear_node(3, 2)),
                     "weight.npy": npy(np.zeros((2, 3), np.int32)),
                     "bias.npy": npy(np.zeros(2, np.float32))})
    assert_rejected(path, "array 'weight' has shape .* and dtype int32")


def test_absurd_declared_sizes_are_refused_before_allocating(tmp_path):
    path = tmp_path / "m.convlens"
    # an .npy header that claims 8 TB of data
    write_zip(path, {"architecture.json": architecture(linear_node(3, 2)),
                     "weight.npy": npy_header_only((10**12,)) + b"\0" * 64,
                     "bias.npy": npy(np.zeros(2, np.float32))})
    assert_rejected(path, r"array 'weight' declares shape \(1000000000000,\) and dtype "
                          r"float64, which does not match its stored size")
    # an architecture whose layers would need 4 TB of parameters
    write_zip(path, {"architecture.json": architecture(linear_node(10**6, 10**6)),
                     "weight.npy": npy(np.zeros((2, 3), np.float32)),
                     "bias.npy": npy(np.zeros(2, np.float32))})
    assert_rejected(path, r"model: the architecture declares at least 1,000,001,000,000 "
                          r"parameter elements, more than the \d+ bytes of weights")
    write_zip(path, {"architecture.json": architecture(
        {"type": "Conv2d", "config": {"in_channels": 10**4, "out_channels": 10**4,
                                      "kernel_size": [999, 999]}})})
    assert_rejected(path, "the architecture declares at least")
    # a size with more digits than Python will parse
    write_zip(path, {"architecture.json": architecture(linear_node(3, 2)).replace(
        '"in_features": 3', '"in_features": ' + "9" * 5000)})
    assert_rejected(path, "architecture.json is unreadable")


def test_zip_bombs_are_refused_without_inflating(tmp_path):
    path = tmp_path / "m.convlens"
    bomb = " " * (64 * 2**20)  # 64 MiB of spaces deflate to ~64 KiB
    write_zip(path, {"architecture.json": architecture(linear_node()) + bomb},
              compress=zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 2**20
    assert_rejected(path, r"architecture.json declares \d+ bytes, more than the limit of "
                          r"8388608", peak_bytes=8 * 2**20)
    write_zip(path, {"architecture.json": architecture(linear_node()),
                     "weight.npy": npy(np.zeros((2, 3), np.float32)),
                     "bias.npy": npy(np.zeros(2 * 2**22, np.float32))},
              compress=zipfile.ZIP_DEFLATED)
    assert_rejected(path, r"member '\w+\.npy' is compressed or its declared size",
                    peak_bytes=8 * 2**20)


def test_lying_zip_sizes_are_refused(saved, tmp_path):
    _, path = saved
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("5.weight.npy")
    # rewrite the central directory's uncompressed size of one member to 2**31
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"5.weight.npy"))
    data[central + 24:central + 28] = (2**31).to_bytes(4, "little")
    assert info.file_size != 2**31
    path.write_bytes(bytes(data))
    assert_rejected(path, "member '5.weight.npy' is compressed or its declared size")


def test_unknown_layer_types_are_refused_and_nothing_is_imported(tmp_path):
    path = tmp_path / "m.convlens"
    for name in ["os.system", "builtins.eval", "subprocess.Popen", "Linearr", 42, None]:
        write_zip(path, {"architecture.json": architecture({"type": name, "config": {}})})
        assert_rejected(path, f"model: unknown layer type {name!r}")
    nested = {"type": "Sequential", "config": {"modules": {"0": {"__module__": {
        "type": "convlens.nn.module.Module", "config": {}}}}}}
    write_zip(path, {"architecture.json": architecture(nested)})
    assert_rejected(path, r"model.modules.0: unknown layer type 'convlens.nn.module.Module'")


def test_deep_nesting_is_refused(tmp_path):
    path = tmp_path / "m.convlens"
    write_zip(path, {"architecture.json": "[" * 200_000 + "]" * 200_000})
    assert_rejected(path, "architecture.json is nested (too deeply|deeper than 200 levels)")
    node = linear_node()
    for _ in range(60):  # valid structure, but 60 containers deep
        node = {"type": "Sequential", "config": {"modules": {"0": {"__module__": node}}}}
    write_zip(path, {"architecture.json": architecture(node)})
    assert_rejected(path, "nested deeper than")


def test_cyclic_references_are_refused(tmp_path):
    path = tmp_path / "m.convlens"
    node = {"type": "Sequential", "config": {"modules": {"0": {"__shared__": 0}}}}
    write_zip(path, {"architecture.json": architecture(node)})
    assert_rejected(path, r"model.modules.0: '__shared__' must refer to a module that is "
                          r"already complete; got \{'__shared__': 0\} \(a cycle")
    node = {"type": "Sequential", "config": {"modules": {"0": {"__shared__": 7}}}}
    write_zip(path, {"architecture.json": architecture(node)})
    assert_rejected(path, "a cycle or a bad index")


WRONG_TYPES = [
    ({"type": "Conv2d", "config": {"in_channels": "3", "out_channels": 2, "kernel_size": 3}},
     r"model: cannot rebuild Conv2d from its config \(in_channels must be an int; got str"),
    ({"type": "Conv2d", "config": {"in_channels": 3, "out_channels": 2, "kernel_size": 3,
                                   "dtype": "object"}},
     r"cannot rebuild Conv2d from its config \(dtype must be float32 or float64"),
    ({"type": "Linear", "config": {"in_features": 3, "out_features": 2, "evil": 1}},
     r"cannot rebuild Linear from its config \(.*unexpected keyword argument 'evil'"),
    ({"type": "Linear", "config": [3, 2]},
     "an architecture node must be an object with exactly 'type' and 'config'"),
    ({"type": "Linear"}, "an architecture node must be an object with exactly"),
    ("Linear", "an architecture node must be an object"),
    ({"type": "Sequential", "config": {"modules": [1, 2]}},
     "cannot rebuild Sequential from its config"),
    ({"type": "Sequential", "config": {"modules": {"0": 5}}},
     r"cannot rebuild Sequential from its config \(Sequential entry '0' must be an nn.Module"),
    ({"type": "Residual", "config": {"body": None}},
     r"cannot rebuild Residual from its config \(body must be an nn.Module; got NoneType\)"),
    ({"type": "Concat", "config": {"branches": "ab"}}, "cannot rebuild Concat"),
    ({"type": "Dropout", "config": {"p": 2}},
     r"cannot rebuild Dropout from its config \(p must be a finite number in \[0.0, 1.0\]"),
]


@pytest.mark.parametrize("node,match", WRONG_TYPES, ids=[str(i) for i in range(len(WRONG_TYPES))])
def test_wrong_json_types_are_refused(tmp_path, node, match):
    path = tmp_path / "m.convlens"
    write_zip(path, {"architecture.json": architecture(node)})
    assert_rejected(path, match)


def test_malformed_documents_are_refused(tmp_path, saved):
    path = tmp_path / "m.convlens"
    cases = [
        (b"\xff\xfe not utf-8", "architecture.json is unreadable"),
        (b"{not json", "architecture.json is unreadable"),
        (b"[]", r"architecture.json is not a convlens model description \(format None\)"),
        (json.dumps({"format": "convlens.model", "version": 99, "training": False,
                     "architecture": linear_node()}), "unsupported model file version 99"),
        (json.dumps({"format": "convlens.model", "version": 1, "training": "yes",
                     "architecture": linear_node()}), "needs a bool 'training'"),
    ]
    for document, match in cases:
        write_zip(path, {"architecture.json": document})
        assert_rejected(path, match)
    write_zip(path, {"weights.npy": npy(np.zeros(2))})
    assert_rejected(path, "it has no architecture.json")
    write_zip(path, {"architecture.json": architecture(linear_node()), "notes.txt": b"hi"})
    assert_rejected(path, "unexpected member 'notes.txt'")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("architecture.json", architecture(linear_node()))
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("architecture.json", architecture(linear_node()))
    assert_rejected(path, "it has duplicate member names")
    path.write_bytes(b"just some text, not a model")
    assert_rejected(path, "it does not start like a zip archive")
    with pytest.raises(FileNotFoundError):
        cl.load(tmp_path / "missing.convlens")


def test_model_files_and_checkpoints_are_not_confused(tmp_path, saved):
    _, model_path = saved
    with pytest.raises(ModelFileError, match=r"it has no checkpoint.json \(it is a model file: "
                                             r"read it with convlens.load\)"):
        io.load_checkpoint(model_path)
    ckpt = tmp_path / "c.ckpt"
    io.save_checkpoint(ckpt, {"w": np.zeros(2)}, {"step": 1})
    with pytest.raises(ModelFileError, match=r"it has no architecture.json or object.json \(it is "
                                             r"a checkpoint"):
        cl.load(ckpt)


def test_hostile_checkpoints_are_refused(tmp_path):
    path = tmp_path / "c.ckpt"
    document = json.dumps({"format": "convlens.checkpoint", "version": 1, "meta": {}})
    write_zip(path, {"checkpoint.json": document,
                     "w.npy": npy(np.array([{"a": 1}], dtype=object), allow_pickle=True)})
    with pytest.raises(ModelFileError, match="array 'w' has dtype object"):
        io.load_checkpoint(path)
    write_zip(path, {"checkpoint.json": document, "w.npy": npy_header_only((2**40,), "<f4")})
    with pytest.raises(ModelFileError, match=r"array 'w' declares shape \(1099511627776,\)"):
        io.load_checkpoint(path)
    write_zip(path, {"checkpoint.json": document,
                     "w.npy": npy(np.zeros(3, [("a", "<f4"), ("b", "<i4")]))})
    with pytest.raises(ModelFileError, match="array 'w' has dtype"):
        io.load_checkpoint(path)
    write_zip(path, {"checkpoint.json": json.dumps({"format": "convlens.checkpoint",
                                                    "version": 1})})
    with pytest.raises(ModelFileError, match="is not a convlens checkpoint description"):
        io.load_checkpoint(path)
    write_zip(path, {"checkpoint.json": document, "w.npy": npy(np.arange(4.0))[:-8]})
    with pytest.raises(ModelFileError, match="array 'w' declares shape"):
        io.load_checkpoint(path)


@pytest.mark.parametrize("node", [
    {"type": "Embedding", "config": {"num_embeddings": 10**6, "embedding_dim": 10**4}},
    {"type": "Bilinear", "config": {"in1_features": 10**4, "in2_features": 10**4,
                                    "out_features": 10**3}},
    {"type": "ConvTranspose2d", "config": {"in_channels": 10**4, "out_channels": 10**4,
                                           "kernel_size": [99, 99]}},
    {"type": "LayerNorm", "config": {"normalized_shape": [10**5, 10**5]}},
], ids=lambda node: node["type"])
def test_newer_layers_count_against_the_weight_budget(tmp_path, node):
    # each would allocate gigabytes from a few bytes of JSON before its weights were checked
    path = tmp_path / "m.convlens"
    write_zip(path, {"architecture.json": architecture(node)})
    tracemalloc.start()
    try:
        assert_rejected(path, "the architecture declares at least")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 << 20
