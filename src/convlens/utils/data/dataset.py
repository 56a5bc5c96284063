"""Datasets as in ``torch.utils.data``: map-style and iterable, and ways to combine them."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
from typing import Any

from ... import _validate
from ._generator import check_generator, numpy_rng

__all__ = ["ConcatDataset", "Dataset", "IterableDataset", "Subset", "TensorDataset",
           "random_split"]


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__`` (and usually ``__len__``).

    Examples
    --------
    >>> class Squares(Dataset):
    ...     def __len__(self):
    ...         return 4
    ...     def __getitem__(self, index):
    ...         return index * index
    >>> [Squares()[i] for i in range(4)], len(Squares() + Squares())
    ([0, 1, 4, 9], 8)
    """

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: subclasses define ``__iter__``.

    With ``num_workers > 0`` every worker thread iterates its own ``iter(dataset)``, as torch's
    worker processes do; shard the stream with
    :func:`~convlens.utils.data.get_worker_info` to avoid duplicates.
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class TensorDataset(Dataset):
    """Samples are the rows of the given tensors: ``dataset[i] = (t[i] for t in tensors)``.

    Parameters
    ----------
    *tensors : Tensor or ndarray
        All with the same length along the first dimension.

    Raises
    ------
    ValueError
        If the tensors differ in their first dimension.

    Examples
    --------
    >>> import convlens as cl
    >>> ds = TensorDataset(cl.zeros(5, 3), cl.arange(5))
    >>> len(ds), ds[2][1].item()
    (5, 2)
    """

    def __init__(self, *tensors: Any) -> None:
        sizes = [len(t) for t in tensors]
        if len(set(sizes)) > 1:
            raise ValueError(f"Size mismatch between tensors: TensorDataset needs tensors of "
                             f"the same length in dimension 0; got lengths {sizes}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Any, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0]) if self.tensors else 0


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Examples
    --------
    >>> sub = Subset(list("abcdef"), [4, 0, 2])
    >>> len(sub), sub[0], sub[[1, 2]]
    (3, 'e', ['a', 'c'])
    """

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, list):
            return [self.dataset[self.indices[i]] for i in idx]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several map-style datasets one after another.

    Raises
    ------
    ValueError
        If ``datasets`` is empty.
    TypeError
        If one of them is an :class:`IterableDataset`.

    Examples
    --------
    >>> ds = ConcatDataset([[1, 2], [3, 4, 5]])
    >>> len(ds), ds[2], ds[-1], ds.cumulative_sizes
    (5, 3, 5, [2, 5])
    """

    def __init__(self, datasets: Any) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


def _split_lengths(n: int, lengths: Sequence[int | float]) -> list[int]:
    """Turn fractions that sum to 1 into lengths, as torch does (remainders round-robin)."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1; got {frac}")
        counts = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        return counts
    return [_validate.positive_int(x, f"lengths[{i}]", minimum=0) for i, x in enumerate(lengths)]


def random_split(dataset: Any, lengths: Sequence[int | float],
                 generator: Any = None) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping :class:`Subset` s of the given lengths.

    Parameters
    ----------
    dataset : Dataset
        A map-style dataset (anything with ``__len__`` and ``__getitem__``).
    lengths : sequence of int or float
        The lengths of the splits, or fractions that sum to 1 (then each gets
        ``floor(len(dataset) * fraction)`` and the remainder is dealt out one by one from
        the first split on, as in torch).
    generator : numpy.random.Generator or generator with ``initial_seed()``, optional
        Source of the permutation; by default a seed is drawn from convlens's global
        generator (:func:`convlens.manual_seed`).

    Returns
    -------
    list of Subset

    Raises
    ------
    ValueError
        If the lengths do not add up to ``len(dataset)``, or a fraction is outside [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> train, val = random_split(range(10), [0.7, 0.3], generator=np.random.default_rng(0))
    >>> len(train), len(val), sorted(list(train) + list(val)) == list(range(10))
    (7, 3, True)
    """
    check_generator(generator)
    counts = _split_lengths(len(dataset), lengths)
    if sum(counts) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset! "
                         f"(lengths {counts} sum to {sum(counts)}; the dataset has "
                         f"{len(dataset)} samples)")
    order = numpy_rng(generator).permutation(sum(counts)).tolist()
    splits, start = [], 0
    for count in counts:
        splits.append(Subset(dataset, order[start:start + count]))
        start += count
    return splits
