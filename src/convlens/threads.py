"""One thread budget for everything convlens runs: ``set_num_threads`` / ``get_num_threads``.

The names and meaning are torch's (``torch.set_num_threads``): the number of threads used for
intra-op parallelism. One call sets all of convlens's pools at once, so that they never
compete for the same cores:

- BLAS (matrix products in ``linear`` and the gemm/Winograd engines), through
  ``threadpoolctl`` when it is installed (imported only here, only when called);
- the ``scipy.fft`` workers of the FFT engine and convlens's own pool for chunked NumPy work
  (:mod:`convlens.conv._threads`);
- the compiled engine's numba threads (applied on its next call).

convlens's own engines compute each output in a fixed order whichever thread runs it, but a
float32 BLAS product can differ in its last bit between thread counts, as torch's can. So
which count an operation uses depends only on its size and this budget, never on the
machine's load: operations below a fixed crossover run on one thread even when more are
allowed, because a thread hand-off costs more than it saves (see
:data:`convlens.conv._threads.SERIAL_BELOW` and ``docs/performance.md``).
"""

from __future__ import annotations

import importlib.util

from . import _validate

_blas_limits = None     # the threadpoolctl limiter that holds BLAS at our count


def get_num_threads() -> int:
    """The number of threads convlens uses for intra-op parallelism.

    Returns
    -------
    int
        The count set by :func:`set_num_threads`, or the number of cores available to this
        process if it was never called.

    Examples
    --------
    >>> import convlens as cl
    >>> cl.get_num_threads() >= 1
    True
    """
    from .conv import _threads

    return _threads.get_num_threads()


def set_num_threads(num_threads: int) -> None:
    """Use at most ``num_threads`` threads in BLAS, scipy.fft, convlens's pool and numba.

    Parameters
    ----------
    num_threads : int
        A positive number of threads, as in ``torch.set_num_threads``.

    Raises
    ------
    TypeError
        If ``num_threads`` is not an int.
    ValueError
        If ``num_threads`` is not positive.

    Notes
    -----
    BLAS is limited through ``threadpoolctl`` when it is installed; without it BLAS keeps
    its own setting (``OPENBLAS_NUM_THREADS`` and friends). On a machine where other
    processes keep the cores busy, one thread is often fastest for the small layers of
    LeNet-sized models: see ``docs/performance.md``.

    Examples
    --------
    >>> import convlens as cl
    >>> previous = cl.get_num_threads()
    >>> cl.set_num_threads(1)
    >>> cl.get_num_threads()
    1
    >>> cl.set_num_threads(previous)
    """
    global _blas_limits
    num_threads = _validate.positive_int(num_threads, "num_threads")
    from .conv import _threads, cost_model
    from .conv.choose import _priced

    _threads.set_num_threads(num_threads)
    if importlib.util.find_spec("threadpoolctl") is not None:
        from threadpoolctl import threadpool_limits

        _blas_limits = threadpool_limits(limits=num_threads, user_api="blas")
    # the compiled engine's estimates depend on the thread count
    cost_model.estimate.cache_clear()
    _priced.cache_clear()
