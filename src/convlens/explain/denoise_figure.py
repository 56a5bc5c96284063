"""The before/after figure of a denoising run: noisy, denoised and clean rows of images."""

from __future__ import annotations

import numpy as np

#: The before/after figure a denoising run folder holds (``convlens train --task denoise``).
FIGURE_FILE = "before_after.png"

ROWS = ("noisy input", "denoised", "clean")


def before_after_figure(noisy: np.ndarray, denoised: np.ndarray, clean: np.ndarray, path: str,
                        count: int = 8, psnr: tuple[float, float] | None = None) -> bool:
    """Write a PNG with ``count`` images per row: noisy, denoised, clean.

    Parameters
    ----------
    noisy, denoised, clean : ndarray, shape (N, C, H, W), values in [0, 1]
        The same N images; the first ``count`` are drawn (channel 0 for C != 3).
    path : str
        Where the PNG goes.
    count : int, default 8
    psnr : (noisy dB, denoised dB), optional
        Shown in the row titles.

    Returns
    -------
    bool
        False (and nothing written) without matplotlib.
    """
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    count = max(1, min(count, len(clean)))
    labels = list(ROWS)
    if psnr is not None:
        labels[0] += f"\n{psnr[0]:.1f} dB"
        labels[1] += f"\n{psnr[1]:.1f} dB"
    figure, axes = plt.subplots(3, count, figsize=(1.2 * count + 0.6, 4.0), squeeze=False)
    for row, (images, label) in enumerate(zip((noisy, denoised, clean), labels)):
        for column in range(count):
            ax = axes[row][column]
            ax.imshow(_picture(images[column]), cmap="gray", vmin=0.0, vmax=1.0)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row][0].set_ylabel(label, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return True


def _picture(image: np.ndarray) -> np.ndarray:
    """(H, W) for gray or (H, W, 3) for RGB, clipped to [0, 1]."""
    image = np.asarray(image, np.float64)
    picture = np.moveaxis(image, 0, -1) if image.shape[0] == 3 else image[0]
    return np.clip(picture, 0.0, 1.0)
