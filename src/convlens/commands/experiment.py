"""``convlens experiment mnist1d``: reproduce the MNIST-1D table of Greydanus (2020).

"Scaling down deep learning" (S. Greydanus, 2020) reports test accuracies on MNIST-1D of
32% (logistic regression), 68% (MLP), 94% (CNN) and 56% (CNN on spatially shuffled inputs).
We train the same four models with the paper's setup (Adam, lr 1e-2, batch 100, 8,000 steps,
no weight decay) and print our accuracy beside the paper's.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from . import _runs

PAPER = {"logistic": 0.32, "mlp": 0.68, "cnn": 0.94, "cnn (shuffled input)": 0.56}
_MODELS = {"logistic": "logistic", "mlp": "mlp", "cnn": "mnist1d_cnn",
           "cnn (shuffled input)": "mnist1d_cnn"}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "experiment", help="reproduce a published result",
        description="mnist1d: train logistic regression, an MLP, a CNN, and a CNN on spatially "
                    "shuffled inputs on MNIST-1D, and compare with Greydanus (2020).")
    parser.add_argument("name", choices=("mnist1d",))
    parser.add_argument("--steps", type=int, default=8000,
                        help="optimizer steps per model, rounded up to whole epochs of 40 "
                             "batches (default 8000, the paper's)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", default=os.path.join("runs", "experiment-mnist1d"))
    parser.add_argument("--cache-dir", default=None, help="where the generated MNIST-1D is cached")
    parser.set_defaults(run=run)


def shuffle_positions(train, test, seed: int):
    """Apply one fixed random permutation of positions to every sample (destroys locality)."""
    from ..data import ArrayDataset

    order = np.random.default_rng(seed).permutation(train.x.shape[-1])
    return (ArrayDataset(train.x[..., order], train.y, train.classes, train.name + "-shuffled"),
            ArrayDataset(test.x[..., order], test.y, test.classes, test.name + "-shuffled"))


def train_one(label: str, train, test, steps: int, seed: int) -> dict:
    import convlens as cl

    from ..train import evaluate

    cl.manual_seed(seed)
    model = cl.models.create(_MODELS[label], input_shape=train.input_shape)
    batches_per_epoch = len(train) // 100
    epochs = max(1, -(-steps // batches_per_epoch))
    loader = cl.data.DataLoader(train, batch_size=100, shuffle=True, seed=seed, drop_last=True)
    started = time.perf_counter()
    cl.fit(model, loader, epochs=epochs, optimizer=cl.optim.Adam(model.parameters(), lr=1e-2),
           seed=seed, progress=False)
    seconds = time.perf_counter() - started
    metrics = evaluate(model, cl.data.DataLoader(test, batch_size=500))
    return {"model": label, "test_accuracy": metrics["accuracy"], "paper": PAPER[label],
            "steps": epochs * batches_per_epoch, "seconds": round(seconds, 2)}


def format_table(rows: list[dict]) -> str:
    lines = ["| model | convlens test accuracy | paper (Greydanus 2020) | steps |",
             "|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['model']} | {row['test_accuracy']:.1%} | {row['paper']:.0%} | "
                     f"{row['steps']} |")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import convlens as cl

    if args.steps <= 0:
        raise ValueError(f"--steps must be positive; got {args.steps}")
    kwargs = {} if args.cache_dir is None else {"cache_dir": args.cache_dir}
    train, test = cl.data.load_dataset("mnist1d", **kwargs)
    shuffled = shuffle_positions(train, test, args.seed)
    rows = []
    for label in PAPER:
        data = shuffled if "shuffled" in label else (train, test)
        row = train_one(label, *data, steps=args.steps, seed=args.seed)
        print(f"{label:>22}: {row['test_accuracy']:.1%} (paper {row['paper']:.0%}), "
              f"{row['steps']} steps, {row['seconds']:.1f} s", flush=True)
        rows.append(row)
    os.makedirs(args.out, exist_ok=True)
    table = format_table(rows)
    with open(os.path.join(args.out, "results.md"), "w") as stream:
        stream.write(table + "\n")
    _runs.write_json(os.path.join(args.out, "results.json"), rows)
    _plot(rows, os.path.join(args.out, "results.png"))
    print(table)
    print(f"wrote {args.out}/ (results.md, results.json, results.png)")
    return 0


def _plot(rows: list[dict], path: str) -> None:
    from .plots import _pyplot

    plt = _pyplot()
    if plt is None:
        return
    labels = [row["model"] for row in rows]
    positions = np.arange(len(rows))
    figure, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar(positions - 0.2, [row["test_accuracy"] for row in rows], 0.4, label="convlens")
    ax.bar(positions + 0.2, [row["paper"] for row in rows], 0.4, label="paper")
    ax.set_xticks(positions, labels)
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1)
    ax.legend()
    ax.set_title("MNIST-1D (Greydanus 2020)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
