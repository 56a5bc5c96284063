"""Where the samplers' randomness comes from: an explicit generator, or convlens's global one.

torch samplers take a ``torch.Generator``. convlens accepts:

- ``None``: a fresh seed is drawn from :func:`convlens.random.default_generator` each time one
  is needed, so ``cl.manual_seed(s)`` makes every later shuffle reproducible, as
  ``torch.manual_seed`` does;
- a ``numpy.random.Generator``: drawn from directly, so its state advances with every epoch;
- a ``cl.Generator`` (anything whose ``rng`` attribute is a ``numpy.random.Generator``): its
  ``rng`` is drawn from, so ``g.manual_seed(s)`` restarts the stream, as in torch;
- any other object with ``manual_seed`` and ``initial_seed()`` (even a ``torch.Generator``): a
  NumPy generator is seeded with its ``initial_seed()`` the first time and reused afterwards,
  and re-seeded whenever ``initial_seed()`` changes. Two such generators with the same seed
  give the same sequence of epochs.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from ... import random as _random

_SEEDED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_BY_ID: dict[int, tuple[int, np.random.Generator]] = {}


def check_generator(generator: Any, name: str = "generator") -> Any:
    """Return ``generator`` if it is one of the accepted kinds, else raise TypeError."""
    if generator is None or isinstance(generator, np.random.Generator):
        return generator
    if isinstance(getattr(generator, "rng", None), np.random.Generator):
        return generator
    if callable(getattr(generator, "manual_seed", None)) and callable(
            getattr(generator, "initial_seed", None)):
        return generator
    raise TypeError(f"{name} must be None, a numpy.random.Generator, a convlens Generator or a "
                    "generator with manual_seed() and initial_seed(); got "
                    f"{type(generator).__name__}")


def numpy_rng(generator: Any) -> np.random.Generator:
    """A NumPy generator to draw one epoch's (or one split's) random numbers from."""
    if generator is None:
        seed = int(_random.default_generator().integers(0, 2**63 - 1))
        return np.random.default_rng(seed)
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(getattr(generator, "rng", None), np.random.Generator):
        return generator.rng
    seed = int(generator.initial_seed())
    try:
        entry = _SEEDED.get(generator)
    except TypeError:  # a generator type that takes no weak references: key on its id
        generator, entry = id(generator), _BY_ID.get(id(generator))
    if entry is None or entry[0] != seed:
        entry = (seed, np.random.default_rng(seed))
        (_BY_ID if isinstance(generator, int) else _SEEDED)[generator] = entry
    return entry[1]
