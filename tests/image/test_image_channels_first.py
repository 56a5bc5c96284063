"""image.filter refuses channels-first (C, H, W) arrays instead of filtering the wrong axes."""

import numpy as np
import pytest

from convlens import image


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 64, 64), (4, 16, 9)])
def test_channels_first_input_is_refused_with_the_fix(shape):
    with pytest.raises(ValueError, match=r"looks channels-first \(C, H, W\): pass "
                                         r"img.transpose\(1, 2, 0\)"):
        image.filter(np.zeros(shape), "box")


def test_channels_last_colour_and_tiny_images_still_work():
    assert image.filter(np.ones((8, 8, 3)), "box").shape == (8, 8, 3)
    assert image.filter(np.ones((3, 3, 3)), "box").shape == (3, 3, 3)
