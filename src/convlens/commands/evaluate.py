"""``convlens evaluate RUN_OR_MODEL``: accuracy, confusion matrix and per-class accuracy."""

from __future__ import annotations

import argparse

import numpy as np

from ..explain.predictions import confusion_matrix, predictions
from ..io.runs import resolve


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="test accuracy, confusion matrix and per-class accuracy",
        description="Evaluate a trained model (a run folder or a model file) on a test split.")
    parser.add_argument("source", metavar="RUN_OR_MODEL",
                        help="a run folder (convlens train --out) or a model file")
    parser.add_argument("--dataset", default=None,
                        help="dataset name (default: the one the run was trained on)")
    parser.add_argument("--data-dir", default=None,
                        help="folder holding local dataset files (default: the run's)")
    parser.set_defaults(run=run)


def format_report(matrix: np.ndarray, names) -> str:
    total = matrix.sum()
    lines = [f"accuracy {np.trace(matrix) / max(total, 1):.4f} ({np.trace(matrix)}/{total})", "",
             "confusion matrix (rows: true class, columns: predicted class)"]
    width = max(5, len(str(matrix.max())) + 1)
    lines.append(" " * 8 + "".join(f"{str(n)[:width - 1]:>{width}}" for n in names))
    for name, row in zip(names, matrix):
        lines.append(f"{str(name)[:7]:>7} " + "".join(f"{v:>{width}}" for v in row))
    lines += ["", "per-class accuracy"]
    for name, row, correct in zip(names, matrix, np.diag(matrix)):
        share = correct / max(row.sum(), 1)
        lines.append(f"  {str(name):>10}  {share:.4f}  ({correct}/{row.sum()})")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import convlens as cl

    model_path, config = resolve(args.source)
    model = cl.load(model_path)          # a broken model file is reported before missing flags
    dataset = args.dataset or config.get("dataset")
    if dataset is None:
        raise ValueError("--dataset is required when evaluating a bare model file")
    _, test = cl.data.load_dataset(dataset, data_dir=args.data_dir or config.get("data_dir"))
    predicted = predictions(model, test).argmax(axis=1)
    matrix = confusion_matrix(test.y, predicted, test.num_classes)
    print(f"{model_path} on the {dataset} test split ({len(test)} samples)")
    print(format_report(matrix, test.classes))
    return 0
