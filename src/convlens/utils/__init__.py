"""Torch's ``torch.utils`` names that convlens has: :mod:`convlens.utils.data`.

``import convlens as torch`` then ``torch.utils.data.DataLoader`` works, as does
``from convlens.utils.data import DataLoader, TensorDataset``.
"""

from . import data

__all__ = ["data"]
