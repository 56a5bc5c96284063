"""Engine-suite plumbing: tests of the ``compiled`` engine skip when numba is not installed.

The suites themselves are parametrised over ``conv.ENGINES``, which always lists
``compiled``; without numba the engine cannot run, so its cases are skipped here rather than
left out of the list. ``tests/conv/test_conv_compiled.py`` runs the functional suite with the
engine enabled and disabled (``conv.compiled.enabled``), so both ways are covered in one run.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

HAS_NUMBA = importlib.util.find_spec("numba") is not None


def pytest_collection_modifyitems(config, items):
    if HAS_NUMBA:
        return
    skip = pytest.mark.skip(reason="the compiled engine needs numba (pip install convlens[jit])")
    for item in items:
        if Path(item.path).parent != Path(__file__).parent:
            continue
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "compiled" in params.values():
            item.add_marker(skip)
