"""``filter`` and ``Filter``: true convolution of images with ``scipy.ndimage``'s boundary modes.

Both pad the image according to the boundary mode and then take a *valid* convolution of the
padded image, direct or by FFT. ``Filter`` keeps the kernel's spectrum per padded size, so
filtering many same-size images by FFT transforms the kernel once.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import scipy.fft
from numpy.typing import ArrayLike

from .. import _validate
from .kernels import as_kernel

BOUNDARY_MODES: tuple[str, ...] = ("reflect", "constant", "nearest", "mirror", "wrap")
METHODS: tuple[str, ...] = ("auto", "direct", "fft")

# scipy.ndimage's names -> numpy.pad's. ndimage "reflect" repeats the edge pixel (numpy calls
# that "symmetric"); ndimage "mirror" does not (numpy "reflect").
_NUMPY_PAD = {"reflect": "symmetric", "constant": "constant", "nearest": "edge",
              "mirror": "reflect", "wrap": "wrap"}
# ndimage accepts these for filters too; for filtering they mean the same as the plain names.
_ALIASES = {"grid-mirror": "reflect", "grid-constant": "constant", "grid-wrap": "wrap"}
# Threads pay off only on large transforms (the same threshold as convlens.signal's FFT).
_PARALLEL_FFT_POINTS = 2**16


def filter(img: ArrayLike, kernel: str | ArrayLike, mode: str = "reflect",  # noqa: A001
           cval: float = 0.0, method: str = "auto") -> np.ndarray:
    """Convolve an image with a kernel (flipped: a true convolution), keeping its size.

    The result equals ``scipy.ndimage.convolve(img, kernel, mode=mode, cval=cval)`` for a 2-D
    image, and that applied to each channel for a colour image, computed in float64.

    Parameters
    ----------
    img : array_like
        (H, W) grayscale or (H, W, C) colour image of bools, integers or floats.
    kernel : str or array_like
        A 2-D (kH, kW) array, a name from :data:`convlens.image.KERNELS` ("sobel-x", ...), or a
        literal such as ``"1 0 -1; 2 0 -2; 1 0 -1"``. Odd and even sizes are allowed.
    mode : {"reflect", "constant", "nearest", "mirror", "wrap"}, default "reflect"
        How the image is extended past its border, as in ``scipy.ndimage``, for ``abcd``:
        "reflect" ``dcba|abcd|dcba`` (the edge pixel repeats), "constant" ``kkkk|abcd|kkkk``
        with ``k = cval``, "nearest" ``aaaa|abcd|dddd``, "mirror" ``dcb|abcd|cba`` (the edge
        pixel does not repeat) and "wrap" ``abcd|abcd|abcd``. ndimage's aliases
        "grid-mirror", "grid-constant" and "grid-wrap" are accepted too.
    cval : float, default 0.0
        The fill value for ``mode="constant"``.
    method : {"auto", "direct", "fft"}, default "auto"
        How the valid convolution of the padded image is computed; "auto" asks
        :func:`convlens.signal.choose_method`, which estimates the cost of each.

    Returns
    -------
    ndarray
        The shape of ``img``; float32 for float32 input, float64 otherwise.

    Raises
    ------
    TypeError
        ``img`` or ``kernel`` that does not hold real numbers.
    ValueError
        ``img`` that is not 2-D or 3-D or is empty; a kernel that is not 2-D, empty, holds NaN
        or inf, or is an unknown name; an unknown ``mode`` or ``method``; a non-finite ``cval``.

    Notes
    -----
    Along an axis with kernel size ``k``, ``out[i] = sum_m kernel[m] * ext[i + k // 2 - m]``
    where ``ext`` is the extended image: the image is padded by ``(k - 1) // 2`` before and
    ``k // 2`` after, which is ndimage's ``origin=0`` for even kernels too. NN layers
    (:func:`convlens.functional.conv2d`) do *not* flip the kernel; flip it
    (``kernel[::-1, ::-1]``) to get the same numbers from both.

    With ``method="fft"`` a NaN or inf in the image spreads over the whole output; "auto"
    never picks FFT for such images.

    Examples
    --------
    >>> import numpy as np
    >>> from convlens import image
    >>> img = np.array([[0, 0, 9, 9]] * 3, dtype=np.uint8)
    >>> image.filter(img, "sobel-x", mode="nearest")[1].tolist()
    [0.0, 36.0, 36.0, 0.0]
    """
    return Filter(kernel, mode=mode, cval=cval, method=method)(img)


class Filter:
    """A kernel, boundary mode and method, ready to filter many images.

    Calling it on an image returns ``filter(img, kernel, mode, cval, method)``. When the FFT
    method runs, the kernel's spectrum is cached per FFT size (which follows from the padded
    image size), so a batch of same-size images transforms the kernel only once.

    Parameters
    ----------
    kernel, mode, cval, method
        As in :func:`convlens.image.filter`.
    max_cached : int, default 4
        How many kernel spectra (one per image size) to keep; the least recently used goes
        first.

    Attributes
    ----------
    kernel : ndarray
        The validated (kH, kW) float64 kernel (read-only).
    kernel_transforms : int
        How many times the kernel has been Fourier-transformed so far.
    last_method : str or None
        "direct" or "fft": how the latest image was computed.

    Examples
    --------
    >>> import numpy as np
    >>> from convlens import image
    >>> blur = image.Filter("gaussian", method="fft")
    >>> outputs = [blur(np.ones((32, 32))) for _ in range(10)]
    >>> blur.kernel_transforms
    1
    """

    def __init__(self, kernel: str | ArrayLike, mode: str = "reflect", cval: float = 0.0,
                 method: str = "auto", max_cached: int = 4) -> None:
        self.kernel = as_kernel(kernel)
        self.kernel.setflags(write=False)
        self.mode = _ALIASES.get(mode, mode) if isinstance(mode, str) else mode
        _validate.one_of(self.mode, BOUNDARY_MODES, "mode")
        self.cval = _validate.real_number(cval, "cval")
        self.method = _validate.one_of(method, METHODS, "method")
        self.max_cached = _validate.positive_int(max_cached, "max_cached")
        self.kernel_transforms = 0
        self.last_method: str | None = None
        self._spectra: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()

    def __repr__(self) -> str:
        kh, kw = self.kernel.shape
        return (f"Filter(kernel=<{kh}x{kw}>, mode={self.mode!r}, cval={self.cval}, "
                f"method={self.method!r})")

    def __call__(self, img: ArrayLike) -> np.ndarray:
        image = _check_image(img)
        padded = self.pad(image.astype(np.float64))
        method = self.choose_method(padded)
        if method == "fft":
            out = self._fft_valid(padded)
        else:
            out = self._direct_valid(padded)
        self.last_method = method
        return out.astype(np.float32 if image.dtype == np.float32 else np.float64, copy=False)

    def pad(self, image: np.ndarray) -> np.ndarray:
        """Extend an (H, W) or (H, W, C) image by the boundary mode: ``(k - 1) // 2`` rows or
        columns before and ``k // 2`` after, per axis."""
        widths = [((k - 1) // 2, k // 2) for k in self.kernel.shape]
        widths += [(0, 0)] * (image.ndim - 2)
        extra = {"constant_values": self.cval} if self.mode == "constant" else {}
        return np.pad(image, widths, mode=_NUMPY_PAD[self.mode], **extra)

    def choose_method(self, padded: np.ndarray) -> str:
        """"direct" or "fft" for this padded image: ``method`` unless it is "auto"."""
        if self.method != "auto":
            return self.method
        from ..signal import choose_method

        return choose_method(padded, self._kernel_nd(padded.ndim), mode="valid")

    def _kernel_nd(self, ndim: int) -> np.ndarray:
        """The kernel with a length-1 channel axis for (H, W, C) images."""
        return self.kernel.reshape(self.kernel.shape + (1,) * (ndim - 2))

    def _direct_valid(self, padded: np.ndarray) -> np.ndarray:
        from ..signal import convolve

        return convolve(padded, self._kernel_nd(padded.ndim), mode="valid", method="direct")

    def _fft_valid(self, padded: np.ndarray) -> np.ndarray:
        """Valid convolution by FFT over the two spatial axes, with the cached kernel spectrum.

        A circular convolution of length ``L >= n`` (``n`` the padded size) wraps only
        outputs at indices ``< k - 1``, which the valid part ``[k - 1, n)`` excludes, so the
        FFT size need not reach the full length ``n + k - 1``.
        """
        (kh, kw), (ph, pw) = self.kernel.shape, padded.shape[:2]
        shape = (scipy.fft.next_fast_len(ph, real=True), scipy.fft.next_fast_len(pw, real=True))
        spectrum = self._spectrum(shape)
        if padded.ndim == 3:
            spectrum = spectrum[:, :, None]
        workers = -1 if math.prod(shape) >= _PARALLEL_FFT_POINTS else 1
        image_spectrum = scipy.fft.rfft2(padded, shape, axes=(0, 1), workers=workers)
        full = scipy.fft.irfft2(image_spectrum * spectrum, shape, axes=(0, 1), workers=workers)
        return full[kh - 1:ph, kw - 1:pw]

    def _spectrum(self, shape: tuple[int, int]) -> np.ndarray:
        """The kernel's ``rfft2`` at ``shape``, from the cache when it is there."""
        if shape in self._spectra:
            self._spectra.move_to_end(shape)
            return self._spectra[shape]
        spectrum = scipy.fft.rfft2(self.kernel, shape)
        self.kernel_transforms += 1
        self._spectra[shape] = spectrum
        if len(self._spectra) > self.max_cached:
            self._spectra.popitem(last=False)
        return spectrum


def _check_image(img: ArrayLike) -> np.ndarray:
    """``img`` as an ndarray of real numbers, 2-D or 3-D, with no empty axis."""
    try:
        image = np.asarray(img)
    except (TypeError, ValueError) as err:  # ragged nested lists
        raise TypeError(f"filter expects img to be an array of numbers; got "
                        f"{type(img).__name__} that NumPy cannot turn into one") from err
    if image.dtype.kind not in "biuf":
        raise TypeError(f"filter expects img to hold real numbers (bool, int or float); got "
                        f"an array of dtype {image.dtype}")
    _validate.rank(image.shape, {2: "(H, W) grayscale image", 3: "(H, W, C) colour image"},
                   "img", "filter")
    if image.size == 0:
        raise ValueError(f"filter expects a non-empty img; got shape {image.shape}")
    if image.ndim == 3 and image.shape[2] > 4 and image.shape[0] <= 4:
        # (C, H, W), the layout of datasets and NN layers, would be read as H=C rows of
        # W=H pixels with W channels: refuse rather than filter the wrong axes.
        raise ValueError(f"filter expects a colour img laid out (H, W, C) with at most 4 "
                         f"channels last; got shape {image.shape}, which looks channels-first "
                         f"(C, H, W): pass img.transpose(1, 2, 0), or img[0] for one channel")
    return image
