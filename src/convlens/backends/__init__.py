"""``convlens.backends``: torch's backend switches that scripts set, with their meaning here.

``backends.cudnn.benchmark = True`` turns on measured engine choice for convolutions
(:func:`convlens.conv.autotune`), which is what it asks for in torch; ``backends.mps``
reports that there is no Apple GPU backend.
"""

from . import cudnn, mps

__all__ = ["cudnn", "mps"]
