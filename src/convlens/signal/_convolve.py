"""``convolve``, ``correlate`` and ``choose_method``: the public face of :mod:`convlens.signal`.

Validation and mode handling live here; the arithmetic is in :mod:`._engines`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .. import _validate
from . import _engines

MODES = ("full", "same", "valid")
METHODS = ("auto", "direct", "fft")


def convolve(in1: ArrayLike, in2: ArrayLike, mode: str = "full",
             method: str = "auto") -> np.ndarray:
    """True N-d convolution of two arrays, with ``scipy.signal.convolve``'s semantics.

    ``out[n] = sum_j in1[n - j] * in2[j]``: the kernel ``in2`` is flipped along every axis
    as it slides over ``in1``. This is *not* what neural-network layers call convolution:
    :func:`convlens.functional.conv2d`, like ``torch.nn.functional.conv2d``, does not flip
    its filter, so it computes a cross-correlation (see :func:`correlate`).

    Parameters
    ----------
    in1 : array_like
        First input, N-d, of a bool, integer, float or complex dtype.
    in2 : array_like
        Second input (the kernel), with as many dimensions as ``in1``.
    mode : {"full", "same", "valid"}, default "full"
        ``"full"``: every output where the inputs overlap at all.
        ``"same"``: the size of ``in1``, cut from the middle of "full": it starts at index
        ``(n2 - 1) // 2`` of "full", so with an even kernel the extra sample is on the left.
        ``"valid"``: only outputs that need no zero padding. Either input may be the larger,
        but one must be at least as large as the other along every axis.
    method : {"auto", "direct", "fft"}, default "auto"
        ``"direct"`` adds one shifted, scaled copy of the larger input per element of the
        smaller one (exact for integers). ``"fft"`` multiplies spectra computed with
        ``scipy.fft`` at a zero-padded fast size. ``"auto"`` asks :func:`choose_method`.

    Returns
    -------
    ndarray
        dtype ``np.result_type(in1, in2)``. Along each axis, with ``n1``, ``n2`` the input
        sizes, the length is ``n1 + n2 - 1`` ("full"), ``n1`` ("same") or
        ``|n1 - n2| + 1`` ("valid"). Two 0-d inputs give their product, as in scipy.

    Raises
    ------
    ValueError
        Unknown ``mode`` or ``method``; inputs with different numbers of dimensions; an
        empty ``in2``, or an empty ``in1`` outside ``mode="same"``; ``mode="valid"`` when
        neither input is at least as large as the other along every axis.
    TypeError
        An input that is not an array of bools, integers, floats or complex numbers.

    Notes
    -----
    Convolution flips the kernel and correlation does not, so for every mode::

        convolve(a, k) == correlate(a, k[::-1, ::-1])            # real k
        convolve(a, k) == correlate(a, k[::-1, ::-1].conj())     # complex k

    A single-channel ``F.conv2d(x, w)`` with no padding and stride 1 therefore equals
    ``convolve(x[0, 0], w[0, 0, ::-1, ::-1], mode="valid")``.

    "full" and "valid" are symmetric in ``in1`` and ``in2``; "same" is not, since its
    output takes the shape of ``in1``. With ``method="fft"`` a NaN or inf anywhere in the
    input spreads over the whole output, which is why "auto" never picks "fft" for such input.

    Examples
    --------
    >>> from convlens import signal
    >>> signal.convolve([1, 2, 3], [0, 1, 0.5])
    array([0. , 1. , 2.5, 4. , 1.5])
    >>> signal.convolve([1, 2, 3], [0, 1, 0.5], mode="same")
    array([1. , 2.5, 4. ])
    >>> signal.convolve([1, 2, 3], [0, 1, 0.5], mode="valid")
    array([2.5])
    """
    a, b = _prepare("convolve", in1, in2, mode, method)
    if a.ndim == 0:
        return a * b
    return _convolve_arrays(a, b, mode, method)


def correlate(in1: ArrayLike, in2: ArrayLike, mode: str = "full",
              method: str = "auto") -> np.ndarray:
    """N-d cross-correlation of two arrays, with ``scipy.signal.correlate``'s semantics.

    The kernel ``in2`` slides over ``in1`` *without* being flipped, and is conjugated when
    complex. This is what neural-network layers call "convolution": a single-channel
    :func:`convlens.functional.conv2d` with no padding and stride 1 equals
    ``correlate(x, w, mode="valid")``.

    Parameters
    ----------
    in1 : array_like
        First input, N-d, of a bool, integer, float or complex dtype.
    in2 : array_like
        Second input (the template or filter), with as many dimensions as ``in1``.
    mode : {"full", "same", "valid"}, default "full"
        Which outputs to keep, exactly as in :func:`convolve`: "same" has the shape of
        ``in1`` and starts at index ``(n2 - 1) // 2`` of "full"; "valid" keeps the
        ``|n1 - n2| + 1`` outputs per axis that need no zero padding.
    method : {"auto", "direct", "fft"}, default "auto"
        As in :func:`convolve`.

    Returns
    -------
    ndarray
        dtype ``np.result_type(in1, in2)``, shaped as for :func:`convolve`. Two 0-d inputs
        give ``in1 * conj(in2)``.

    Raises
    ------
    ValueError
        As :func:`convolve`: unknown ``mode`` or ``method``, mismatched dimensions, empty
        input, or ``mode="valid"`` with neither input the larger along every axis.
    TypeError
        An input that is not an array of bools, integers, floats or complex numbers.

    Notes
    -----
    In "full" mode, along one axis,
    ``out[n] = sum_j in1[n + j - (n2 - 1)] * conj(in2[j])``, so output index ``n2 - 1`` is
    lag 0. Correlation is convolution with the flipped, conjugated kernel, for every mode::

        correlate(a, k) == convolve(a, k[::-1, ::-1].conj())

    and so ``F.conv2d(x, w)`` on one channel equals
    ``convolve(x[0, 0], w[0, 0, ::-1, ::-1], mode="valid")``.

    Examples
    --------
    >>> from convlens import signal
    >>> signal.correlate([1, 2, 3], [0, 1, 0.5])
    array([0.5, 2. , 3.5, 3. , 0. ])
    >>> signal.correlate([1, 2, 3], [0, 1, 0.5], mode="valid")
    array([3.5])
    >>> signal.correlate([1j, 2], [1j, 1], mode="valid")
    array([3.+0.j])
    """
    a, b = _prepare("correlate", in1, in2, mode, method)
    b = b.conj() if b.dtype.kind == "c" else b
    if a.ndim == 0:
        return a * b
    return _convolve_arrays(a, b[(slice(None, None, -1),) * b.ndim], mode, method)


def choose_method(in1: ArrayLike, in2: ArrayLike, mode: str = "full") -> str:
    """Say whether ``convolve``/``correlate`` with ``method="auto"`` will use "direct" or "fft".

    Like ``scipy.signal.choose_conv_method``, but by a cost estimate, never by timing.

    Parameters
    ----------
    in1, in2 : array_like
        The inputs, as for :func:`convolve`.
    mode : {"full", "same", "valid"}, default "full"

    Returns
    -------
    str
        ``"direct"`` or ``"fft"``.

    Raises
    ------
    ValueError, TypeError
        For the inputs that :func:`convolve` rejects.

    Notes
    -----
    With ``out`` the number of outputs, ``taps`` the element count of the smaller input and
    ``F`` the product of the FFT sizes (``scipy.fft.next_fast_len`` per axis, just large
    enough that circular wrap-around misses the outputs kept), in units of one multiply-add::

        direct cost = taps * (out + 5000)
        fft cost    = 3 * F * log(F) + 50000

    ``out * taps`` and ``F * log(F)`` are the textbook operation counts; the constants (the
    FFT's cost per point, and the fixed overheads per tap and per call) were fitted to
    timings on the project's machines. The cheaper wins. Integer and bool results always
    use "direct", so they stay exact, and so does input holding NaN or inf (FFT would
    spread it over the whole output).

    Examples
    --------
    >>> import numpy as np
    >>> from convlens import signal
    >>> signal.choose_method(np.ones((64, 64)), np.ones((3, 3)), mode="same")
    'direct'
    >>> signal.choose_method(np.ones((64, 64)), np.ones((15, 15)), mode="same")
    'fft'
    >>> signal.choose_method(np.ones((64, 64), int), np.ones((15, 15), int))
    'direct'
    """
    a, b = _prepare("choose_method", in1, in2, mode, "auto")
    if a.ndim == 0 or 0 in a.shape:
        return "direct"
    return _auto(a, b, _engines.window(a.shape, b.shape, mode))


def _convolve_arrays(a: np.ndarray, b: np.ndarray, mode: str, method: str) -> np.ndarray:
    """Convolve validated, non-scalar inputs with the chosen engine."""
    dtype = np.result_type(a, b)
    win = _engines.window(a.shape, b.shape, mode)
    if any(start == stop for start, stop in win):  # only "same" with an empty in1
        return np.zeros(a.shape, dtype=dtype)
    if method == "auto":
        method = _auto(a, b, win)
    engine = _engines.fft if method == "fft" else _engines.direct
    return engine(a, b, win, dtype)


def _auto(a: np.ndarray, b: np.ndarray, win: _engines.Window) -> str:
    """The cheaper engine by estimate, but "direct" for integer results or non-finite input."""
    if np.result_type(a, b).kind in "biu":
        return "direct"
    direct_cost, fft_cost = _engines.costs(a.shape, b.shape, win)
    if fft_cost >= direct_cost:
        return "direct"
    return "fft" if np.isfinite(a).all() and np.isfinite(b).all() else "direct"


def _prepare(op: str, in1: ArrayLike, in2: ArrayLike, mode: str,
             method: str) -> tuple[np.ndarray, np.ndarray]:
    """Check every argument and return the inputs as ndarrays."""
    _validate.one_of(mode, MODES, "mode")
    _validate.one_of(method, METHODS, "method")
    a, b = _numeric_array(in1, "in1", op), _numeric_array(in2, "in2", op)
    shapes = f"got in1 with shape {a.shape} and in2 with shape {b.shape}"
    if a.ndim != b.ndim:
        raise ValueError(f"{op} expects in1 and in2 to have the same number of dimensions; "
                         f"{shapes}")
    if b.size == 0 or (a.size == 0 and mode != "same"):
        raise ValueError(f"{op} expects non-empty inputs (in1 may be empty only with "
                         f"mode='same'); {shapes}")
    if mode == "valid" and not (
        all(n1 >= n2 for n1, n2 in zip(a.shape, b.shape))
        or all(n1 <= n2 for n1, n2 in zip(a.shape, b.shape))
    ):
        raise ValueError(f"{op} with mode='valid' needs one input at least as large as the "
                         f"other along every axis; {shapes}")
    return a, b


def _numeric_array(value: ArrayLike, name: str, op: str) -> np.ndarray:
    """``np.asarray(value)``, which must hold bools, integers, floats or complex numbers."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:  # ragged nested lists, for one
        raise TypeError(f"{op} expects {name} to be an array of numbers; got "
                        f"{type(value).__name__} that NumPy cannot turn into one") from err
    if array.dtype.kind not in "biufc":
        raise TypeError(f"{op} expects {name} to hold bools, integers, floats or complex "
                        f"numbers; got an array of dtype {array.dtype}")
    return array
