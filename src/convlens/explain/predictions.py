"""Class probabilities of a model over a dataset, and the confusion matrix they give."""

from __future__ import annotations

import numpy as np


def predictions(model, dataset, batch_size: int = 256) -> np.ndarray:
    """Softmax probabilities of ``model`` (in eval mode) for every sample, (N, classes)."""
    from .. import functional as F
    from ..autograd import no_grad
    from ..tensor import tensor

    model.eval()
    chunks = []
    with no_grad():
        for start in range(0, len(dataset), batch_size):
            x = tensor(dataset.x[start:start + batch_size])
            chunks.append(F.softmax(model(x), dim=1).numpy())
    return np.concatenate(chunks)


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """``counts[i, j]``: samples of true class i predicted as class j.

    Examples
    --------
    >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]), 2).tolist()
    [[1, 0], [1, 1]]
    """
    return np.bincount(labels * classes + predicted, minlength=classes * classes).reshape(
        classes, classes)
