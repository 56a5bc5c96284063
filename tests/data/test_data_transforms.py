"""Batch transforms, checked against straightforward per-pixel definitions."""

import itertools

import numpy as np
import pytest

from convlens.data import (
    Compose,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    RandomShift,
)


def _batch(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _shifted(sample, offsets, fill):
    """out[..., i] = sample[..., i - d] inside the frame, ``fill`` outside (one pixel at a time)."""
    out = np.full_like(sample, fill)
    for position in itertools.product(*(range(n) for n in sample.shape[1:])):
        source = tuple(p - d for p, d in zip(position, offsets))
        if all(0 <= s < n for s, n in zip(source, sample.shape[1:])):
            out[(slice(None), *position)] = sample[(slice(None), *source)]
    return out


@pytest.mark.parametrize("shape, max_shift, fill", [
    ((6, 2, 5, 7), 2, 0.0), ((6, 1, 9), 3, -1.0), ((4, 3, 4, 4), (0, 3), 0.5),
    ((3, 1, 3, 3), 5, 0.0),  # shifts larger than the image leave only fill
])
def test_random_shift_moves_each_sample_by_its_drawn_offset(shape, max_shift, fill):
    x = _batch(shape)
    before = x.copy()
    out = RandomShift(max_shift, fill=fill)(x, np.random.default_rng(42))
    k = len(shape) - 2
    bound = np.broadcast_to(max_shift, (k,))
    offsets = np.random.default_rng(42).integers(-bound, bound + 1, size=(shape[0], k))
    assert (np.abs(offsets) <= bound).all()
    for i in range(shape[0]):
        np.testing.assert_array_equal(out[i], _shifted(x[i], offsets[i], fill))
    np.testing.assert_array_equal(x, before)  # the input is left alone
    assert out.dtype == np.float32


def test_random_shift_covers_every_offset():
    x = np.zeros((500, 1, 9), np.float32)
    x[:, 0, 4] = 1.0
    out = RandomShift(2)(x, np.random.default_rng(0))
    positions = out[:, 0].argmax(axis=1) - 4
    assert sorted(set(positions.tolist())) == [-2, -1, 0, 1, 2]


def test_normalize_per_channel():
    x = _batch((4, 3, 2, 2)) + 5
    mean, std = (1.0, 2.0, 3.0), (0.5, 1.0, 4.0)
    out = Normalize(mean, std)(x)
    for c in range(3):
        np.testing.assert_allclose(out[:, c], (x[:, c] - mean[c]) / std[c], rtol=1e-6)
    assert out.dtype == np.float32
    seq = Normalize(0.5, 0.25)(np.ones((2, 1, 5), np.float32))
    np.testing.assert_array_equal(seq, np.full((2, 1, 5), 2.0, np.float32))


@pytest.mark.parametrize("shape, size, padding", [
    ((5, 3, 8, 8), 8, 2), ((5, 1, 7, 9), (4, 6), 0), ((4, 2, 10), 10, 3), ((3, 1, 5, 5), 9, 2),
])
def test_random_crop_pads_then_takes_the_drawn_window(shape, size, padding):
    x = _batch(shape)
    out = RandomCrop(size, padding=padding)(x, np.random.default_rng(7))
    k = len(shape) - 2
    size = np.broadcast_to(size, (k,))
    assert out.shape == (*shape[:2], *size)
    padded = np.pad(x, [(0, 0), (0, 0)] + [(padding, padding)] * k)
    room = np.asarray(padded.shape[2:]) - size
    starts = np.random.default_rng(7).integers(0, room + 1, size=(shape[0], k))
    for i in range(shape[0]):
        window = tuple(slice(s, s + n) for s, n in zip(starts[i], size))
        np.testing.assert_array_equal(out[i], padded[(i, slice(None), *window)])


def test_random_crop_same_size_with_padding_is_a_shift():
    x = _batch((20, 1, 6, 6))
    out = RandomCrop(6, padding=2)(x, np.random.default_rng(3))
    starts = np.random.default_rng(3).integers(0, 5, size=(20, 2))
    for i in range(20):
        np.testing.assert_array_equal(out[i], _shifted(x[i], 2 - starts[i], 0.0))


def test_horizontal_flip():
    x = _batch((50, 2, 3, 4))
    np.testing.assert_array_equal(RandomHorizontalFlip(p=0.0)(x, np.random.default_rng(0)), x)
    np.testing.assert_array_equal(RandomHorizontalFlip(p=1.0)(x, np.random.default_rng(0)),
                                  x[..., ::-1])
    out = RandomHorizontalFlip()(x, np.random.default_rng(1))
    flipped = np.random.default_rng(1).random(50) < 0.5
    assert 0 < flipped.sum() < 50
    np.testing.assert_array_equal(out[flipped], x[flipped][..., ::-1])
    np.testing.assert_array_equal(out[~flipped], x[~flipped])


def test_compose_applies_in_order_with_one_generator():
    x = _batch((4, 1, 6, 6))
    t = Compose([RandomShift(1), Normalize(0.5, 2.0), RandomHorizontalFlip()])
    rng = np.random.default_rng(9)
    step = RandomShift(1)(x, rng)
    step = RandomHorizontalFlip()(Normalize(0.5, 2.0)(step), rng)
    np.testing.assert_array_equal(t(x, np.random.default_rng(9)), step)


def test_reprs():
    assert repr(RandomShift((1, 2), fill=0.5)) == "RandomShift(max_shift=(1, 2), fill=0.5)"
    assert repr(RandomCrop(32, padding=4)) == "RandomCrop(size=32, padding=4, fill=0.0)"
    assert repr(RandomHorizontalFlip(0.25)) == "RandomHorizontalFlip(p=0.25)"
    assert repr(Normalize((0.1, 0.2), 1)) == "Normalize(mean=(0.1, 0.2), std=(1.0,))"
    assert repr(Compose([RandomHorizontalFlip()])) == (
        "Compose([\n    RandomHorizontalFlip(p=0.5),\n])")


@pytest.mark.parametrize("make, error, match", [
    (lambda: RandomShift(-1), ValueError, "max_shift must be >= 0; got -1"),
    (lambda: RandomShift(1.5), TypeError, "max_shift must be an int or a tuple of 1 or 2 ints"),
    (lambda: RandomShift(1, fill="x"), TypeError, "fill must be a number; got str"),
    (lambda: RandomCrop(0), ValueError, "size must be >= 1; got 0"),
    (lambda: RandomCrop((2, 2, 2)), TypeError, "size must be an int or a tuple of 1 or 2 ints"),
    (lambda: RandomCrop(3, padding=-1), ValueError, "padding must be >= 0; got -1"),
    (lambda: RandomHorizontalFlip(p=2), ValueError, r"p must be a finite number in \[0.0, 1.0\]"),
    (lambda: Normalize("a", 1), TypeError, "mean must be a number or a non-empty sequence"),
    (lambda: Normalize(0, (1, 0)), ValueError, r"std must be positive in every channel; got "
                                               r"\(1.0, 0.0\)"),
    (lambda: Compose(3), TypeError, "transforms must be a list of callables; got int"),
    (lambda: Compose([RandomShift(1), 2]), TypeError, "transforms must be a list of callables; "
                                                      "got 2"),
])
def test_constructor_validation(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_call_validation():
    rng = np.random.default_rng(0)
    with pytest.raises(TypeError, match="RandomShift expects rng to be a numpy.random.Generator; "
                                        "got NoneType"):
        RandomShift(1)(_batch((2, 1, 4)), None)
    with pytest.raises(ValueError, match=r"RandomCrop expects a batch shaped \(N, C, L\) or "
                                         r"\(N, C, H, W\); got shape \(2, 4\)"):
        RandomCrop(2)(_batch((2, 4)), rng)
    with pytest.raises(TypeError, match="RandomHorizontalFlip expects a float batch; got dtype "
                                        "uint8"):
        RandomHorizontalFlip()(np.zeros((1, 1, 2, 2), np.uint8), rng)
    with pytest.raises(ValueError, match=r"Normalize has 3 mean values but the batch has 1 "
                                         r"channels \(shape \(2, 1, 4\)\)"):
        Normalize((0, 0, 0), 1)(_batch((2, 1, 4)))
    with pytest.raises(ValueError, match=r"RandomShift has max_shift=\(1, 2\) for 2 spatial axes "
                                         "but the batch has 1"):
        RandomShift((1, 2))(_batch((2, 1, 4)), rng)
    with pytest.raises(ValueError, match=r"RandomCrop size \(9, 9\) is larger than the padded "
                                         r"input \(6, 6\) \(input \(4, 4\), padding 1\)"):
        RandomCrop(9, padding=1)(_batch((2, 1, 4, 4)), rng)
