"""convlens.utils.data against torch.utils.data: same batches, lengths, errors; real workers."""

import collections
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    get_worker_info,
    random_split,
)

torch = pytest.importorskip("torch")


def _plain(value):
    """Turn a (nested) batch of either library into plain Python for comparison."""
    if isinstance(value, cl.Tensor | torch.Tensor):
        array = np.asarray(value.numpy() if isinstance(value, cl.Tensor) else value.numpy())
        return ("tensor", str(array.dtype), array.tolist())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return (type(value).__name__, [_plain(v) for v in value])
    return value


Point = collections.namedtuple("Point", "x y")
SAMPLES = [
    [np.arange(6.0).reshape(2, 3), np.ones((2, 3))],
    [np.array([1, 2], np.int32), np.array([3, 4], np.int32)],
    [1.5, 2.0, -3.25],
    [1, 2, 3],
    [True, False],
    ["a", "b"],
    [(np.zeros(2), 3, "s"), (np.ones(2), 4, "t")],
    [[1.0, 2], [3.0, 4]],
    [{"image": np.ones((1, 2)), "label": 1, "meta": {"w": 0.5}},
     {"image": np.zeros((1, 2)), "label": 0, "meta": {"w": 1.5}}],
    [Point(1, 2.0), Point(3, 4.0)],
    [np.float32(1.5), np.float32(2.5)],
]


@pytest.mark.parametrize("batch", SAMPLES)
def test_default_collate_matches_torch(batch):
    from torch.utils.data import default_collate as torch_collate

    assert _plain(default_collate(batch)) == _plain(torch_collate(batch))


def test_default_collate_stacks_convlens_tensors_and_refuses_objects():
    out = default_collate([cl.tensor([1.0, 2.0]), cl.tensor([3.0, 4.0])])
    assert isinstance(out, cl.Tensor) and out.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(TypeError, match="batch must contain tensors, numpy arrays"):
        default_collate([object(), object()])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([[1, 2], [3]])


def _twin_datasets(n=11):
    x = np.arange(n * 2, dtype=np.float64).reshape(n, 2)
    y = np.arange(n)
    return (TensorDataset(cl.tensor(x), cl.tensor(y)),
            torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)))


@settings(max_examples=25, deadline=None)
@given(batch_size=st.one_of(st.none(), st.integers(1, 13)), drop_last=st.booleans(),
       n=st.integers(1, 12))
def test_sequential_batches_and_len_match_torch(batch_size, drop_last, n):
    if batch_size is None:
        drop_last = False
    ours_ds, theirs_ds = _twin_datasets(n)
    ours = DataLoader(ours_ds, batch_size=batch_size, drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(theirs_ds, batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]


def test_default_batch_size_is_one():
    ours_ds, _ = _twin_datasets(3)
    loader = DataLoader(ours_ds)
    assert loader.batch_size == 1 and [x.shape for x, _ in loader] == [(1, 2)] * 3


@pytest.mark.parametrize("kwargs, message", [
    ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually exclusive"),
    ({"sampler": [0, 1], "shuffle": True}, "sampler option is mutually exclusive with shuffle"),
    ({"batch_size": None, "drop_last": True}, "batch_size=None option disables auto-batching"),
    ({"num_workers": -1}, "num_workers option should be non-negative"),
    ({"prefetch_factor": 2}, "prefetch_factor option could only be specified"),
    ({"timeout": -1}, "timeout option should be non-negative"),
])
def test_refuses_what_torch_refuses(kwargs, message):
    ours_ds, theirs_ds = _twin_datasets(4)
    with pytest.raises(ValueError, match=message):
        DataLoader(ours_ds, **kwargs)
    with pytest.raises(ValueError, match=message):
        torch.utils.data.DataLoader(theirs_ds, **kwargs)


def test_batch_sampler_and_sampler_arguments():
    ours_ds, _ = _twin_datasets(6)
    batches = [y.tolist() for _, y in DataLoader(ours_ds, batch_sampler=[[5, 0], [2]])]
    assert batches == [[5, 0], [2]]
    batches = [y.tolist() for _, y in DataLoader(ours_ds, batch_size=4, sampler=[3, 1, 4, 0])]
    assert batches == [[3, 1, 4, 0]]
    assert list(BatchSampler(SequentialSampler(range(5)), 2, False)) == list(
        torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(5)), 2, False))
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(range(3), 0, False)


def test_shuffle_follows_manual_seed_and_explicit_generator():
    ds, _ = _twin_datasets(20)

    def epoch(**kwargs):
        return [y.tolist() for _, y in DataLoader(ds, batch_size=6, shuffle=True, **kwargs)]

    cl.manual_seed(3)
    first = epoch()
    cl.manual_seed(3)
    assert epoch() == first and sorted(sum(first, [])) == list(range(20))
    assert epoch() != first  # the global generator moved on
    a = epoch(generator=np.random.default_rng(7))
    assert a == epoch(generator=np.random.default_rng(7))
    g = torch.Generator().manual_seed(11)  # duck-typed: manual_seed and initial_seed
    loader = DataLoader(ds, batch_size=6, shuffle=True, generator=g)
    e1, e2 = [[y.tolist() for _, y in loader] for _ in range(2)]
    assert e1 != e2
    loader = DataLoader(ds, batch_size=6, shuffle=True, generator=torch.Generator().manual_seed(11))
    assert [y.tolist() for _, y in loader] == e1
    with pytest.raises(TypeError, match="generator must be None, a numpy.random.Generator"):
        DataLoader(ds, shuffle=True, generator=5)


class _RngHolder:
    """What cl.Generator looks like: a seedable object holding a NumPy Generator as ``rng``."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)


def test_a_generator_holding_a_numpy_rng_is_drawn_from():
    ds, _ = _twin_datasets(20)
    g = _RngHolder(4)
    first = [y.tolist() for _, y in DataLoader(ds, batch_size=5, shuffle=True, generator=g)]
    want = [y.tolist() for _, y in DataLoader(ds, batch_size=5, shuffle=True,
                                              generator=np.random.default_rng(4))]
    assert first == want
    if hasattr(cl, "Generator"):  # the tensor-API work adds it
        gen = cl.Generator().manual_seed(4)
        assert [y.tolist() for _, y in DataLoader(ds, batch_size=5, shuffle=True,
                                                  generator=gen)] == want


@pytest.mark.parametrize("num_workers", [1, 3])
def test_workers_give_the_same_batches_in_the_same_order(num_workers):
    ds, _ = _twin_datasets(17)
    serial = DataLoader(ds, batch_size=3, shuffle=True, generator=np.random.default_rng(0))
    parallel = DataLoader(ds, batch_size=3, shuffle=True, generator=np.random.default_rng(0),
                          num_workers=num_workers)
    assert [_plain(b) for b in parallel] == [_plain(b) for b in serial]


class _Rendezvous(Dataset):
    """Each item waits until two threads are inside __getitem__ at once."""

    def __init__(self):
        self.barrier = threading.Barrier(2, timeout=5)
        self.workers = set()

    def __len__(self):
        return 4

    def __getitem__(self, index):
        self.barrier.wait()
        self.workers.add(get_worker_info().id)
        return index


def test_workers_really_run_in_parallel():
    ds = _Rendezvous()
    batches = [b.tolist() for b in DataLoader(ds, batch_size=1, num_workers=2)]
    assert batches == [[0], [1], [2], [3]] and ds.workers == {0, 1}


class _Faulty(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, index):
        if index == 4:
            raise KeyError(f"sample {index} is missing")
        return index


def test_worker_errors_are_raised_in_the_main_thread():
    with pytest.raises(KeyError, match="sample 4 is missing") as info:
        list(DataLoader(_Faulty(), batch_size=2, num_workers=2))
    assert any("worker thread 0" in note for note in info.value.__notes__)


def test_worker_init_fn_and_worker_info():
    seen = []
    loader = DataLoader(list(range(8)), batch_size=2, num_workers=2,
                        worker_init_fn=lambda w: seen.append((w, get_worker_info().num_workers)))
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert sorted(seen) == [(0, 2), (1, 2)]


class _StreamBody:
    worker_info = staticmethod(get_worker_info)

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = self.worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))

    def __len__(self):
        return self.n


class _Stream(_StreamBody, IterableDataset):
    pass


class _TorchStream(_StreamBody, torch.utils.data.IterableDataset):
    worker_info = staticmethod(torch.utils.data.get_worker_info)


def test_iterable_dataset_matches_torch_and_shards_across_workers():
    ours = [b.tolist() for b in DataLoader(_Stream(7), batch_size=3)]
    theirs = [b.tolist() for b in torch.utils.data.DataLoader(_TorchStream(7), batch_size=3)]
    assert ours == theirs == [[0, 1, 2], [3, 4, 5], [6]]
    parallel = [b.tolist() for b in DataLoader(_Stream(8), batch_size=2, num_workers=2)]
    assert parallel == [[0, 2], [1, 3], [4, 6], [5, 7]]  # round-robin over the workers
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(_Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        DataLoader(_Stream(3), batch_size=0)


def test_iterable_worker_errors_reach_the_main_thread():
    class Broken(IterableDataset):
        def __iter__(self):
            yield 1
            raise OSError("the stream broke")

    with pytest.raises(OSError, match="the stream broke"):
        list(DataLoader(Broken(), batch_size=1, num_workers=2))


def test_subset_concat_and_random_split():
    sub = Subset(list("abcdef"), [5, 1])
    assert [sub[0], sub[1], len(sub)] == ["f", "b", 2]
    both = ConcatDataset([list("ab"), list("cde")])
    assert [both[i] for i in range(-5, 5)] == list("abcde") * 2
    ours = [len(s) for s in random_split(range(10), [0.33, 0.33, 0.34],
                                         generator=np.random.default_rng(0))]
    theirs = [len(s) for s in torch.utils.data.random_split(range(10), [0.33, 0.33, 0.34])]
    assert ours == theirs
    parts = random_split(range(9), [4, 5], generator=np.random.default_rng(1))
    assert sorted(list(parts[0]) + list(parts[1])) == list(range(9))
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(9), [4, 4])
    with pytest.raises(ValueError, match="Size mismatch between tensors"):
        TensorDataset(cl.zeros(3), cl.zeros(4))


def test_random_sampler_with_replacement_and_num_samples():
    rng = np.random.default_rng(0)
    assert len(list(RandomSampler(range(4), num_samples=10, generator=rng))) == 10
    chained = list(RandomSampler(range(4), num_samples=8, generator=rng))
    assert sorted(chained[:4]) == sorted(chained[4:]) == [0, 1, 2, 3]
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=30, generator=rng))
    assert set(drawn) <= {0, 1, 2} and len(drawn) == 30
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, "
                                         "but got num_samples=0"):
        RandomSampler([])
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        torch.utils.data.RandomSampler([])


def test_reachable_through_an_aliased_import():
    import convlens as alias

    assert alias.utils.data.DataLoader is DataLoader
    from convlens.utils.data import DataLoader as imported

    assert imported is DataLoader
