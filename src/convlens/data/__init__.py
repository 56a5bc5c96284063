"""Datasets, the :class:`DataLoader` and batch transforms.

``load_dataset(name)`` returns ``(train, test)`` :class:`ArrayDataset` pairs: the bundled
``mnist-5k``, ``digits`` (scikit-learn), ``mnist1d`` (the mnist1d package), and ``mnist``,
``fashion-mnist``, ``cifar10`` and ``image-folder`` from local files. Nothing is downloaded.
The optional packages are imported only when their dataset is loaded.
"""

from .dataset import ArrayDataset
from .loader import DataLoader
from .registry import DATASETS, load_dataset
from .transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip, RandomShift

__all__ = [
    "DATASETS",
    "ArrayDataset",
    "Compose",
    "DataLoader",
    "Normalize",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomShift",
    "load_dataset",
]
