"""mnist-5k (bundled) and digits (scikit-learn), and ArrayDataset itself."""

import hashlib

import numpy as np
import pytest

from convlens.data import ArrayDataset, load_dataset


@pytest.fixture(scope="module")
def mnist5k():
    return load_dataset("mnist-5k")


def test_mnist5k_shapes_dtypes_range(mnist5k):
    train, test = mnist5k
    assert train.x.shape == (4000, 1, 28, 28) and test.x.shape == (1000, 1, 28, 28)
    assert train.x.dtype == np.float32 and train.y.dtype == np.int64
    assert train.x.min() == 0.0 and train.x.max() == 1.0
    assert test.x.min() == 0.0 and test.x.max() == 1.0
    # Pixels were uint8 divided by 255: multiplying back gives whole numbers.
    np.testing.assert_allclose(train.x * 255, np.round(train.x * 255), atol=1e-4)
    assert train.classes == tuple("0123456789") and train.num_classes == 10
    assert train.input_shape == (1, 28, 28) and train.name == "mnist-5k"


def test_mnist5k_split_is_stratified_400_100(mnist5k):
    train, test = mnist5k
    assert np.bincount(train.y).tolist() == [400] * 10
    assert np.bincount(test.y).tolist() == [100] * 10
    # Stored shuffled, so the first batch is not all one digit.
    assert len(np.unique(train.y[:64])) == 10


def test_mnist5k_train_and_test_share_no_image(mnist5k):
    train, test = mnist5k

    def digests(ds):
        return {hashlib.sha1(row.tobytes()).hexdigest() for row in ds.x}

    train_set, test_set = digests(train), digests(test)
    assert len(train_set) == 4000 and len(test_set) == 1000
    assert not train_set & test_set


def test_mnist5k_is_deterministic(mnist5k):
    again_train, again_test = load_dataset("mnist-5k")
    np.testing.assert_array_equal(again_train.x, mnist5k[0].x)
    np.testing.assert_array_equal(again_test.y, mnist5k[1].y)
    assert again_train.x is not mnist5k[0].x  # a fresh copy each call: no shared state


def test_mnist5k_looks_like_digits(mnist5k):
    # MNIST digits are centred by mass in the 28x28 frame with a blank border.
    train = mnist5k[0]
    border = np.concatenate([train.x[:, 0, :2].ravel(), train.x[:, 0, -2:].ravel()])
    assert border.mean() < 0.01
    assert 0.08 < train.x.mean() < 0.2


def test_digits_split_and_values():
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits

    train, test = load_dataset("digits")
    assert train.x.shape == (1438, 1, 8, 8) and test.x.shape == (359, 1, 8, 8)
    assert train.x.dtype == np.float32 and test.y.dtype == np.int64
    assert train.x.min() == 0.0 and train.x.max() == 1.0
    bunch = load_digits()
    counts = np.bincount(bunch.target)
    expected_test = [int(round(c * 0.2)) for c in counts]
    assert np.bincount(test.y, minlength=10).tolist() == expected_test
    # Together the splits are exactly sklearn's images / 16, each image once.
    ours = np.concatenate([train.x, test.x]).reshape(-1, 64) * 16
    theirs = bunch.data
    order = np.lexsort(ours.T[::-1]), np.lexsort(theirs.T[::-1])
    np.testing.assert_allclose(ours[order[0]], theirs[order[1]], atol=1e-5)
    again = load_dataset("digits")[1]
    np.testing.assert_array_equal(again.x, test.x)


def test_digits_without_sklearn_says_what_to_install(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "sklearn", None)
    monkeypatch.setitem(__import__("sys").modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        load_dataset("digits")


def test_array_dataset_indexing_and_subset():
    x = np.arange(24, dtype=np.float64).reshape(6, 1, 4)
    ds = ArrayDataset(x, [0, 1, 2, 0, 1, 2], classes=("a", "b", "c"), name="toy")
    assert ds.x.dtype == np.float32 and ds.y.dtype == np.int64
    x3, y3 = ds[3]
    assert x3.tolist() == [[12.0, 13.0, 14.0, 15.0]] and y3 == 0
    sub = ds.subset(np.array([5, 1]))
    assert sub.y.tolist() == [2, 1] and sub.classes == ("a", "b", "c") and len(sub) == 2
    assert "samples=6" in repr(ds) and "input_shape=(1, 4)" in repr(ds)


@pytest.mark.parametrize("x, y, classes, error, match", [
    (np.zeros((3, 4, 4), np.uint8), [0, 1, 2], None, TypeError, "float array .*got dtype uint8"),
    (np.zeros((3, 16)), [0, 1, 2], None, ValueError, r"\(N, C, L\) .*got shape \(3, 16\)"),
    ("pixels", [0], None, TypeError, "x to be an ndarray; got str"),
    (np.zeros((3, 1, 4)), [0, 1], None, ValueError, r"y of shape \(3,\) .*got \(2,\)"),
    (np.zeros((2, 1, 4)), [0.5, 1.0], None, TypeError, "integer class labels; got dtype float"),
    (np.zeros((2, 1, 4)), [0, -1], None, ValueError, "labels >= 0; got -1"),
    (np.zeros((2, 1, 4)), [0, 2], ("a", "b"), ValueError, "at least 3 names; got 2"),
    (np.zeros((2, 1, 4)), [0, 1], "ab", TypeError, "sequence of strings"),
])
def test_array_dataset_rejects_bad_input(x, y, classes, error, match):
    with pytest.raises(error, match=match):
        ArrayDataset(x, y, classes)
