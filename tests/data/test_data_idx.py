"""IDX parsing and the mnist / fashion-mnist loaders, on tiny files written here."""

import gzip
import re
import struct

import numpy as np
import pytest
from datafile_writers import idx_bytes, write_idx, write_mnist_folder

from convlens.data import load_dataset
from convlens.data.idx import read_idx


@pytest.mark.parametrize("gzipped", [True, False])
def test_mnist_from_idx_files(tmp_path, gzipped):
    arrays = write_mnist_folder(tmp_path, np.random.default_rng(0), gzipped=gzipped)
    train, test = load_dataset("mnist", data_dir=tmp_path)
    assert train.x.shape == (12, 1, 28, 28) and test.x.shape == (5, 1, 28, 28)
    assert train.x.dtype == np.float32 and train.y.dtype == np.int64
    np.testing.assert_array_equal(train.x[:, 0], arrays["train_images"] / np.float32(255))
    np.testing.assert_array_equal(test.y, arrays["test_labels"])
    assert train.classes == tuple("0123456789")


def test_fashion_mnist_has_its_class_names(tmp_path):
    arrays = write_mnist_folder(tmp_path, np.random.default_rng(1))
    train, test = load_dataset("fashion-mnist", data_dir=str(tmp_path))
    assert train.classes[0] == "T-shirt/top" and train.classes[9] == "Ankle boot"
    np.testing.assert_array_equal(test.x[:, 0] * 255, arrays["test_images"])
    assert train.name == "fashion-mnist"


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, ">i2", ">i4", ">f4", ">f8"])
def test_read_idx_every_type_code(tmp_path, dtype):
    values = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    path = write_idx(tmp_path / "x.idx", values, gzipped=False)
    out = read_idx(path)
    assert out.shape == (2, 3, 4) and out.dtype.isnative
    np.testing.assert_array_equal(out, values)


def test_read_idx_detects_gzip_by_content_not_name(tmp_path):
    path = write_idx(tmp_path / "labels-idx1-ubyte", np.array([3, 1, 4], np.uint8), gzipped=True)
    assert read_idx(path).tolist() == [3, 1, 4]


@pytest.mark.parametrize("gzipped", [True, False])
def test_truncated_data_is_rejected(tmp_path, gzipped):
    data = idx_bytes(np.zeros((10, 28, 28), np.uint8))[:-28 * 28]  # one image short
    path = tmp_path / "short.idx"
    path.write_bytes(gzip.compress(data) if gzipped else data)
    with pytest.raises(ValueError, match=r"declares 7840 bytes of data but the file holds only "
                                         r"7056"):
        read_idx(path)


def test_header_claiming_huge_data_fails_without_allocating(tmp_path):
    # 2**31 x 2**16 x 2**16 bytes would be 8 EiB; reading must stop at the real 4 bytes.
    header = struct.pack(">BBBBIII", 0, 0, 0x08, 3, 2**31, 2**16, 2**16)
    path = tmp_path / "liar.gz"
    path.write_bytes(gzip.compress(header + b"\x00" * 4))
    with pytest.raises(ValueError, match="declares 9223372036854775808 bytes of data but the "
                                         "file holds only 4"):
        read_idx(path)


def test_more_data_than_declared_is_rejected(tmp_path):
    path = tmp_path / "long.idx"
    path.write_bytes(idx_bytes(np.zeros(4, np.uint8)) + b"\x00")
    with pytest.raises(ValueError, match=r"more data than its IDX header declares \(4 bytes\)"):
        read_idx(path)


@pytest.mark.parametrize("content, match", [
    (b"\x00\x00", "expected 4 bytes of magic number, found 2"),
    (b"PK\x03\x04", "must start with two zero bytes; got 0x50 0x4b"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x00", "unknown IDX type code 0x07"),
    (b"\x00\x00\x08\x00", "declares 0 dimensions"),
    (b"\x00\x00\x08\x02\x00\x00\x00\x01", "expected 8 bytes of dimension sizes, found 4"),
])
def test_malformed_headers_are_rejected(tmp_path, content, match):
    path = tmp_path / "bad.idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        read_idx(path)


def test_missing_file_names_the_expected_path(tmp_path):
    write_mnist_folder(tmp_path, np.random.default_rng(2))
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    expected = re.escape(str((tmp_path / "t10k-labels-idx1-ubyte.gz").resolve()))
    with pytest.raises(FileNotFoundError, match=expected + ".*train-images-idx3-ubyte.gz"):
        load_dataset("mnist", data_dir=tmp_path)


def test_missing_folder_and_missing_data_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a folder; expected a folder holding "
                                                "train-images-idx3-ubyte.gz"):
        load_dataset("mnist", data_dir=tmp_path / "nowhere")
    with pytest.raises(ValueError, match=r"load_dataset\('fashion-mnist'\) reads local files .*"
                                         "t10k-labels-idx1-ubyte.gz"):
        load_dataset("fashion-mnist")


def test_images_and_labels_must_agree(tmp_path):
    write_mnist_folder(tmp_path, np.random.default_rng(3))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(11, np.uint8))
    with pytest.raises(ValueError, match="expected 12 uint8 labels to match "
                                         "train-images-idx3-ubyte.gz; got uint8 of shape"):
        load_dataset("mnist", data_dir=tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.full(12, 10, np.uint8))
    with pytest.raises(ValueError, match="labels must be 0..9; got 10"):
        load_dataset("mnist", data_dir=tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((12, 784), np.uint8))
    with pytest.raises(ValueError, match=r"uint8 images of shape \(N, H, W\); got uint8 of "
                                         r"shape \(12, 784\)"):
        load_dataset("mnist", data_dir=tmp_path)
