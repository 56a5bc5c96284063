"""Budgets that hold: readers bound what they decompress and allocate, not what a header says.

Each attack is measured under tracemalloc (NumPy's buffers included) and its peak bounded.
The attacks: a JSON member compressed with bzip2 or lzma (whose decoders cannot be told to
stop), a deflate stream longer than it declares, a JSON document of millions of tiny
containers, and central-directory entries that alias one member's bytes so the weights seem
many times larger than the file.
"""

import json
import zipfile

import numpy as np
import pytest
from hostile_zip import Member, build_zip, compressed, peak_of

import convlens as cl
from convlens import io
from convlens.io import archive as archive_module

ModelFileError = io.ModelFileError
MiB = 2**20


def architecture(node, fmt="convlens.model"):
    return json.dumps({"format": fmt, "version": 1, "training": False,
                       "architecture": node}).encode()


def linear(n_in, n_out):
    return {"type": "Linear", "config": {"in_features": n_in, "out_features": n_out}}


def npy_member(name, array):
    import io as bytes_io
    buffer = bytes_io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return Member(name, buffer.getvalue())


def json_bomb(size):
    """A valid architecture document padded with ``size`` bytes of whitespace."""
    return architecture(linear(3, 2))[:-1] + b" " * size + b"}"


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
@pytest.mark.parametrize("declared", ["honest", "small"])
def test_bzip2_and_lzma_json_members_are_refused_before_decompressing(tmp_path, method,
                                                                      declared):
    bomb = json_bomb(16 * MiB)  # the report's bomb was 8 GiB; any size is refused unread
    member = compressed("architecture.json", bomb, method,
                        declared_size=None if declared == "honest" else 200)
    path = tmp_path / "bomb.convlens"
    path.write_bytes(build_zip([member, npy_member("0.weight.npy", np.zeros((2, 3), "f4")),
                                npy_member("0.bias.npy", np.zeros(2, "f4"))]))
    assert path.stat().st_size < 64 * 1024
    error, peak = peak_of(lambda: cl.load(path))
    assert isinstance(error, ModelFileError), error
    assert "only stored or deflated JSON is read" in str(error)
    assert peak < 1 * MiB


def test_checkpoint_json_member_in_bzip2_is_refused(tmp_path):
    document = json.dumps({"format": "convlens.checkpoint", "version": 1,
                           "meta": " " * (16 * MiB)}).encode()
    path = tmp_path / "bomb.ckpt"
    path.write_bytes(build_zip([compressed("checkpoint.json", document, zipfile.ZIP_BZIP2,
                                           declared_size=100)]))
    error, peak = peak_of(lambda: io.load_checkpoint(path))
    assert isinstance(error, ModelFileError), error
    assert "only stored or deflated JSON is read" in str(error)
    assert peak < 1 * MiB


def test_a_deflate_stream_longer_than_it_declares_is_cut_at_the_declared_size(tmp_path):
    bomb = json_bomb(32 * MiB)  # inflates to 32 MiB, declares 1 KiB
    path = tmp_path / "deflate.convlens"
    path.write_bytes(build_zip([compressed("architecture.json", bomb, zipfile.ZIP_DEFLATED,
                                           declared_size=1024)]))
    error, peak = peak_of(lambda: cl.load(path))
    assert isinstance(error, ModelFileError), error
    assert peak < 1 * MiB


def test_a_deflated_json_over_the_limit_is_refused_by_what_it_inflates_to(tmp_path):
    bomb = json_bomb(archive_module.MAX_JSON_BYTES + 1)
    path = tmp_path / "deflate.convlens"
    path.write_bytes(build_zip([compressed("architecture.json", bomb, zipfile.ZIP_DEFLATED,
                                           declared_size=archive_module.MAX_JSON_BYTES)]))
    error, peak = peak_of(lambda: cl.load(path))
    assert isinstance(error, ModelFileError), error
    assert peak < 2.5 * archive_module.MAX_JSON_BYTES


def test_millions_of_tiny_json_containers_are_refused_before_parsing(tmp_path):
    document = b'{"format": "convlens.model", "x": [' + b"[]," * 2_500_000 + b"[]]}"
    path = tmp_path / "containers.convlens"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("architecture.json", document)
    error, peak = peak_of(lambda: cl.load(path))
    assert isinstance(error, ModelFileError), error
    assert "more than 200000 objects and arrays" in str(error)
    assert peak < 2.5 * len(document)  # the text itself; never the 2.5 million lists


def aliased_model(tmp_path, copies, n_in=256, n_out=256):
    """``copies`` Linear layers whose weights are central entries aliasing one member."""
    node = {"type": "Sequential", "config": {"modules": {
        str(i): {"__module__": linear(n_in, n_out)} for i in range(copies)}}}
    weight = npy_member("0.weight.npy", np.zeros((n_out, n_in), "f4"))
    bias = npy_member("0.bias.npy", np.zeros(n_out, "f4"))
    aliases = [(f"{i}.{kind}.npy", f"0.{kind}.npy") for i in range(1, copies)
               for kind in ("weight", "bias")]
    path = tmp_path / "aliased.convlens"
    path.write_bytes(build_zip([Member("architecture.json", architecture(node)), weight,
                                bias], aliases))
    return path


def test_zip_entries_aliasing_one_member_are_refused(tmp_path):
    path = aliased_model(tmp_path, copies=64)  # 64 x 256 KiB of weights from a 260 KiB file
    error, peak = peak_of(lambda: cl.load(path))
    assert isinstance(error, ModelFileError), error
    assert "overlap (no two entries may share bytes)" in str(error)
    assert peak < 2 * MiB


def test_an_entry_pointing_into_another_members_data_is_refused(tmp_path):
    good = tmp_path / "good.convlens"
    cl.save(cl.nn.Linear(3, 4), good)
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as archive:
        weight = archive.getinfo("weight.npy")
    # Point the bias entry's central-directory record 40 bytes into the weight member.
    record = data.index(b"PK\x01\x02")
    while data[record + 46:record + 54] != b"bias.npy":
        record = data.index(b"PK\x01\x02", record + 4)
    data[record + 42:record + 46] = (weight.header_offset + 40).to_bytes(4, "little")
    path = tmp_path / "overlap.convlens"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"members 'weight.npy' and 'bias.npy' overlap"):
        cl.load(path)


def test_members_whose_extents_overlap_are_refused(tmp_path):
    weight = npy_member("weight.npy", np.zeros((4, 3), "f4"))
    bias = npy_member("bias.npy", np.zeros(4, "f4"))
    data = bytearray(build_zip([Member("architecture.json", architecture(linear(3, 4))),
                                weight, bias]))
    # Make the weight member claim 8 more stored bytes than it has: it now overlaps the bias.
    central = data.index(b"PK\x01\x02")
    while data[central + 46:central + 56] != b"weight.npy":
        central = data.index(b"PK\x01\x02", central + 4)
    for offset in (20, 24):  # compressed and uncompressed sizes
        size = int.from_bytes(data[central + offset:central + offset + 4], "little")
        data[central + offset:central + offset + 4] = (size + 8).to_bytes(4, "little")
    path = tmp_path / "overlap.convlens"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"members 'weight.npy' and 'bias.npy' overlap"):
        cl.load(path)


def test_a_torch_file_gets_the_conversion_hint(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(3, 2).state_dict(), path)
    with pytest.raises(ModelFileError, match=r"PyTorch torch.save file.*never unpickles.*"
                                             r"weights_only=True"):
        cl.load(path)


def test_a_json_key_given_twice_is_refused(tmp_path):
    path = tmp_path / "twice.convlens"
    text = b'{"format": "convlens.model", "version": 1, "training": false, "training": true, ' \
           b'"architecture": {"type": "Identity", "config": {}}}'
    path.write_bytes(build_zip([Member("architecture.json", text)]))
    with pytest.raises(ModelFileError, match="the key 'training' appears twice in one object"):
        cl.load(path)


def test_a_run_folders_broken_config_is_a_model_file_error(tmp_path):
    from convlens.io import runs

    cl.save(cl.nn.Identity(), tmp_path / "model.convlens")
    (tmp_path / "config.json").write_text('{"dataset": "mnist"')
    with pytest.raises(ModelFileError, match=r"config.json' is not valid JSON \(Expecting"):
        runs.resolve(tmp_path)
    (tmp_path / "config.json").write_text("[1, 2]")
    with pytest.raises(ModelFileError, match=r"must hold a JSON object; got list"):
        runs.resolve(tmp_path)


# -- fuzzing the container: compression methods, declared sizes and aliasing -------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_METHODS = [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]


def _valid_members(kind):
    """The members of a valid model file or object file, by name."""
    import pathlib
    import tempfile

    path = pathlib.Path(tempfile.mkdtemp()) / "valid.pt"
    if kind == "model":
        cl.save(cl.nn.Sequential(cl.nn.Linear(8, 4), cl.nn.ReLU(), cl.nn.Linear(4, 2)), path)
    else:
        model = cl.nn.Linear(8, 4)
        cl.save({"epoch": 1, "model": model.state_dict(),
                 "optimizer": cl.optim.SGD(model.parameters(), lr=0.1).state_dict()}, path)
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


_MEMBERS = {}


@settings(max_examples=60)
@given(kind=st.sampled_from(["model", "object"]), method=st.sampled_from(_METHODS),
       padding=st.sampled_from([0, 1000, 2**22]),
       declared=st.sampled_from(["honest", "small", "large"]),
       aliases=st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), max_size=4))
def test_fuzz_compression_and_aliasing(tmp_path_factory, kind, method, padding, declared,
                                       aliases):
    if kind not in _MEMBERS:
        _MEMBERS[kind] = _valid_members(kind)
    members = dict(_MEMBERS[kind])
    json_name = next(name for name in members if name.endswith(".json"))
    text = members.pop(json_name)
    text = text[:-1] + b" " * padding + text[-1:]
    size = {"honest": None, "small": 64, "large": len(text) * 4}[declared]
    built = [compressed(json_name, text, method, declared_size=size)]
    built += [Member(name, data) for name, data in members.items()]
    names = [member.name for member in built]
    alias_entries = [(f"alias{i}.npy" if i % 2 else names[i % len(names)] + "x.npy",
                      names[j % len(names)]) for i, j in aliases]
    path = tmp_path_factory.mktemp("zips") / "f.pt"
    path.write_bytes(build_zip(built, alias_entries))
    error, peak = peak_of(lambda: cl.load(path))
    assert error is None or isinstance(error, ModelFileError), repr(error)
    assert peak < 2 * MiB + 3 * padding
