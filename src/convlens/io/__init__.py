"""Saving and loading without pickle: ``save``/``load`` for models, state dicts and checkpoint
dicts; ``save_checkpoint``/``load_checkpoint`` for named arrays plus metadata.

``convlens.save`` and ``convlens.load`` are these functions. Files are zips holding one JSON
document and uncompressed ``.npy`` arrays (so ``np.load`` can open them too). Loading never
imports or runs anything named in the file, and bounds what it decompresses and allocates
(not what a header declares) before allocating it; a bad file raises :class:`ModelFileError`
(a ``ValueError``). The budgets are listed in ``docs/security.md``.
"""

from .checkpoint import load_checkpoint, save_checkpoint
from .errors import ModelFileError
from .model import load, save

__all__ = ["ModelFileError", "load", "load_checkpoint", "save", "save_checkpoint"]
