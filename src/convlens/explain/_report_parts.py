"""The pictures only the report draws: training curves, the confusion matrix, misclassified
samples and the chosen input; and reading that input from a file."""

from __future__ import annotations

import csv
import os
from typing import Any

import numpy as np

from . import _figures


def read_history(path: str) -> dict[str, list[float | None]]:
    """history.csv as columns of floats (None where a value is missing)."""
    with open(path, newline="") as stream:
        rows = list(csv.DictReader(stream))
    columns: dict[str, list[float | None]] = {}
    for row in rows:
        for key, value in row.items():
            columns.setdefault(key, []).append(float(value) if value not in ("", None)
                                               else None)
    return columns


def curves_figure(history: dict[str, list[float | None]]) -> Any:
    """Loss and accuracy per epoch, train and test side by side."""
    from matplotlib.ticker import MaxNLocator

    epochs = [int(e) for e in history.get("epoch", [])]  # history.csv counts from 1
    fig = _figures.figure("report", 9.0, 3.2)
    for ax, metric in zip(fig.subplots(1, 2), ("loss", "accuracy")):
        for split, label in (("train", "train"), ("val", "test")):
            values = history.get(f"{split}_{metric}", [])
            if any(v is not None for v in values):
                ax.plot(epochs, [np.nan if v is None else v for v in values], marker="o",
                        label=label)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    return fig


def confusion_figure(matrix: np.ndarray, classes: list[str]) -> Any:
    """Counts of (true class, predicted class), each cell labelled with its count."""
    n = len(classes)
    size = min(max(3.5, 0.45 * n + 1.5), 10.0)
    fig = _figures.figure("report", size + 1.0, size)
    ax = fig.add_subplot()
    shown = ax.imshow(matrix, cmap="Blues")
    if n <= 20:
        threshold = matrix.max() / 2
        for (i, j), count in np.ndenumerate(matrix):
            ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                    color="white" if count > threshold else "black")
    ax.set_xticks(range(n), classes, fontsize=7, rotation=90 if n > 10 else 0)
    ax.set_yticks(range(n), classes, fontsize=7)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    fig.colorbar(shown, ax=ax, shrink=0.8)
    return fig


def _draw_sample(ax: Any, sample: np.ndarray) -> None:
    if sample.ndim == 3:
        picture = sample[0] if sample.shape[0] == 1 else np.clip(sample.transpose(1, 2, 0), 0, 1)
        ax.imshow(picture, cmap="gray", interpolation="nearest")
        ax.set_axis_off()
    else:
        for line in np.atleast_2d(sample):
            ax.plot(line, linewidth=1)
        ax.set_xticks([])
        ax.tick_params(labelsize=6)


def samples_figure(samples: list[np.ndarray], titles: list[str]) -> Any:
    """Samples side by side, images in grey (or colour), sequences as lines."""
    columns = max(1, min(len(samples), 8))
    rows = -(-len(samples) // columns)
    fig = _figures.figure("report", 1.5 * columns + 0.3, 1.7 * rows + 0.2)
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
    for ax, sample, title in zip(axes, samples, titles):
        _draw_sample(ax, sample)
        ax.set_title(title, fontsize=7)
    for ax in axes[len(samples):]:
        fig.delaxes(ax)
    return fig


def probabilities_figure(sample: np.ndarray, probabilities: np.ndarray,
                         classes: list[str]) -> Any:
    """The chosen input and the model's class probabilities for it."""
    fig = _figures.figure("report", 8.0, 2.6)
    picture, bars = fig.subplots(1, 2, width_ratios=(1, 2.2))
    _draw_sample(picture, sample)
    picture.set_title("input", fontsize=8)
    bars.bar(range(len(classes)), probabilities, color="tab:blue")
    bars.set_xticks(range(len(classes)), classes, fontsize=7,
                    rotation=90 if len(classes) > 10 else 0)
    bars.set_ylim(0, 1)
    bars.set_ylabel("probability")
    bars.set_title(f"predicted: {classes[int(np.argmax(probabilities))]}", fontsize=8)
    return fig


def load_input(path: str, input_shape: tuple[int, ...]) -> np.ndarray:
    """One sample of ``input_shape`` from an image file (resized, scaled to [0, 1]) or a .npy."""
    if path.lower().endswith(".npy"):
        values = np.load(path, allow_pickle=False)
        if values.size != int(np.prod(input_shape)) or values.dtype.kind not in "fiu":
            raise ValueError(f"--image {path!r} must hold {int(np.prod(input_shape))} numbers "
                             f"for input shape {input_shape}; got {values.dtype} array of "
                             f"shape {values.shape}")
        return values.reshape(input_shape).astype(np.float32)
    if len(input_shape) != 3 or input_shape[0] not in (1, 3):
        raise ValueError(f"--image {path!r}: an image file needs a model on (1, H, W) or "
                         f"(3, H, W) input; this one takes {input_shape} (give a .npy file)")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--image {path!r} does not exist")
    from ..data.image_folder import load_image

    return load_image(path, image_size=input_shape[1:], grayscale=input_shape[0] == 1)
