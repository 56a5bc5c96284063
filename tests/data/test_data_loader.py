"""DataLoader: batches, determinism per seed and epoch, set_epoch, drop_last, transforms."""

import numpy as np
import pytest

import convlens as cl
from convlens.data import ArrayDataset, DataLoader, RandomShift


def _dataset(n=10):
    # Sample i is filled with the value i, so a batch shows which samples it holds.
    x = np.repeat(np.arange(n, dtype=np.float32), 8).reshape(n, 2, 4)
    return ArrayDataset(x, np.arange(n) % 3)


def _ids(batches):
    return [x.numpy()[:, 0, 0].astype(int).tolist() for x, _ in batches]


def test_batches_are_tensors_in_order_without_shuffle():
    ds = _dataset()
    batches = list(DataLoader(ds, batch_size=4))
    assert all(isinstance(x, cl.Tensor) and isinstance(y, cl.Tensor) for x, y in batches)
    assert _ids(batches) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    x, y = batches[0]
    assert x.dtype == np.float32 and x.shape == (4, 2, 4) and not x.requires_grad
    assert y.dtype == np.int64 and y.numpy().tolist() == [0, 1, 2, 0]


def test_epoch_e_order_is_the_documented_permutation():
    loader = DataLoader(_dataset(), batch_size=3, shuffle=True, seed=5)
    for epoch in range(3):
        expected = np.random.default_rng([5, epoch]).permutation(10)
        assert sum(_ids(loader), []) == expected.tolist()
    assert loader.epoch == 3


def test_same_seed_same_batches_other_seed_or_epoch_differs():
    def epochs(seed):
        loader = DataLoader(_dataset(50), batch_size=8, shuffle=True, seed=seed)
        return [_ids(loader) for _ in range(2)]

    first, again, other = epochs(0), epochs(0), epochs(1)
    assert first == again
    assert first[0] != first[1]  # a new order each epoch
    assert first != other
    assert sorted(sum(first[0], [])) == list(range(50))  # each sample once per epoch


def test_set_epoch_reproduces_an_uninterrupted_run():
    uninterrupted = DataLoader(_dataset(30), batch_size=4, shuffle=True, seed=3,
                               transform=RandomShift(1))
    runs = [[(x.numpy().copy(), y.numpy().copy()) for x, y in uninterrupted] for _ in range(4)]
    resumed = DataLoader(_dataset(30), batch_size=4, shuffle=True, seed=3,
                         transform=RandomShift(1))
    resumed.set_epoch(2)
    for epoch in (2, 3):
        for (x, y), (x_ref, y_ref) in zip(resumed, runs[epoch], strict=True):
            np.testing.assert_array_equal(x.numpy(), x_ref)
            np.testing.assert_array_equal(y.numpy(), y_ref)
    assert resumed.epoch == 4


def test_breaking_out_does_not_advance_the_epoch():
    loader = DataLoader(_dataset(), batch_size=2, shuffle=True)
    for _ in loader:
        break
    assert loader.epoch == 0


@pytest.mark.parametrize("n, batch_size, drop_last, expected", [
    (10, 4, False, 3), (10, 4, True, 2), (8, 4, True, 2), (8, 4, False, 2), (3, 4, True, 0),
    (3, 4, False, 1),
])
def test_len_and_drop_last(n, batch_size, drop_last, expected):
    loader = DataLoader(_dataset(n), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == expected == len(batches)
    assert all(len(x) == batch_size for x, _ in batches[:-1])


def test_transform_gets_a_generator_from_seed_epoch_and_batch():
    seen = []

    def record(x, rng):
        seen.append(rng.integers(0, 2**32))
        return x * 2

    loader = DataLoader(_dataset(), batch_size=5, seed=7, transform=record)
    batches = list(loader) + list(loader)
    assert batches[0][0].numpy()[1, 0, 0] == 2.0  # the transform's output is what comes out
    expected = [np.random.default_rng(np.random.SeedSequence([7, e], spawn_key=(b,)))
                .integers(0, 2**32) for e in (0, 1) for b in (0, 1)]
    assert seen == expected
    assert len(set(seen)) == 4


def test_an_xy_pair_is_accepted():
    x, y = np.zeros((3, 1, 5), np.float32), np.array([0, 1, 1])
    (xb, yb), = DataLoader((x, y), batch_size=3)
    assert xb.shape == (3, 1, 5) and yb.numpy().tolist() == [0, 1, 1]


@pytest.mark.parametrize("kwargs, error, match", [
    ({"batch_size": 0}, ValueError, "batch_size must be >= 1; got 0"),
    ({"batch_size": 2.0}, TypeError, "batch_size must be an int; got float 2.0"),
    ({"shuffle": 1}, TypeError, "shuffle must be a bool; got int 1"),
    ({"drop_last": "no"}, TypeError, "drop_last must be a bool; got str 'no'"),
    ({"seed": -1}, ValueError, "seed must be a non-negative int; got -1"),
    ({"transform": 3}, TypeError, "transform must be callable or None; got int"),
])
def test_invalid_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        DataLoader(_dataset(), **kwargs)


def test_invalid_dataset_epoch_and_transform_output():
    with pytest.raises(TypeError, match="ArrayDataset or an \\(x, y\\) pair of ndarrays; got list"):
        DataLoader([1, 2, 3])
    loader = DataLoader(_dataset())
    with pytest.raises(ValueError, match="epoch must be a non-negative int; got -2"):
        loader.set_epoch(-2)
    bad = DataLoader(_dataset(), batch_size=4, transform=lambda x, rng: x[:2])
    with pytest.raises(ValueError, match="transform must return an ndarray with the batch's 4 "
                                         r"samples first; .* returned \(2, 2, 4\)"):
        next(iter(bad))


def test_order_comes_from_the_utils_data_samplers():
    from convlens.utils.data import BatchSampler, RandomSampler

    ds = ArrayDataset(np.zeros((11, 1, 2, 2), np.float32), np.arange(11) % 2)
    loader = DataLoader(ds, batch_size=4, shuffle=True, seed=5)
    loader.set_epoch(2)
    want = list(BatchSampler(RandomSampler(ds, generator=np.random.default_rng([5, 2])), 4,
                             False))
    assert [list(b) for b in np.split(loader.order(), [4, 8])] == want
    assert loader.order().tolist() == np.random.default_rng([5, 2]).permutation(11).tolist()
