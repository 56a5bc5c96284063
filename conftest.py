"""Collection rules for the doctest run over ``src/convlens`` (see pyproject's testpaths).

The compiled engine's kernel module imports numba at the top (its kernels are decorated at
import); without the optional extra it cannot be imported, so it is not collected.
"""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("numba") else [
    "src/convlens/conv/_compiled_kernels.py"]
