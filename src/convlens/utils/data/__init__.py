"""Datasets, samplers and the DataLoader with ``torch.utils.data``'s names and meanings.

``import convlens as torch`` then ``from torch.utils.data import DataLoader, TensorDataset``
works unchanged. ``num_workers > 0`` loads batches on worker threads (see
:class:`DataLoader`); randomness comes from an explicit ``generator`` or from
:func:`convlens.manual_seed`'s global generator.
"""

from ._workers import WorkerInfo, get_worker_info
from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import (
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
    "RandomSampler", "Sampler", "SequentialSampler", "Subset", "SubsetRandomSampler",
    "TensorDataset", "WeightedRandomSampler", "WorkerInfo", "default_collate",
    "default_convert", "get_worker_info", "random_split",
]
