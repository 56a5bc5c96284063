"""``DataLoader``: deterministic mini-batches of an :class:`ArrayDataset` as convlens Tensors.

The order of the indices comes from :mod:`convlens.utils.data`'s samplers; what this loader adds
is the per-epoch seeding (``seed`` and ``set_epoch``) and the batch transforms that
:func:`convlens.fit` relies on. For torch's own loader use :class:`convlens.utils.data.DataLoader`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from .. import _validate
from ..tensor import Tensor, tensor
from ..utils.data import BatchSampler, RandomSampler, Sampler, SequentialSampler
from . import _checks
from .dataset import ArrayDataset


class DataLoader:
    """Iterate over a dataset in mini-batches, in an order fixed by ``seed`` and the epoch.

    Parameters
    ----------
    dataset : ArrayDataset or (ndarray, ndarray)
        The samples; a pair ``(x, y)`` is wrapped in an :class:`ArrayDataset`.
    batch_size : int, default 64
        Samples per batch.
    shuffle : bool, default False
        Visit the samples in a new random order every epoch.
    seed : int, default 0
        Seed of the shuffling and of the random transforms.
    drop_last : bool, default False
        Drop the last batch when it is smaller than ``batch_size``.
    transform : callable, optional
        ``transform(x_batch, rng) -> x_batch`` applied to each batch of inputs, such as a
        :class:`~convlens.data.transforms.Compose` of augmentations.

    Attributes
    ----------
    epoch : int
        The epoch the next iteration will produce; starts at 0 and goes up by one each time an
        iteration runs to its end (a ``break`` does not count).

    Yields
    ------
    x : Tensor, float32 of shape (B, *input_shape)
        (the shape the transform returns, if it changes it)
    y : Tensor, int64 of shape (B,)

    Raises
    ------
    TypeError, ValueError
        For a dataset that is not an ArrayDataset or (x, y) pair, or invalid arguments.

    Notes
    -----
    Epoch ``e`` visits the samples in the order ``np.random.default_rng([seed, e])
    .permutation(N)`` (or ``0 .. N-1`` without shuffling). Batch ``b`` of epoch ``e`` gives
    its transform ``np.random.default_rng(np.random.SeedSequence([seed, e], spawn_key=(b,)))``.
    Nothing else feeds the randomness, so ``set_epoch(e)`` on a new loader reproduces epoch
    ``e`` exactly, as a resumed training run needs. ``len(loader)`` is ``N // batch_size``
    with ``drop_last``, else ``ceil(N / batch_size)``.

    Examples
    --------
    >>> import numpy as np
    >>> ds = ArrayDataset(np.zeros((10, 1, 4, 4), np.float32), np.arange(10) % 3)
    >>> loader = DataLoader(ds, batch_size=4, shuffle=True, seed=0)
    >>> len(loader), [tuple(x.shape) for x, y in loader]
    (3, [(4, 1, 4, 4), (4, 1, 4, 4), (2, 1, 4, 4)])
    >>> loader.epoch
    1
    """

    def __init__(self, dataset: ArrayDataset | tuple[np.ndarray, np.ndarray],
                 batch_size: int = 64, shuffle: bool = False, seed: int = 0,
                 drop_last: bool = False, transform: Callable | None = None) -> None:
        if isinstance(dataset, tuple) and len(dataset) == 2:
            dataset = ArrayDataset(*dataset)
        if not isinstance(dataset, ArrayDataset):
            raise TypeError("DataLoader expects dataset to be an ArrayDataset or an (x, y) pair "
                            f"of ndarrays; got {type(dataset).__name__}")
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be callable or None; got {type(transform).__name__}")
        self.dataset = dataset
        self.batch_size = _validate.positive_int(batch_size, "batch_size")
        self.shuffle = _checks.boolean(shuffle, "shuffle")
        self.seed = _checks.seed(seed)
        self.drop_last = _checks.boolean(drop_last, "drop_last")
        self.transform = transform
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration produce epoch ``epoch`` (its order and augmentations)."""
        self.epoch = _checks.seed(epoch, "epoch")

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _sampler(self, epoch: int | None = None) -> Sampler:
        """The :mod:`convlens.utils.data` sampler that orders ``epoch`` (default: the next)."""
        epoch = self.epoch if epoch is None else _checks.seed(epoch, "epoch")
        if not self.shuffle:
            return SequentialSampler(self.dataset)
        return RandomSampler(self.dataset,
                             generator=np.random.default_rng([self.seed, epoch]))

    def order(self, epoch: int | None = None) -> np.ndarray:
        """The sample indices of ``epoch`` (default: the next one), in the order visited."""
        return np.fromiter(self._sampler(epoch), dtype=np.int64, count=len(self.dataset))

    def _transform(self, x: np.ndarray, epoch: int, batch_index: int) -> np.ndarray:
        # spawn_key keeps this stream apart from the shuffle's: default_rng([seed, e, 0]) would
        # equal default_rng([seed, e]), since SeedSequence pads short entropy with zeros.
        sequence = np.random.SeedSequence([self.seed, epoch], spawn_key=(batch_index,))
        out = self.transform(x, np.random.default_rng(sequence))
        if not isinstance(out, np.ndarray) or out.ndim < 2 or len(out) != len(x):
            got = out.shape if isinstance(out, np.ndarray) else type(out).__name__
            raise ValueError(f"transform must return an ndarray with the batch's {len(x)} "
                             f"samples first; {self.transform!r} returned {got}")
        return out

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        epoch = self.epoch
        batches = BatchSampler(self._sampler(epoch), self.batch_size, self.drop_last)
        for b, index in enumerate(batches):
            x = self.dataset.x[index]
            if self.transform is not None:
                x = self._transform(x, epoch, b)
            yield tensor(x, dtype=np.float32), tensor(self.dataset.y[index])
        self.epoch = epoch + 1

    def __repr__(self) -> str:
        return (f"DataLoader(dataset={self.dataset!r}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, seed={self.seed}, drop_last={self.drop_last}, "
                f"transform={self.transform!r})")
