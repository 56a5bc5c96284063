"""``digits``: scikit-learn's bundled 8x8 handwritten digits (scikit-learn is an extra)."""

from __future__ import annotations

import numpy as np

from .dataset import ArrayDataset
from .split import stratified_split

TEST_FRACTION = 0.2
SEED = 0


def load_digits() -> tuple[ArrayDataset, ArrayDataset]:
    """Load scikit-learn's 1,797 digits as 8x8 images, split 80/20 (stratified, seed 0).

    Returns
    -------
    train, test : ArrayDataset
        Images float32 of shape (N, 1, 8, 8), pixel counts 0..16 scaled to [0, 1]; labels
        int64 0..9. The split puts ``round(0.2 * n_c)`` images of each class ``c`` in test:
        1,438 train and 359 test images.

    Raises
    ------
    ImportError
        If scikit-learn is not installed.

    Examples
    --------
    >>> train, test = load_digits()
    >>> train.x.shape, test.x.shape
    ((1438, 1, 8, 8), (359, 1, 8, 8))
    """
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise ImportError("the digits dataset comes from scikit-learn: "
                          "pip install scikit-learn") from None
    bunch = sklearn_digits()
    # Each pixel counts the set bits in a 4x4 block of the original 32x32 bitmap: 0..16.
    x = (bunch.images.astype(np.float32) / np.float32(16.0))[:, None]
    y = bunch.target.astype(np.int64)
    classes = tuple(str(c) for c in bunch.target_names)
    train_index, test_index = stratified_split(y, TEST_FRACTION, SEED)
    return (ArrayDataset(x[train_index], y[train_index], classes, "digits"),
            ArrayDataset(x[test_index], y[test_index], classes, "digits"))
