"""``convlens experiment mnist1d``: reproduce the MNIST-1D table of Greydanus (2020).

"Scaling down deep learning" (S. Greydanus, 2020) reports test accuracies on MNIST-1D of
32% (logistic regression), 68% (MLP), 94% (CNN) and 56% (CNN on spatially shuffled inputs).
We train the same four models with the paper's setup (Adam, lr 1e-2, batch 100, 8,000 steps,
no weight decay) and print our accuracy beside the paper's.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time

import numpy as np

from .._atomic import atomic_write
from ..train import Callback
from . import _runs
from .plots import save_figure

PAPER = {"logistic": 0.32, "mlp": 0.68, "cnn": 0.94, "cnn (shuffled input)": 0.56}
_MODELS = {"logistic": "logistic", "mlp": "mlp", "cnn": "mnist1d_cnn",
           "cnn (shuffled input)": "mnist1d_cnn"}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "experiment", help="reproduce a published result",
        description="mnist1d: train logistic regression, an MLP, a CNN, and a CNN on spatially "
                    "shuffled inputs on MNIST-1D, and compare with Greydanus (2020). Each "
                    "finished model is saved to --out/results.json at once; Ctrl-C keeps "
                    "them, and --resume skips them.")
    parser.add_argument("name", choices=("mnist1d",), help="the experiment to run")
    parser.add_argument("--steps", type=int, default=8000,
                        help="optimizer steps per model, rounded up to whole epochs of 40 "
                             "batches (default 8000, the paper's)")
    parser.add_argument("--seed", type=int, default=42, help="seeds weights and data order")
    parser.add_argument("--out", default=os.path.join("runs", "experiment-mnist1d"),
                        help="folder for results.md, results.json and results.png")
    parser.add_argument("--cache-dir", default=None,
                        help="where the generated MNIST-1D is cached (default: mnist1d's)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the rows already in --out/results.json that used the same "
                             "--steps and --seed, and train only the missing models")
    parser.set_defaults(run=run)


def shuffle_positions(train, test, seed: int):
    """Apply one fixed random permutation of positions to every sample (destroys locality)."""
    from ..data import ArrayDataset

    order = np.random.default_rng(seed).permutation(train.x.shape[-1])
    return (ArrayDataset(train.x[..., order], train.y, train.classes, train.name + "-shuffled"),
            ArrayDataset(test.x[..., order], test.y, test.classes, test.name + "-shuffled"))


def _epochs(train, steps: int) -> tuple[int, int]:
    batches_per_epoch = len(train) // 100
    return max(1, -(-steps // batches_per_epoch)), batches_per_epoch


def train_one(label: str, train, test, steps: int, seed: int, bar=None) -> dict:
    import convlens as cl

    from ..train import evaluate

    cl.manual_seed(seed)
    model = cl.models.create(_MODELS[label], input_shape=train.input_shape)
    epochs, batches_per_epoch = _epochs(train, steps)
    loader = cl.data.DataLoader(train, batch_size=100, shuffle=True, seed=seed, drop_last=True)
    started = time.perf_counter()
    cl.fit(model, loader, epochs=epochs, optimizer=cl.optim.Adam(model.parameters(), lr=1e-2),
           seed=seed, progress=False, callbacks=[] if bar is None else [bar])
    seconds = time.perf_counter() - started
    metrics = evaluate(model, cl.data.DataLoader(test, batch_size=500))
    return {"model": label, "test_accuracy": metrics["accuracy"], "paper": PAPER[label],
            "steps": epochs * batches_per_epoch, "seed": seed, "seconds": round(seconds, 2)}


def seconds_per_step(label: str, train, seed: int, steps: int = 5) -> float:
    """Time a few optimizer steps of one model (the estimate printed before the run)."""
    import convlens as cl

    model = cl.models.create(_MODELS[label], input_shape=train.input_shape)
    optimizer = cl.optim.Adam(model.parameters(), lr=1e-2)
    x, y = cl.tensor(train.x[:100]), cl.tensor(train.y[:100])
    started = time.perf_counter()
    for _ in range(steps):
        loss = cl.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - started) / steps


def format_table(rows: list[dict]) -> str:
    lines = ["| model | convlens test accuracy | paper (Greydanus 2020) | steps |",
             "|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['model']} | {row['test_accuracy']:.1%} | {row['paper']:.0%} | "
                     f"{row['steps']} |")
    return "\n".join(lines)


def _finished_rows(args: argparse.Namespace, steps: int) -> list[dict]:
    path = os.path.join(args.out, "results.json")
    if not args.resume or not os.path.isfile(path):
        return []
    with open(path) as stream:
        rows = json.load(stream)
    if not isinstance(rows, list):
        raise ValueError(f"--resume: {path!r} does not hold a list of result rows")
    return [row for row in rows if isinstance(row, dict) and row.get("model") in PAPER
            and row.get("steps") == steps and row.get("seed") == args.seed]


def run(args: argparse.Namespace) -> int:
    import convlens as cl

    if args.steps <= 0:
        raise ValueError(f"--steps must be positive; got {args.steps}")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise FileExistsError(f"--out {args.out!r} is a file; name a folder")
    kwargs = {} if args.cache_dir is None else {"cache_dir": args.cache_dir}
    train, test = cl.data.load_dataset("mnist1d", **kwargs)
    shuffled = shuffle_positions(train, test, args.seed)
    epochs, per_epoch = _epochs(train, args.steps)
    done = {row["model"]: row for row in _finished_rows(args, epochs * per_epoch)}
    todo = [label for label in PAPER if label not in done]
    _print_plan(todo, done, train, epochs, per_epoch, args)
    os.makedirs(args.out, exist_ok=True)
    rows = [done[label] for label in PAPER if label in done]
    try:
        for label in todo:
            data = shuffled if "shuffled" in label else (train, test)
            with EpochBar(label, epochs) as bar:
                row = train_one(label, *data, steps=args.steps, seed=args.seed, bar=bar)
            print(f"{label:>22}: {row['test_accuracy']:.1%} (paper {row['paper']:.0%}), "
                  f"{row['steps']} steps, {row['seconds']:.1f} s", flush=True)
            rows.append(row)
            rows.sort(key=lambda r: list(PAPER).index(r["model"]))
            _runs.write_json(os.path.join(args.out, "results.json"), rows)
    except KeyboardInterrupt:
        print(f"interrupted; {len(rows)} of {len(PAPER)} models are saved in "
              f"{os.path.join(args.out, 'results.json')}; resume with: convlens experiment "
              f"mnist1d --resume --out {shlex.quote(args.out)}"
              f"{'' if args.steps == 8000 else f' --steps {args.steps}'}"
              f"{'' if args.seed == 42 else f' --seed {args.seed}'}", file=sys.stderr)
        return 130
    _runs.write_json(os.path.join(args.out, "results.json"), rows)
    table = format_table(rows)
    with atomic_write(os.path.join(args.out, "results.md"), "w") as stream:
        stream.write(table + "\n")
    _plot(rows, os.path.join(args.out, "results.png"))
    print(table)
    print(f"wrote {args.out}/ (results.md, results.json, results.png)")
    return 0


def _print_plan(todo, done, train, epochs, per_epoch, args) -> None:
    if done:
        print(f"keeping {len(done)} finished models from {args.out}/results.json: "
              f"{', '.join(done)}")
    if not todo:
        return
    estimate = sum(seconds_per_step(label, train, args.seed) for label in todo) * (
        epochs * per_epoch) * 1.15  # evaluation and bookkeeping
    print(f"training {len(todo)} model{'s' * (len(todo) > 1)} on MNIST-1D ({', '.join(todo)}), "
          f"{epochs * per_epoch} steps each ({epochs} epochs of {per_epoch} batches); "
          f"about {_duration(estimate)} on this machine", flush=True)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    return f"{round(seconds / 60)} min"


class EpochBar(Callback):
    """One progress bar per model: tqdm on a terminal if installed, else a line per 10%."""

    def __init__(self, label: str, epochs: int, stream=None) -> None:
        self.label, self.epochs = label, epochs
        self.stream = stream or sys.stderr
        self._bar, self._shown = None, 0

    def __enter__(self) -> EpochBar:
        if self.stream.isatty():
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=self.epochs, desc=f"{self.label:>22}", unit="epoch",
                                 leave=False, file=self.stream)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()

    def on_epoch_end(self, trainer, record) -> None:
        if self._bar is not None:
            self._bar.update(1)
            return
        done = record["epoch"] + 1
        tenth = done * 10 // self.epochs
        if tenth > self._shown:
            self._shown = tenth
            filled = "#" * tenth + "." * (10 - tenth)
            print(f"{self.label:>22}: [{filled}] {done}/{self.epochs} epochs, "
                  f"loss {record['train_loss']:.3f}", file=self.stream, flush=True)


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
    save_figure(figure, path)
    plt.close(figure)
