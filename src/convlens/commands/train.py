"""``convlens train``: train a zoo model on a dataset and write a run folder.

    convlens train                       # LeNet-5 on the bundled MNIST subset, ~1 minute
    convlens train --dataset mnist1d --model mnist1d_cnn --epochs 20
    convlens train --resume runs/X       # continue an interrupted run, bit for bit

Ctrl-C (SIGINT) or SIGTERM stops at the next step boundary, saves ``last.ckpt`` and
``model.convlens`` and prints one line naming the ``--resume`` command (exit code 130).
Every file of the run folder is written atomically after every epoch, so even a ``kill -9``
leaves a folder that ``evaluate``, ``explain`` and ``--resume`` accept.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
import time

from . import _denoise_run, _runfolder, _runs, _train_ddp

# Settings stored in config.json; on --resume they come from there.
DEFAULTS = {"dataset": "mnist-5k", "model": None, "epochs": 10, "batch_size": 64, "lr": 3e-3,
            "optimizer": "adam", "seed": 0, "data_dir": None, "limit": None}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train", help="train a model and write a run folder",
        description="Train a zoo model on a dataset; print progress and the test accuracy, "
                    "then write the model, config, history, metrics and curves to --out. "
                    "Checkpoints are written every epoch; Ctrl-C stops cleanly and --resume "
                    "continues bit for bit.")
    parser.add_argument("--dataset", default=None,
                        help="dataset name, e.g. mnist-5k, digits, mnist1d, mnist, "
                             "fashion-mnist, cifar10, image-folder (default: mnist-5k)")
    parser.add_argument("--model", default=None,
                        help="zoo model name (default: lenet5 for 28x28 images, mnist1d_cnn "
                             "for mnist1d, mlp for digits, vgg_small for cifar10)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="total epochs; on --resume, may raise the stored number "
                             "(default: 10)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="samples per optimizer step (default: 64)")
    parser.add_argument("--lr", type=float, default=None,
                        help="learning rate (default: 3e-3: LeNet-5 reaches ~97%% on mnist-5k "
                             "in 10 epochs with Adam; 1e-3 needs all 10 epochs to reach 96%%)")
    parser.add_argument("--optimizer", choices=("adam", "sgd"), default=None,
                        help="adam, or sgd with momentum 0.9 (choices: adam, sgd; "
                             "default: adam)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seeds the weights, dropout and data order (default: 0)")
    parser.add_argument("--data-dir", default=None,
                        help="folder holding local dataset files (mnist, fashion-mnist, cifar10, "
                             "image-folder) (default: none)")
    parser.add_argument("--out", default=None,
                        help="run folder (default: runs/<dataset>-<model>-<time>)")
    parser.add_argument("--limit", type=int, default=None,
                        help="train on the first N training samples only (default: all)")
    parser.add_argument("--resume", default=None, metavar="RUN",
                        help="continue the run in folder RUN from its last checkpoint, with its "
                             "stored settings (default: start a new run)")
    parser.add_argument("--overwrite", action="store_true",
                        help="write into --out even if it already holds files (default: off)")
    parser.add_argument("--quiet", action="store_true",
                        help="print only the final result (default: off)")
    parser.add_argument("--engine", choices=("convlens", "torch-ddp"), default="convlens",
                        help="convlens trains in this process; torch-ddp hands the converted "
                             "model to PyTorch's DistributedDataParallel (pip install "
                             "'convlens[ddp]'; see docs/scale.md) (default: convlens)")
    parser.add_argument("--nproc", type=int, default=2,
                        help="processes for --engine torch-ddp, on this machine; under "
                             "torchrun its own settings count (default: 2)")
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
    if getattr(args, "engine", "convlens") == "torch-ddp":
        _train_ddp.check_arguments(args)


def check_out(out: str, overwrite: bool) -> None:
    """Refuse to mix a new run into a folder that holds files (checked before any work).

    The lock file and temp files left by a killed writer do not count.
    """
    if os.path.exists(out) and not os.path.isdir(out):
        raise FileExistsError(f"--out {out!r} is a file; name a folder for the run")
    if os.path.isdir(out) and not overwrite and any(
            not _runfolder.is_bookkeeping(name) for name in os.listdir(out)):
        raise FileExistsError(f"--out {out!r} already holds files; choose a new folder, "
                              "pass --overwrite, or continue it with --resume")


def _stored_settings(args: argparse.Namespace) -> dict:
    """--resume: the run's config.json, with the flags given now checked against it."""
    folder = args.resume
    path = os.path.join(folder, _runs.CONFIG_FILE)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--resume {folder!r} is not a convlens run folder: it has no "
                                f"{_runs.CONFIG_FILE}")
    with open(path) as stream:
        config = json.load(stream)
    if not isinstance(config, dict) or not set(DEFAULTS) <= set(config):
        raise ValueError(f"--resume: {path!r} does not hold a convlens train config")
    if args.out is not None and os.path.abspath(args.out) != os.path.abspath(folder):
        raise ValueError("--out cannot be combined with --resume: a resumed run stays in its "
                         f"folder ({folder!r})")
    if config.get("engine", "convlens") != "convlens":
        raise ValueError(f"--resume: {folder!r} was trained with --engine {config['engine']}, "
                         "which writes its run only when training ends and cannot be resumed")
    for key in DEFAULTS:
        given = getattr(args, key)
        if key != "epochs" and given is not None and given != config[key]:
            flag = "--" + key.replace("_", "-")
            raise ValueError(f"{flag} {given} differs from the run's stored {key} "
                             f"({config[key]}); a resumed run keeps its settings, so drop "
                             f"{flag} (only --epochs may change)")
    return config


def _settings(args: argparse.Namespace) -> tuple[dict, str]:
    if args.resume is not None:
        config = _stored_settings(args)
        settings = {key: config[key] for key in DEFAULTS}
        settings["epochs"] = args.epochs if args.epochs is not None else config["epochs"]
        return settings, args.resume
    settings = {key: DEFAULTS[key] if getattr(args, key) is None else getattr(args, key)
                for key in DEFAULTS}
    return settings, args.out


def run(args: argparse.Namespace) -> int:
    import convlens as cl


    settings, out = _settings(args)
    args = argparse.Namespace(**{**vars(args), **settings})
    if getattr(args, "task", "classify") == "denoise":
        return _denoise_run.run(args)
    check_arguments(args)
    args.model = args.model or DEFAULT_MODELS.get(args.dataset, "lenet5")
    if getattr(args, "engine", "convlens") == "torch-ddp" and _train_ddp.other_rank():
        return _train_ddp.run_other_rank(cl, args)  # under torchrun: only rank 0 writes
    out = out or os.path.join(
        "runs", f"{args.dataset}-{args.model}-{time.strftime('%Y%m%d-%H%M%S')}")
    if args.resume is None:
        check_out(out, args.overwrite)
    train, test = _runs.training_data(args)
    os.makedirs(out, exist_ok=True)  # only now: a failed load leaves no empty run folder
    with _runfolder.RunLock(out, "--resume" if args.resume else "--out"):
        if args.resume is None:
            check_out(out, args.overwrite)  # again, under the lock: another run may have won
        _runfolder.remove_stale_temp_files(out)
        return _train(cl, args, train, test, out)


def _train(cl, args, train, test, out: str) -> int:
    from ..train import StopOnSignal, TrainingInterrupted, evaluate

    config = {key: getattr(args, key) for key in DEFAULTS}
    config["input_shape"] = list(train.input_shape)
    config["classes"] = list(train.classes)
    engine = getattr(args, "engine", "convlens")
    if engine != "convlens":
        config.update(engine=engine, nproc=args.nproc)
    _runs.write_json(os.path.join(out, _runs.CONFIG_FILE), config)
    if engine == "torch-ddp":
        return _train_ddp.train(cl, args, train, test, out, _write_outputs)
    cl.manual_seed(args.seed)
    model = cl.models.create(args.model, input_shape=train.input_shape,
                             num_classes=train.num_classes)
    last = os.path.join(out, "last.ckpt")
    resume = last if args.resume is not None and os.path.isfile(last) else None
    if not args.quiet:
        print(f"{'resuming' if resume else 'training'} {args.model} on {args.dataset}: "
              f"{len(train)} train / {len(test)} test samples, {args.epochs} epochs")
    started = time.perf_counter()
    with StopOnSignal() as stop:
        try:
            history = cl.fit(model, train, val=test, epochs=args.epochs,
                             batch_size=args.batch_size,
                             optimizer=_optimizer(args.optimizer, model, args.lr),
                             seed=args.seed, progress=not args.quiet,
                             callbacks=[stop, _runfolder.RunFiles(out)], checkpoint_dir=out,
                             resume=resume)
        except TrainingInterrupted as interrupted:
            print(f"{interrupted}; resume with: convlens train --resume {shlex.quote(out)}",
                  file=sys.stderr, flush=True)
            return 130
        # Still under StopOnSignal: a Ctrl-C now waits for these few seconds of writing.
        seconds = time.perf_counter() - started
        metrics = evaluate(model, cl.data.DataLoader(test, batch_size=256))
        _write_outputs(out, model, history, metrics, seconds, args)
    print(f"test accuracy {metrics['accuracy']:.4f}  test loss {metrics['loss']:.4f}  "
          f"({seconds:.1f} s)")
    print(f"wrote {out}/ ({_runs.MODEL_FILE}, config.json, history.csv, metrics.json, "
          f"last.ckpt, best.ckpt"
          f"{', curves.png' if os.path.exists(os.path.join(out, 'curves.png')) else ''})")
    return 0


def _write_outputs(out, model, history, metrics, seconds, args) -> None:
    import convlens as cl

    from .plots import plot_curves

    cl.save(model, os.path.join(out, _runs.MODEL_FILE))
    history.to_csv(os.path.join(out, "history.csv"))
    _runfolder.write_json(os.path.join(out, "metrics.json"), _runfolder.finite_or_null({
        "test_accuracy": metrics["accuracy"], "test_loss": metrics["loss"],
        "epochs": len(history), "train_seconds": round(sum(history["seconds"]), 3),
        "seed": args.seed,
        "dataset": args.dataset, "model": args.model,
        "parameters": int(sum(p.numel() for p in model.parameters())),
    }))
    plot_curves(history, os.path.join(out, "curves.png"))
