"""Batch transforms: callables ``t(x, rng) -> ndarray`` on a whole batch (N, C, H, W) or (N, C, L).

Random transforms draw everything from the ``rng`` they are given (the :class:`DataLoader`
derives it from its seed, the epoch and the batch index), so a run is reproducible. Every
transform returns a new array and leaves its input untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Integral

import numpy as np

from .. import _validate
from . import _checks


def _per_axis(value: int | tuple[int, ...], k: int, name: str, op: str) -> np.ndarray:
    """Expand an int, or check a tuple, to one value per spatial axis of the batch."""
    if isinstance(value, int):
        return np.full(k, value, dtype=np.int64)
    if len(value) != k:
        raise ValueError(f"{op} has {name}={value} for {len(value)} spatial axes but the batch "
                         f"has {k}")
    return np.asarray(value, dtype=np.int64)


def _int_or_tuple(value: object, name: str, minimum: int) -> int | tuple[int, ...]:
    if isinstance(value, Integral) and not isinstance(value, bool):
        return _validate.positive_int(value, name, minimum=minimum)
    if isinstance(value, Sequence) and len(value) in (1, 2):
        return _validate.int_tuple(value, len(value), name, minimum=minimum)
    raise TypeError(f"{name} must be an int or a tuple of 1 or 2 ints (one per spatial axis); "
                    f"got {value!r}")


def _shift_slices(offset: int, length: int) -> tuple[slice, slice]:
    """(destination, source) slices that move a length-``length`` axis by ``offset``."""
    if offset >= 0:
        return slice(offset, length), slice(0, max(length - offset, 0))
    return slice(0, max(length + offset, 0)), slice(-offset, length)


class Normalize:
    """Subtract a per-channel mean and divide by a per-channel standard deviation.

    Parameters
    ----------
    mean, std : float or sequence of float
        One value per channel, or a single value for all channels. ``std`` must be positive.

    Notes
    -----
    ``out[:, c] = (x[:, c] - mean[c]) / std[c]``, as ``torchvision.transforms.Normalize``.

    Examples
    --------
    >>> import numpy as np
    >>> t = Normalize(mean=(0.5, 1.0), std=(0.5, 2.0))
    >>> t(np.ones((1, 2, 1, 1), np.float32)).ravel().tolist()
    [1.0, 0.0]
    """

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]) -> None:
        self.mean = self._values(mean, "mean")
        self.std = self._values(std, "std")
        if (np.asarray(self.std) <= 0).any():
            raise ValueError(f"std must be positive in every channel; got {self.std}")

    @staticmethod
    def _values(value: object, name: str) -> tuple[float, ...]:
        values = value if isinstance(value, Sequence) else (value,)
        if isinstance(value, str) or not values:
            raise TypeError(f"{name} must be a number or a non-empty sequence of numbers; "
                            f"got {value!r}")
        return tuple(_validate.real_number(v, name) for v in values)

    def __call__(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        x = _checks.batch(x, "Normalize")
        channels = x.shape[1]
        for name, values in (("mean", self.mean), ("std", self.std)):
            if len(values) not in (1, channels):
                raise ValueError(f"Normalize has {len(values)} {name} values but the batch has "
                                 f"{channels} channels (shape {x.shape})")
        shape = (1, -1) + (1,) * (x.ndim - 2)
        mean = np.asarray(self.mean, dtype=x.dtype).reshape(shape)
        std = np.asarray(self.std, dtype=x.dtype).reshape(shape)
        return (x - mean) / std

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class RandomShift:
    """Translate each sample by a random whole number of pixels, filling the gap with ``fill``.

    Parameters
    ----------
    max_shift : int or tuple of int
        Largest shift; each spatial axis gets an offset drawn uniformly from
        ``[-max_shift, max_shift]``. A tuple gives one bound per spatial axis ((H, W) or (L,)).
    fill : float, default 0.0
        Value of the pixels shifted in from outside.

    Notes
    -----
    The offsets are drawn as ``rng.integers(-max_shift, max_shift + 1, size=(N, k))`` for a
    batch of N samples with k spatial axes. A sample shifted by ``d`` along an axis has
    ``out[..., i] = x[..., i - d]`` where ``0 <= i - d < length`` and ``fill`` elsewhere.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(5, dtype=np.float32).reshape(1, 1, 5)
    >>> RandomShift(2)(x, np.random.default_rng(0)).ravel().tolist()  # it drew an offset of +2
    [0.0, 0.0, 0.0, 1.0, 2.0]
    """

    def __init__(self, max_shift: int | tuple[int, ...], fill: float = 0.0) -> None:
        self.max_shift = _int_or_tuple(max_shift, "max_shift", minimum=0)
        self.fill = _validate.real_number(fill, "fill")

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = _checks.batch(x, "RandomShift")
        rng = _checks.generator(rng, "RandomShift")
        bound = _per_axis(self.max_shift, x.ndim - 2, "max_shift", "RandomShift")
        offsets = rng.integers(-bound, bound + 1, size=(len(x), x.ndim - 2))
        out = np.full_like(x, self.fill)
        for i, sample_offsets in enumerate(offsets):
            pairs = [_shift_slices(int(d), n) for d, n in zip(sample_offsets, x.shape[2:])]
            out[(i, slice(None), *(p[0] for p in pairs))] = x[(i, slice(None),
                                                                *(p[1] for p in pairs))]
        return out

    def __repr__(self) -> str:
        return f"RandomShift(max_shift={self.max_shift}, fill={self.fill})"


class RandomCrop:
    """Pad every side by ``padding``, then crop a random window of ``size`` from each sample.

    Parameters
    ----------
    size : int or tuple of int
        Output size of the spatial axes: (H, W) for images, (L,) for sequences; an int is used
        for every spatial axis.
    padding : int, default 0
        Number of ``fill`` values added at both ends of every spatial axis before cropping.
    fill : float, default 0.0
        Value of the padding.

    Notes
    -----
    As ``torchvision.transforms.RandomCrop`` with constant padding: after padding an axis to
    length ``P``, the window starts at an offset drawn uniformly from ``[0, P - size]``. The
    offsets are drawn as ``rng.integers(0, P - size + 1, size=(N, k))``.
    ``RandomCrop(28, padding=4)`` on 28x28 images is a random shift of up to 4 pixels.

    Examples
    --------
    >>> import numpy as np
    >>> crop = RandomCrop(32, padding=4)
    >>> crop(np.zeros((2, 3, 32, 32), np.float32), np.random.default_rng(0)).shape
    (2, 3, 32, 32)
    """

    def __init__(self, size: int | tuple[int, ...], padding: int = 0, fill: float = 0.0) -> None:
        self.size = _int_or_tuple(size, "size", minimum=1)
        self.padding = _validate.positive_int(padding, "padding", minimum=0)
        self.fill = _validate.real_number(fill, "fill")

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = _checks.batch(x, "RandomCrop")
        rng = _checks.generator(rng, "RandomCrop")
        k = x.ndim - 2
        size = _per_axis(self.size, k, "size", "RandomCrop")
        p = self.padding
        padded = np.pad(x, [(0, 0), (0, 0)] + [(p, p)] * k, constant_values=self.fill)
        room = np.asarray(padded.shape[2:]) - size
        if (room < 0).any():
            raise ValueError(f"RandomCrop size {tuple(size.tolist())} is larger than the padded "
                             f"input {padded.shape[2:]} (input {x.shape[2:]}, padding {p})")
        starts = rng.integers(0, room + 1, size=(len(x), k))
        out = np.empty((len(x), x.shape[1], *size.tolist()), dtype=x.dtype)
        for i, sample_starts in enumerate(starts):
            window = tuple(slice(s, s + n) for s, n in zip(sample_starts.tolist(), size.tolist()))
            out[i] = padded[(i, slice(None), *window)]
        return out

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding}, fill={self.fill})"


class RandomHorizontalFlip:
    """Reverse the last axis (width, or length for sequences) of each sample with probability p.

    Parameters
    ----------
    p : float, default 0.5
        Probability of flipping each sample, in [0, 1].

    Notes
    -----
    The samples to flip are ``rng.random(N) < p``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(3, dtype=np.float32).reshape(1, 1, 1, 3)
    >>> RandomHorizontalFlip(p=1.0)(x, np.random.default_rng(0)).ravel().tolist()
    [2.0, 1.0, 0.0]
    """

    def __init__(self, p: float = 0.5) -> None:
        self.p = _validate.real_number(p, "p", low=0.0, high=1.0)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = _checks.batch(x, "RandomHorizontalFlip")
        rng = _checks.generator(rng, "RandomHorizontalFlip")
        flip = rng.random(len(x)) < self.p
        out = x.copy()
        out[flip] = x[flip, ..., ::-1]
        return out

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class Compose:
    """Apply several transforms in order, all drawing from the same ``rng``.

    Parameters
    ----------
    transforms : sequence of callables
        Each called as ``t(x, rng)``.

    Examples
    --------
    >>> Compose([RandomShift(2), Normalize(0.1307, 0.3081)])
    Compose([
        RandomShift(max_shift=2, fill=0.0),
        Normalize(mean=(0.1307,), std=(0.3081,)),
    ])
    """

    def __init__(self, transforms: Sequence[Callable]) -> None:
        if isinstance(transforms, str) or not isinstance(transforms, Sequence):
            raise TypeError(f"transforms must be a list of callables; got "
                            f"{type(transforms).__name__}")
        for t in transforms:
            if not callable(t):
                raise TypeError(f"transforms must be a list of callables; got {t!r}")
        self.transforms = list(transforms)

    def __call__(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        for t in self.transforms:
            x = t(x, rng)
        return x

    def __repr__(self) -> str:
        lines = "".join(f"    {t!r},\n" for t in self.transforms)
        return f"Compose([\n{lines}])"


__all__ = ["Compose", "Normalize", "RandomCrop", "RandomHorizontalFlip", "RandomShift"]
