"""The one place that decides which engine computes a convolution.

``algorithm="auto"`` asks :func:`choose`; any other name forces that engine. Every engine is a
module with ``forward``, ``grad_input`` and ``grad_weight`` (see :mod:`convlens.conv.direct`).
"""

from __future__ import annotations

from types import ModuleType

from .. import _validate
from . import direct, gemm
from .geometry import ConvSpec

ENGINES: dict[str, ModuleType] = {"direct": direct, "gemm": gemm}
ALGORITHMS = ("auto", *ENGINES)


def choose(x_shape: tuple[int, ...], w_shape: tuple[int, ...], spec: ConvSpec,
           algorithm: str = "auto") -> str:
    """Return the name of the engine that will run this convolution.

    Parameters
    ----------
    x_shape, w_shape : tuple of int
        Batched input shape (N, C, *S) and weight shape (O, C/groups, *K).
    spec : ConvSpec
        Validated stride, padding, dilation and groups.
    algorithm : str, default "auto"
        ``"auto"`` or the name of an engine in ``ENGINES``.

    Raises
    ------
    ValueError
        If ``algorithm`` names no known engine.
    """
    _validate.one_of(algorithm, ALGORITHMS, "algorithm")
    if algorithm != "auto":
        return algorithm
    return "gemm"


def engine(name: str) -> ModuleType:
    """The engine module registered under ``name``."""
    return ENGINES[_validate.one_of(name, ENGINES, "algorithm")]
