"""A stratified train/test split, the same for every run with the same seed."""

from __future__ import annotations

import numpy as np

from .. import _validate
from . import _checks


def check_split_args(test_fraction: float, seed: int) -> tuple[float, int]:
    """Validate ``test_fraction`` (strictly between 0 and 1) and ``seed`` (an int >= 0)."""
    fraction = _validate.real_number(test_fraction, "test_fraction", low=0.0, high=1.0)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"test_fraction must be strictly between 0 and 1; got {fraction}")
    return fraction, _checks.seed(seed)


def stratified_split(y: np.ndarray, test_fraction: float = 0.2,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Split sample indices into train and test, keeping each class's share in both.

    Parameters
    ----------
    y : ndarray of int, shape (N,)
        Class labels.
    test_fraction : float, default 0.2
        Share of each class that goes to the test split, in ``(0, 1)``.
    seed : int, default 0
        Seed of the ``numpy.random.default_rng`` that draws the split.

    Returns
    -------
    train_index, test_index : ndarray of int64
        Disjoint indices into ``y`` that together cover every sample. Each holds its samples in
        a random order (drawn from ``seed``), so classes come mixed rather than sorted.

    Raises
    ------
    ValueError
        If ``test_fraction`` is outside ``(0, 1)`` or ``seed`` is negative.

    Notes
    -----
    Class ``c`` with ``n_c`` samples puts ``round(n_c * test_fraction)`` of them in the test split.
    The classes are visited in increasing order and draw from one generator, so the result
    depends only on ``y`` and ``seed``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.repeat(np.arange(3), 10)
    >>> train, test = stratified_split(y, test_fraction=0.2, seed=0)
    >>> len(train), len(test), np.bincount(y[test]).tolist()
    (24, 6, [2, 2, 2])
    """
    fraction, seed = check_split_args(test_fraction, seed)
    rng = np.random.default_rng(seed)
    y = np.asarray(y)
    train, test = [], []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        n_test = int(round(len(members) * fraction))
        test.append(members[:n_test])
        train.append(members[n_test:])
    train_index = rng.permutation(np.concatenate(train)).astype(np.int64)
    test_index = rng.permutation(np.concatenate(test)).astype(np.int64)
    return train_index, test_index
