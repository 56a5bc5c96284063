"""``convlens train``: train a zoo model on a dataset and write a run folder.

    convlens train                       # LeNet-5 on the bundled MNIST subset, ~1 minute
    convlens train --dataset mnist1d --model mnist1d_cnn --epochs 20
"""

from __future__ import annotations

import argparse
import os
import time

from . import _runs


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train", help="train a model and write a run folder",
        description="Train a zoo model on a dataset; print progress and the test accuracy, "
                    "then write the model, config, history, metrics and curves to --out.")
    parser.add_argument("--dataset", default="mnist-5k", help="dataset name (default mnist-5k)")
    parser.add_argument("--model", default="lenet5", help="zoo model name (default lenet5)")
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
    parser.add_argument("--quiet", action="store_true", help="print only the final result")
    parser.set_defaults(run=run)


def _optimizer(name: str, model, lr: float):
    from .. import optim

    if name == "sgd":
        return optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return optim.Adam(model.parameters(), lr=lr)


def run(args: argparse.Namespace) -> int:
    import convlens as cl

    from ..data import ArrayDataset
    from ..train import evaluate

    train, test = cl.data.load_dataset(args.dataset, data_dir=args.data_dir)
    if args.limit is not None:
        if args.limit <= 0:
            raise ValueError(f"--limit must be positive; got {args.limit}")
        train = ArrayDataset(train.x[:args.limit], train.y[:args.limit], train.classes,
                             train.name)
    cl.manual_seed(args.seed)
    model = cl.models.create(args.model, input_shape=train.input_shape,
                             num_classes=train.num_classes)
    out = args.out or os.path.join(
        "runs", f"{args.dataset}-{args.model}-{time.strftime('%Y%m%d-%H%M%S')}")
    os.makedirs(out, exist_ok=True)
    config = {key: getattr(args, key) for key in
              ("dataset", "model", "epochs", "batch_size", "lr", "optimizer", "seed", "data_dir",
               "limit")}
    config["input_shape"] = list(train.input_shape)
    config["classes"] = list(train.classes)
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
