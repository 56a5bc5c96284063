"""Saving and loading without pickle: ``save``/``load`` for models, checkpoints for training.

``convlens.save`` and ``convlens.load`` are these functions. Files are zips holding one JSON
document and uncompressed ``.npy`` arrays (so ``np.load`` can open them too). Loading never
imports or runs anything named in the file, and every declared size is checked before
anything is allocated; a bad file raises :class:`ModelFileError` (a ``ValueError``).
"""

from .checkpoint import load_checkpoint, save_checkpoint
from .errors import ModelFileError
from .model import load, save

__all__ = ["ModelFileError", "load", "load_checkpoint", "save", "save_checkpoint"]
