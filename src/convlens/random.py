"""Seeded randomness: one default ``numpy.random.Generator`` that ``manual_seed`` resets.

Every function that draws random numbers also takes an explicit ``generator`` (or seed), so
results never depend on hidden state unless you ask for the default.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

_default = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the default generator to ``seed`` and return it (as ``torch.manual_seed``).

    Examples
    --------
    >>> import convlens as cl
    >>> _ = cl.manual_seed(0); a = cl.random.default_generator().random()
    >>> _ = cl.manual_seed(0); b = cl.random.default_generator().random()
    >>> a == b
    True
    """
    global _default
    if not isinstance(seed, Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int; got {seed!r}")
    _default = np.random.default_rng(int(seed))
    return _default


def default_generator() -> np.random.Generator:
    """The generator used when no explicit ``generator`` is passed."""
    return _default


def as_generator(generator: np.random.Generator | int | None) -> np.random.Generator:
    """Turn ``None`` (the default generator), an int seed, a :class:`Generator` or a NumPy
    Generator into a NumPy Generator."""
    if generator is None:
        return _default
    if isinstance(generator, Generator):
        return generator.rng
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, Integral) and not isinstance(generator, bool) and generator >= 0:
        return np.random.default_rng(int(generator))
    raise TypeError(
        f"generator must be None, a non-negative int seed or a numpy.random.Generator; "
        f"got {generator!r}"
    )


class Generator:
    """torch's ``Generator`` object: a seedable random stream to pass as ``generator=``.

    Parameters
    ----------
    device : str, default "cpu"
        Accepted for torch's signature; only the CPU exists.

    Examples
    --------
    >>> import convlens as cl
    >>> g = cl.Generator().manual_seed(0)
    >>> a = cl.rand(2, generator=g)
    >>> b = cl.rand(2, generator=cl.Generator().manual_seed(0))
    >>> a.equal(b)
    True
    """

    def __init__(self, device: str = "cpu") -> None:
        from .device import device as _device

        _device(device)
        self._seed = 0
        self.rng = np.random.default_rng(0)

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed``; returns self (so it can be chained)."""
        if not isinstance(seed, Integral) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be a non-negative int; got {seed!r}")
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        """The seed the stream last started from."""
        return self._seed

    def seed(self) -> int:
        """Restart from a fresh seed drawn from the default generator; return it."""
        return self.manual_seed(int(_default.integers(2**63))).initial_seed()
