"""The explorer for a run folder (``convlens explore RUN``): the model, its classes, and
example inputs, either files or a default pick of test samples that includes mistakes."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._report_parts import load_input
from ..predictions import predictions

SCANNED = 2000  # test samples scanned for the default examples


def pick_examples(probs: np.ndarray, labels: np.ndarray, count: int) -> list[int]:
    """``count`` sample indices: up to a third misclassified (the most confident mistakes
    first), the rest correct ones of as many different classes as possible, in index order.

    Examples
    --------
    >>> probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]])
    >>> pick_examples(probs, np.array([0, 0, 0, 1]), 3)
    [0, 1, 3]
    """
    predicted = probs.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    wrong = wrong[np.argsort(-probs[wrong, predicted[wrong]], kind="stable")]
    chosen = [int(i) for i in wrong[:max(1, count // 3) if count > 1 else 0]]
    right = [int(i) for i in np.flatnonzero(predicted == labels)]
    seen: set[int] = set()
    for i in right:  # first one of each class, then the rest in order
        if len(chosen) < count and labels[i] not in seen:
            seen.add(int(labels[i]))
            chosen.append(i)
    for i in [*right, *(int(i) for i in wrong)]:
        if len(chosen) < count and i not in chosen:
            chosen.append(i)
    return sorted(chosen)


def explore_run(run_dir: str | os.PathLike, images: Sequence[str] | None = None,
                layers: Sequence[str] | None = None, max_maps: int = 64, count: int = 8,
                attribution: bool = True) -> Any:
    """Build the explorer for a run folder (or a bare model file with ``images``)."""
    from ...io import load
    from ...io.runs import resolve
    from ..report import _test_split
    from . import explore

    model_path, config = resolve(run_dir)
    model = load(model_path)
    shape = tuple(int(n) for n in config.get("input_shape") or ())
    classes = [str(c) for c in config.get("classes") or ()] or None
    name = f"{config.get('model', type(model).__name__)} on {config.get('dataset', 'your data')}"
    if images:
        if not shape:
            raise ValueError(f"--images needs the model's input shape; {os.fspath(run_dir)!r} "
                             "has no config.json with input_shape (give a run folder)")
        x = np.stack([load_input(os.fspath(path), shape) for path in images])
        return explore(model, x, classes=classes, layers=layers, max_maps=max_maps,
                       attribution=attribution, title=f"{name}: {len(images)} input file(s)")
    test, note = _test_split(config, shape) if shape else (None, "the run gives no input shape")
    if test is None:
        raise ValueError(f"no examples to show: {note.rstrip('.')}; give --images FILE ...")
    scanned = _Subset(test.x[:SCANNED], test.y[:SCANNED])
    chosen = pick_examples(predictions(model, scanned), scanned.y, count)
    classes = classes or [str(c) for c in test.classes]
    return explore(model, test.x[chosen], labels=[int(test.y[i]) for i in chosen],
                   classes=classes, layers=layers, max_maps=max_maps, attribution=attribution,
                   title=f"{name}: test samples {', '.join(map(str, chosen))}")


class _Subset:
    """The first test samples, with the ``x``/``y``/``len`` that ``predictions`` reads."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.x)
