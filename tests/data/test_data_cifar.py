"""cifar10 from a tiny tarball / folder written the way the real ones were, and unsafe pickles."""

import builtins
import io
import os
import pickle
import pickletools
import re

import numpy as np
import pytest
from datafile_writers import (
    CIFAR_NAMES,
    RunsCode,
    cifar_files,
    py2_pickle,
    write_cifar_folder,
    write_cifar_tarball,
)

from convlens.data import load_dataset
from convlens.data.cifar import RestrictedUnpickler, UnsafePickleError


@pytest.fixture(scope="module")
def cifar():
    return cifar_files(np.random.default_rng(0))


def _check(train, test, arrays):
    assert train.x.shape == (10, 3, 32, 32) and test.x.shape == (3, 3, 32, 32)
    assert train.x.dtype == np.float32 and train.y.dtype == np.int64
    # Row layout: 1024 red, 1024 green, 1024 blue values, each 32x32 row-major.
    data = arrays["train_x"]
    i, c, h, w = 7, 2, 5, 30
    assert train.x[i, c, h, w] == np.float32(data[i, c * 1024 + h * 32 + w]) / np.float32(255)
    np.testing.assert_array_equal(test.x.reshape(3, -1) * np.float32(255), arrays["test_x"])
    np.testing.assert_array_equal(train.y, arrays["train_y"])
    np.testing.assert_array_equal(test.y, arrays["test_y"])
    assert train.classes == tuple(CIFAR_NAMES)


def test_py2_style_batch_references_only_numpy_array_globals(cifar):
    files, _ = cifar
    opcodes = list(pickletools.genops(files["data_batch_1"]))
    assert opcodes[0][0].name == "PROTO" and opcodes[0][1] == 2
    globals_used = {arg for op, arg, _ in opcodes if op.name == "GLOBAL"}
    assert globals_used == {"numpy.core.multiarray _reconstruct", "numpy ndarray", "numpy dtype"}


def test_cifar10_from_extracted_folder(tmp_path, cifar):
    files, arrays = cifar
    write_cifar_folder(tmp_path, files)
    _check(*load_dataset("cifar10", data_dir=tmp_path), arrays)


def test_cifar10_from_the_batch_folder_itself(tmp_path, cifar):
    files, arrays = cifar
    folder = write_cifar_folder(tmp_path, files)
    _check(*load_dataset("cifar10", data_dir=folder), arrays)


def test_cifar10_from_tarball(tmp_path, cifar):
    files, arrays = cifar
    write_cifar_tarball(tmp_path, files)
    _check(*load_dataset("cifar10", data_dir=tmp_path), arrays)


def test_cifar10_without_meta_uses_standard_names(tmp_path, cifar):
    files, _ = cifar
    folder = write_cifar_folder(tmp_path, files)
    (folder / "batches.meta").unlink()
    train, _ = load_dataset("cifar10", data_dir=tmp_path)
    assert train.classes[:3] == ("airplane", "automobile", "bird")


def test_missing_files_name_the_expected_paths(tmp_path, cifar):
    with pytest.raises(FileNotFoundError, match=re.escape(
            str((tmp_path / "cifar-10-python.tar.gz").resolve())) + ".*data_batch_1"):
        load_dataset("cifar10", data_dir=tmp_path)
    folder = write_cifar_folder(tmp_path, cifar[0])
    (folder / "test_batch").unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(str((folder / "test_batch").resolve()))):
        load_dataset("cifar10", data_dir=tmp_path)
    with pytest.raises(ValueError, match=r"cifar-10-python.tar.gz or its extracted folder"):
        load_dataset("cifar10")


def _evil_payloads(marker):
    code = f"open({str(marker)!r}, 'w').write('ran')"
    return {
        "os.system": RunsCode(os.system, f"touch {marker}"),
        "builtins.exec": RunsCode(builtins.exec, code),
        "builtins.eval": RunsCode(builtins.eval, code),
    }


@pytest.mark.parametrize("kind", ["os.system", "builtins.exec", "builtins.eval"])
@pytest.mark.parametrize("protocol", [2, 5])
def test_malicious_batch_is_refused_and_never_runs(tmp_path, cifar, kind, protocol):
    marker = tmp_path / "payload-ran"
    files = dict(cifar[0])
    files["data_batch_3"] = pickle.dumps(_evil_payloads(marker)[kind], protocol=protocol)
    write_cifar_folder(tmp_path / "data", files)
    # Protocol 2 writes Python 2 module names (__builtin__), as an old file would.
    name = {"os.system": r"(posix|nt|os)\.system", "builtins.exec": r"(builtins|__builtin__)\.exec",
            "builtins.eval": r"(builtins|__builtin__)\.eval"}[kind]
    with pytest.raises(UnsafePickleError, match=f"refusing to load global '{name}' from .*"
                                                "data_batch_3: a CIFAR-10 batch only references"):
        load_dataset("cifar10", data_dir=tmp_path / "data")
    assert not marker.exists()


def test_malicious_member_in_tarball_is_refused(tmp_path, cifar):
    marker = tmp_path / "payload-ran"
    files = dict(cifar[0])
    files["batches.meta"] = py2_pickle(_evil_payloads(marker)["builtins.exec"])
    write_cifar_tarball(tmp_path, files)
    with pytest.raises(UnsafePickleError, match="refusing to load global 'builtins.exec'"):
        load_dataset("cifar10", data_dir=tmp_path)
    assert not marker.exists()


def test_object_arrays_are_refused():
    blob = py2_pickle(np.array([1, "two"], dtype=object))
    with pytest.raises(UnsafePickleError, match="ndarray of Python objects"):
        RestrictedUnpickler(io.BytesIO(blob)).load()


def test_batch_with_wrong_contents_is_rejected(tmp_path, cifar):
    files = dict(cifar[0])
    files["data_batch_2"] = py2_pickle({"data": np.zeros((2, 1024), np.uint8), "labels": [0, 1]})
    write_cifar_folder(tmp_path, files)
    with pytest.raises(ValueError, match=r"data_batch_2: expected b'data' to be a uint8 array of "
                                         r"shape \(N, 3072\); got uint8 \(2, 1024\)"):
        load_dataset("cifar10", data_dir=tmp_path)
    files["data_batch_2"] = py2_pickle({"data": np.zeros((2, 3072), np.uint8), "labels": [0, 12]})
    write_cifar_folder(tmp_path, files)
    with pytest.raises(ValueError, match="expected b'labels' to be 2 ints in 0..9"):
        load_dataset("cifar10", data_dir=tmp_path)
