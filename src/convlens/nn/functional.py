"""``convlens.nn.functional``: the path torch code imports, ``import torch.nn.functional as F``.

Every name is :mod:`convlens.functional`'s own function (the same objects); this module only
gives them torch's import path. Names added to :mod:`convlens.functional` later show up here
too, through the module ``__getattr__``.

Examples
--------
>>> import convlens.nn.functional as F
>>> import convlens.functional
>>> F.relu is convlens.functional.relu
True
"""

from typing import Any

from .. import functional as _functional
from ..functional import *  # noqa: F403 - a re-export by design

__all__ = list(_functional.__all__)


def __getattr__(name: str) -> Any:
    try:
        return getattr(_functional, name)
    except AttributeError:
        raise AttributeError(f"module 'convlens.nn.functional' has no attribute {name!r}; "
                             "convlens.functional does not have it either") from None
