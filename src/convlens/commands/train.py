"""``convlens train``: train a zoo model on a dataset and write a run folder.

    convlens train                       # LeNet-5 on the bundled MNIST subset, ~1 minute
    convlens train --dataset mnist1d --model mnist1d_cnn --epochs 20
"""

from __future__ import annotations

import argparse
import math
import os
import time

from . import _denoise_run, _runs


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train", help="train a model and write a run folder",
        description="Train a zoo model on a dataset; print progress and the test accuracy, "
                    "then write the model, config, history, metrics and curves to --out.")
    parser.add_argument("--dataset", default="mnist-5k", help="dataset name (default mnist-5k)")
    parser.add_argument("--model", default=None,
                        help="zoo model name (default: lenet5 for 28x28 images, mnist1d_cnn "
                             "for mnist1d, mlp for digits, vgg_small for cifar10)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3,
                        help="learning rate (default 3e-3: LeNet-5 reaches ~97%% on mnist-5k "
                             "in 10 epochs with Adam; 1e-3 needs all 10 epochs to reach 96%%)")
    parser.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None,
                        help="folder holding local dataset files (mnist, fashion-mnist, cifar10, "
                             "image-folder)")
    parser.add_argument("--out", default=None,
                        help="run folder (default runs/<dataset>-<model>-<time>)")
    parser.add_argument("--limit", type=int, default=None,
                        help="train on the first N training samples only (quick runs)")
    parser.add_argument("--overwrite", action="store_true",
                        help="write into --out even if it already holds files")
    parser.add_argument("--quiet", action="store_true", help="print only the final result")
    _denoise_run.add_arguments(parser)  # --task {classify,denoise}, --noise, --noise-level
    parser.set_defaults(run=run)


def _optimizer(name: str, model, lr: float):
    from .. import optim

    if name == "sgd":
        return optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return optim.Adam(model.parameters(), lr=lr)


DEFAULT_MODELS = {"mnist1d": "mnist1d_cnn", "digits": "mlp", "cifar10": "vgg_small"}


def check_arguments(args: argparse.Namespace) -> None:
    """Reject impossible settings before any data is loaded."""
    from ..models import available

    for name in ("epochs", "batch_size"):
        if getattr(args, name) <= 0:
            raise ValueError(f"--{name.replace('_', '-')} must be positive; "
                             f"got {getattr(args, name)}")
    if not math.isfinite(args.lr) or args.lr <= 0:
        raise ValueError(f"--lr must be a positive number; got {args.lr}")
    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0; got {args.seed}")
    if args.limit is not None and args.limit <= 0:
        raise ValueError(f"--limit must be positive; got {args.limit}")
    if args.model is not None and args.model not in available():
        raise ValueError(f"--model must be one of {', '.join(sorted(available()))}; "
                         f"got {args.model!r}")


def check_out(out: str, overwrite: bool) -> None:
    """Refuse to mix a new run into a folder that holds files (checked before any work)."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise FileExistsError(f"--out {out!r} is a file; name a folder for the run")
    if os.path.isdir(out) and os.listdir(out) and not overwrite:
        raise FileExistsError(f"--out {out!r} already holds files; choose a new folder or "
                              "pass --overwrite")


def run(args: argparse.Namespace) -> int:
    import convlens as cl

    from ..data import ArrayDataset
    from ..train import evaluate

    if getattr(args, "task", "classify") == "denoise":
        return _denoise_run.run(args)
    check_arguments(args)
    args.model = args.model or DEFAULT_MODELS.get(args.dataset, "lenet5")
    out = args.out or os.path.join(
        "runs", f"{args.dataset}-{args.model}-{time.strftime('%Y%m%d-%H%M%S')}")
    check_out(out, args.overwrite)
    train, test = cl.data.load_dataset(args.dataset, data_dir=args.data_dir)
    if args.limit is not None:
        train = ArrayDataset(train.x[:args.limit], train.y[:args.limit], train.classes,
                             train.name)
    cl.manual_seed(args.seed)
    model = cl.models.create(args.model, input_shape=train.input_shape,
                             num_classes=train.num_classes)
    config = {key: getattr(args, key) for key in
              ("dataset", "model", "epochs", "batch_size", "lr", "optimizer", "seed", "data_dir",
               "limit")}
    config["input_shape"] = list(train.input_shape)
    config["classes"] = list(train.classes)
    os.makedirs(out, exist_ok=True)  # only now: a failed load leaves no empty run folder
    _runs.write_json(os.path.join(out, _runs.CONFIG_FILE), config)
    if not args.quiet:
        print(f"training {args.model} on {args.dataset}: {len(train)} train / {len(test)} test "
              f"samples, {args.epochs} epochs")
    started = time.perf_counter()
    history = cl.fit(model, train, val=test, epochs=args.epochs, batch_size=args.batch_size,
                     optimizer=_optimizer(args.optimizer, model, args.lr), seed=args.seed,
                     progress=not args.quiet)
    seconds = time.perf_counter() - started
    test_loader = cl.data.DataLoader(test, batch_size=256)
    metrics = evaluate(model, test_loader)
    _write_outputs(out, model, history, metrics, seconds, args)
    print(f"test accuracy {metrics['accuracy']:.4f}  test loss {metrics['loss']:.4f}  "
          f"({seconds:.1f} s)")
    print(f"wrote {out}/ ({_runs.MODEL_FILE}, config.json, history.csv, metrics.json"
          f"{', curves.png' if os.path.exists(os.path.join(out, 'curves.png')) else ''})")
    return 0


def _write_outputs(out, model, history, metrics, seconds, args) -> None:
    import convlens as cl

    from .plots import plot_curves

    cl.save(model, os.path.join(out, _runs.MODEL_FILE))
    history.to_csv(os.path.join(out, "history.csv"))
    _runs.write_json(os.path.join(out, "metrics.json"), {
        "test_accuracy": metrics["accuracy"], "test_loss": metrics["loss"],
        "epochs": len(history), "train_seconds": round(seconds, 3), "seed": args.seed,
        "dataset": args.dataset, "model": args.model,
        "parameters": int(sum(p.numel() for p in model.parameters())),
    })
    plot_curves(history, os.path.join(out, "curves.png"))
