"""Seeded randomness: manual_seed and as_generator."""

import numpy as np
import pytest

import convlens as cl
from convlens.random import as_generator, default_generator


def test_manual_seed_resets_the_default_generator():
    cl.manual_seed(5)
    first = default_generator().random(3)
    cl.manual_seed(5)
    np.testing.assert_array_equal(first, default_generator().random(3))
    assert as_generator(None) is default_generator()


def test_as_generator_accepts_seeds_and_generators():
    rng = np.random.default_rng(1)
    assert as_generator(rng) is rng
    np.testing.assert_array_equal(as_generator(4).random(2), np.random.default_rng(4).random(2))


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_bad_generators_and_seeds_are_refused(bad):
    with pytest.raises(TypeError, match="generator must be None, a non-negative int seed or a "
                                        "numpy.random.Generator"):
        as_generator(bad)
    with pytest.raises(ValueError, match="seed must be a non-negative int; got"):
        cl.manual_seed(bad)
