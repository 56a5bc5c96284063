"""Image kernels and filtering: the notes' "image transformations are convolutions with a
small kernel".

- :mod:`.kernels`: the named kernel library (:data:`KERNELS`), and kernels of your own from a
  text file or a literal string;
- :func:`filter` / :class:`Filter`: true convolution with ``scipy.ndimage``'s boundary modes,
  grayscale or per channel, reusing the kernel's FFT spectrum across same-size images;
- :mod:`.io`: reading image files to float arrays and writing results as 8-bit images
  (Pillow, imported only when used).

See ``docs/image.md``.
"""

from .filtering import BOUNDARY_MODES, METHODS, Filter, filter
from .io import IMAGE_EXTENSIONS, range_rule, read_image, to_uint8, write_image
from .kernels import (
    KERNELS,
    as_kernel,
    box,
    emboss,
    gaussian,
    kernel,
    laplacian,
    load_kernel,
    outline,
    parse_kernel,
    prewitt_x,
    prewitt_y,
    sharpen,
    sobel_x,
    sobel_y,
)

__all__ = [
    "BOUNDARY_MODES", "Filter", "IMAGE_EXTENSIONS", "KERNELS", "METHODS", "as_kernel", "box",
    "emboss", "filter", "gaussian", "kernel", "laplacian", "load_kernel", "outline",
    "parse_kernel", "prewitt_x", "prewitt_y", "range_rule", "read_image", "sharpen", "sobel_x",
    "sobel_y", "to_uint8", "write_image",
]
