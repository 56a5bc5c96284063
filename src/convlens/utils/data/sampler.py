"""Samplers as in ``torch.utils.data``: which indices a DataLoader visits, in which order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from numbers import Integral
from typing import Any

import numpy as np

from ._generator import check_generator, numpy_rng

__all__ = ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler",
           "SubsetRandomSampler", "WeightedRandomSampler"]


class Sampler:
    """Base class: subclasses define ``__iter__`` (indices) and usually ``__len__``."""

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``.

    Examples
    --------
    >>> list(SequentialSampler("abc"))
    [0, 1, 2]
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def positive(value: Any, name: str) -> int:
    if not isinstance(value, Integral) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")
    return int(value)


def boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} should be a boolean value, but got {name}={value}")
    return value


class RandomSampler(Sampler):
    """Indices in a random order (a new one each epoch), or drawn with replacement.

    Parameters
    ----------
    data_source : sized
        The dataset.
    replacement : bool, default False
        Draw ``num_samples`` indices independently (with repeats).
    num_samples : int, optional
        How many indices to give; default ``len(data_source)``. Without replacement and above
        the dataset's length, whole permutations are chained, as in torch.
    generator : numpy.random.Generator or generator with ``initial_seed()``, optional
        Source of the order; default: a seed drawn from the global generator each epoch.

    Examples
    --------
    >>> import numpy as np
    >>> order = list(RandomSampler(range(5), generator=np.random.default_rng(0)))
    >>> sorted(order)
    [0, 1, 2, 3, 4]
    """

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None, generator: Any = None) -> None:
        self.data_source = data_source
        self.replacement = boolean(replacement, "replacement")
        self._num_samples = None if num_samples is None else positive(num_samples,
                                                                       "num_samples")
        self.generator = check_generator(generator)
        if self.num_samples <= 0:
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, rng = len(self.data_source), numpy_rng(self.generator)
        if self.replacement:
            yield from rng.integers(0, n, size=self.num_samples).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n)[:self.num_samples % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a random order (a new one each epoch).

    Examples
    --------
    >>> import numpy as np
    >>> sorted(SubsetRandomSampler([7, 3, 5], generator=np.random.default_rng(1)))
    [3, 5, 7]
    """

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        self.indices = indices
        self.generator = check_generator(generator)

    def __iter__(self) -> Iterator[int]:
        for i in numpy_rng(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices in ``[0, len(weights))``, drawn with probability ∝ weight.

    Examples
    --------
    >>> import numpy as np
    >>> set(WeightedRandomSampler([0.0, 1.0, 0.0], 5, generator=np.random.default_rng(0)))
    {1}
    """

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Any = None) -> None:
        self.num_samples = positive(num_samples, "num_samples")
        self.replacement = boolean(replacement, "replacement")
        self.weights = np.asarray(weights, dtype=np.float64)
        if self.weights.ndim != 1:
            raise ValueError("weights should be a 1d sequence but given weights have shape "
                             f"{self.weights.shape}")
        if (self.weights < 0).any() or not np.isfinite(self.weights).all() or (
                self.weights.sum() <= 0):
            raise ValueError("weights must be finite and >= 0, with a positive sum")
        self.generator = check_generator(generator)

    def __iter__(self) -> Iterator[int]:
        p = self.weights / self.weights.sum()
        rng = numpy_rng(self.generator)
        yield from rng.choice(len(p), size=self.num_samples, replace=self.replacement,
                              p=p).tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``.

    Examples
    --------
    >>> list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False))
    [[0, 1, 2], [3, 4, 5], [6]]
    >>> list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=True))
    [[0, 1, 2], [3, 4, 5]]
    """

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int,
                 drop_last: bool) -> None:
        self.sampler = sampler
        self.batch_size = positive(batch_size, "batch_size")
        self.drop_last = boolean(drop_last, "drop_last")

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
