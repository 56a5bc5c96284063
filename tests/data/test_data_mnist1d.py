"""mnist1d: generated once per session into a temporary cache (about 2 s with the import)."""

import random
import sys

import numpy as np
import pytest

from convlens.data import load_dataset
from convlens.data import mnist1d as m1d

pytest.importorskip("mnist1d")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    cache = tmp_path_factory.mktemp("mnist1d-cache")
    np_before = np.random.get_state()[1].copy()  # noqa: NPY002 - checking the legacy state
    py_before = random.getstate()
    train, test = load_dataset("mnist1d", cache_dir=cache)
    restored = (np.array_equal(np.random.get_state()[1], np_before)  # noqa: NPY002
                and random.getstate() == py_before)
    return cache, train, test, restored


def test_defaults_give_4000_1000_of_length_40(generated):
    _, train, test, _ = generated
    assert train.x.shape == (4000, 1, 40) and test.x.shape == (1000, 1, 40)
    assert train.x.dtype == np.float32 and train.y.dtype == np.int64
    assert train.classes == tuple("0123456789") and train.name == "mnist1d"
    assert set(np.unique(train.y)) == set(range(10))


def test_values_are_the_packages(generated):
    from mnist1d.data import get_dataset_args, make_dataset

    _, train, test, _ = generated
    # make_dataset reseeds the global generators, so run it with a saved state.
    state = np.random.get_state()  # noqa: NPY002
    try:
        reference = make_dataset(get_dataset_args())
    finally:
        np.random.set_state(state)  # noqa: NPY002
    np.testing.assert_array_equal(train.x[:, 0], reference["x"].astype(np.float32))
    np.testing.assert_array_equal(test.y, reference["y_test"])


def test_global_random_state_is_left_alone(generated):
    assert generated[3]


def test_cache_round_trip(generated, monkeypatch):
    cache, train, test, _ = generated
    assert (cache / "mnist1d.npz").is_file()
    assert [p.name for p in cache.iterdir()] == ["mnist1d.npz"]  # no temporary files left

    def fail(overrides):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(m1d, "_generate", fail)
    again_train, again_test = load_dataset("mnist1d", cache_dir=cache)
    np.testing.assert_array_equal(again_train.x, train.x)
    np.testing.assert_array_equal(again_test.y, test.y)
    with np.load(cache / "mnist1d.npz", allow_pickle=False) as npz:
        assert sorted(npz.files) == ["config", "mnist1d_version", "x_test", "x_train", "y_test",
                                     "y_train"]
        assert str(npz["config"]) == "{}" and str(npz["mnist1d_version"]) == m1d._package_version()


def _fake_generate(calls):
    def generate(overrides):
        calls.append(overrides)
        x = np.arange(12, dtype=np.float64).reshape(3, 4)
        return {"x_train": x, "y_train": np.array([0, 1, 2]), "x_test": x[:1],
                "y_test": np.array([9])}
    return generate


def _write_cache(path, config="{}", version=None):
    version = m1d._package_version() if version is None else version
    np.savez(path, x_train=np.zeros((1, 4)), y_train=np.zeros(1, int), x_test=np.zeros((1, 4)),
             y_test=np.zeros(1, int), config=np.str_(config), mnist1d_version=np.str_(version))


@pytest.mark.parametrize("content", [b"", b"garbage, not a zip", "other-args", "other-version"])
def test_unreadable_or_stale_cache_is_regenerated(tmp_path, monkeypatch, content):
    calls = []
    monkeypatch.setattr(m1d, "_generate", _fake_generate(calls))
    path = tmp_path / "mnist1d.npz"
    if content == "other-args":
        _write_cache(path, config='{"seed": 1}')
    elif content == "other-version":
        _write_cache(path, version="0.0.0")
    else:
        path.write_bytes(content)
    train, test = load_dataset("mnist1d", cache_dir=tmp_path)
    assert len(calls) == 1 and train.x.shape == (3, 1, 4) and test.y.tolist() == [9]
    load_dataset("mnist1d", cache_dir=tmp_path)
    assert len(calls) == 1  # the rewritten cache is read back


def test_cache_works_without_the_package(tmp_path, monkeypatch):
    _write_cache(tmp_path / "mnist1d.npz", version="0.0.1")
    monkeypatch.setattr(m1d, "_package_version", lambda: "")
    monkeypatch.setitem(sys.modules, "mnist1d", None)
    train, test = load_dataset("mnist1d", cache_dir=tmp_path)
    assert train.x.shape == (1, 1, 4) and test.y.tolist() == [0]


def test_overrides_get_their_own_cache_file_and_data_dir_is_the_cache(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(m1d, "_generate", _fake_generate(calls))
    load_dataset("mnist1d", data_dir=tmp_path, shuffle_seq=True)
    load_dataset("mnist1d", data_dir=tmp_path, regenerate=True, shuffle_seq=True)
    assert calls == [{"shuffle_seq": True}] * 2
    names = [p.name for p in tmp_path.iterdir()]
    assert len(names) == 1 and names[0].startswith("mnist1d-") and names[0] != "mnist1d.npz"


def test_bad_arguments_and_missing_package(tmp_path, monkeypatch):
    with pytest.raises(TypeError, match=r"unknown argument\(s\) \['length'\]; mnist1d's "
                                        r"arguments are \['num_samples'"):
        load_dataset("mnist1d", cache_dir=tmp_path, length=40)
    monkeypatch.setitem(sys.modules, "mnist1d", None)
    monkeypatch.setitem(sys.modules, "mnist1d.data", None)
    with pytest.raises(ImportError, match="pip install mnist1d"):
        load_dataset("mnist1d", cache_dir=tmp_path)
