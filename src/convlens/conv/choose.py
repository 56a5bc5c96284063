"""The one place that decides which engine computes a convolution.

``algorithm="auto"`` picks the engine with the lowest estimated time under
:mod:`convlens.conv.cost_model` (or, with :func:`convlens.conv.autotune` on, the fastest
measured one); any other name forces that engine, and a forced engine that cannot compute
the convolution is a ``ValueError`` naming the engine and the feature it lacks. Every engine
is a module with ``forward``, ``grad_input``, ``grad_weight`` and ``CAPABILITIES``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from types import ModuleType

import numpy as np

from .. import _validate
from . import compiled, cost_model, direct, fft, gemm, nonfinite, winograd
from . import tuning as _autotune
from .context import ConvContext
from .geometry import ConvSpec
from .spectrum_cache import SPECTRA

ENGINES: dict[str, ModuleType] = {"direct": direct, "gemm": gemm, "winograd": winograd,
                                  "fft": fft, "compiled": compiled}
ALGORITHMS = ("auto", *ENGINES)


def unsupported(name: str, w_shape: tuple[int, ...], spec: ConvSpec) -> str | None:
    """Why engine ``name`` cannot compute this convolution, or ``None`` if it can."""
    return ENGINES[name].CAPABILITIES.unsupported(tuple(w_shape), spec)


def spectrum_cached(x_shape: tuple[int, ...], w_shape: tuple[int, ...], spec: ConvSpec,
                    dtype: np.dtype, ctx: ConvContext | None, conjugate: bool = False) -> bool:
    """Whether the FFT engine would find this weight's spectrum (or, for ``grad_input``, its
    conjugate) in the cache.

    ``ctx.weight`` is the weight's owner; its current values (``_data``) validate the entry.
    """
    if ctx is None or ctx.weight is None or not hasattr(ctx.weight, "_data"):
        return False
    tag = fft.spectrum_tag(tuple(w_shape), np.dtype(dtype), fft.plan_for(x_shape, w_shape,
                                                                        spec), spec, conjugate)
    return SPECTRA.contains(ctx.weight, ctx.weight._data, tag)


def estimates(x_shape: tuple[int, ...], w_shape: tuple[int, ...], spec: ConvSpec,
              dtype: np.dtype = np.float32, requires_grad: bool = False,
              cached: bool = False, transposed: bool = False,
              input_grad: bool = True) -> dict[str, float | str]:
    """Estimated seconds per engine, or the reason an engine is unsupported.

    With ``transposed``, the shapes and spec are those of the convolution whose
    ``grad_input`` the transposed convolution is (see :mod:`convlens.conv.transposed`).
    Without ``input_grad``, training is priced without the ``grad_input`` pass.
    """
    result: dict[str, float | str] = {}
    itemsize = np.dtype(dtype).itemsize
    for name in ENGINES:
        reason = unsupported(name, w_shape, spec)
        result[name] = reason if reason is not None else cost_model.estimate(
            name, tuple(x_shape), tuple(w_shape), spec, itemsize, requires_grad,
            cached and name == "fft", transposed, input_grad)
    return result


def choose(x_shape: tuple[int, ...], w_shape: tuple[int, ...], spec: ConvSpec,
           algorithm: str = "auto", *, dtype: np.dtype = np.float32,
           requires_grad: bool = False, ctx: ConvContext | None = None,
           transposed: bool = False, input_grad: bool = True) -> str:
    """Return the name of the engine that will run this convolution.

    Parameters
    ----------
    x_shape, w_shape : tuple of int
        Batched input shape (N, C, *S) and weight shape (O, C/groups, *K).
    spec : ConvSpec
        Validated stride, padding, dilation and groups.
    algorithm : str, default "auto"
        ``"auto"`` or the name of an engine in ``ENGINES``.
    dtype : numpy dtype, default float32
    requires_grad : bool, default False
        Whether backward will run too (then forward + backward cost is compared).
    ctx : ConvContext, optional
        Names the weight, so that a cached filter spectrum makes the FFT engine cheaper.
    transposed : bool, default False
        Choose for a transposed convolution: the shapes and spec describe the convolution
        whose ``grad_input`` it is, and its forward is priced as that pass. Autotuning
        (:func:`convlens.conv.autotune`) times convolutions only, so it does not apply.
    input_grad : bool, default True
        Whether backward computes the input's gradient (a first layer's input needs none,
        so only forward and ``grad_weight`` are priced).

    Returns
    -------
    str
        A key of ``ENGINES``.

    Raises
    ------
    ValueError
        If ``algorithm`` names no known engine, or names one that cannot compute this
        convolution.
    """
    _validate.one_of(algorithm, ALGORITHMS, "algorithm")
    if algorithm == "compiled":
        compiled.require()      # ImportError naming the extra when numba is missing
    if algorithm != "auto":
        reason = unsupported(algorithm, w_shape, spec)
        if reason is not None:
            raise ValueError(f"algorithm={algorithm!r} cannot compute this convolution: the "
                             f"{algorithm} engine does not support {reason}")
        return algorithm
    if math.prod(x_shape) == 0 or math.prod(w_shape) == 0:
        return "gemm"
    key = (tuple(x_shape), tuple(w_shape), spec, np.dtype(dtype).str, bool(requires_grad))
    conjugate = transposed and not requires_grad
    if _autotune.autotune() and not transposed:
        cached = spectrum_cached(x_shape, w_shape, spec, dtype, ctx, conjugate)
        return _autotune.best(key, _priced(*key, cached), ENGINES)
    costs = _priced(*key, False, transposed, bool(input_grad))
    best = _cheapest(costs)
    if best != "fft" and "fft" in costs:
        # A cached filter spectrum makes FFT cheaper; look it up only if that would win.
        if _cheapest(_priced(*key, True, transposed, bool(input_grad))) == "fft" and \
                spectrum_cached(x_shape, w_shape, spec, dtype, ctx, conjugate):
            return "fft"
    return best


def _cheapest(costs: dict[str, float]) -> str:
    """The engine with the lowest estimate after its margin (``cost_model.MARGIN``)."""
    return min(costs, key=lambda name: costs[name] * cost_model.MARGIN[name])


@functools.lru_cache(maxsize=4096)
def _priced(x_shape, w_shape, spec, dtype, requires_grad, cached,
            transposed=False, input_grad=True) -> dict[str, float]:
    """Estimated seconds of every engine ``auto`` may pick for the case (memoised per shape)."""
    return {name: cost for name, cost in estimates(x_shape, w_shape, spec, np.dtype(dtype),
                                                   requires_grad, cached, transposed,
                                                   input_grad).items()
            if not isinstance(cost, str) and auto_skips(name, dtype) is None}


def auto_skips(name: str, dtype: np.dtype) -> str | None:
    """Why ``algorithm="auto"`` never picks engine ``name`` in ``dtype``, or ``None``.

    Examples
    --------
    >>> print(auto_skips("winograd", np.float32))
    float32 rounding error above 5x PyTorch's; force it with algorithm="winograd"
    >>> auto_skips("winograd", np.float64) is None
    True
    """
    if np.dtype(dtype) == np.float32 and not ENGINES[name].CAPABILITIES.auto_float32:
        return f'float32 rounding error above 5x PyTorch\'s; force it with algorithm="{name}"'
    return None


def uses_blas(name: str, w_shape: tuple[int, ...], spec: ConvSpec) -> bool:
    """Whether engine ``name`` may call BLAS (or split work by the thread count) on this layer
    (``CAPABILITIES.uses_blas``; only the compiled engine's flat loops never do)."""
    return ENGINES[name].CAPABILITIES.uses_blas(w_shape, spec)


def engine(name: str) -> ModuleType:
    """The engine module registered under ``name``."""
    return ENGINES[_validate.one_of(name, ENGINES, "algorithm")]


def runner(name: str, pass_: str, *operands: np.ndarray) -> Callable[..., np.ndarray]:
    """The function that computes ``pass_`` of engine ``name`` for these operands.

    That is the engine's own function, unless an operand that the engine would spread
    (``CAPABILITIES.spreads``) holds NaN or inf: then it is the local fallback of
    :mod:`convlens.conv.nonfinite`, so non-finite values reach exactly the outputs they reach
    in the ``direct`` oracle (and in PyTorch). The check is one reduction per such operand.

    Parameters
    ----------
    name : str
        A key of ``ENGINES``.
    pass_ : {"forward", "grad_input", "grad_weight"}
    *operands : ndarray
        The arrays the pass reads: (x, w), (grad_output, w) or (grad_output, x).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((1, 1, 8, 8)); x[0, 0, 0, 0] = np.nan
    >>> runner("fft", "forward", x, np.ones((1, 1, 3, 3))).__module__
    'convlens.conv.nonfinite'
    """
    module = ENGINES[_validate.one_of(name, ENGINES, "algorithm")]
    spread = module.CAPABILITIES.spreads.get(pass_, range(len(operands)))
    if nonfinite.all_finite(*(operands[i] for i in spread)):
        return getattr(module, pass_)
    return getattr(nonfinite, pass_)
