"""``convlens train --engine torch-ddp``: training handed to PyTorch's DDP (docs/scale.md).

The run folder it writes is a normal one (model, config, history, metrics, curves), so
``evaluate``, ``explain`` and ``explore`` work on it. Under ``torchrun`` every rank runs this
command; only rank 0 writes the folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from . import _runs


def check_arguments(args: argparse.Namespace) -> None:
    """What the DDP engine cannot do, refused before any data is loaded."""
    if args.resume is not None:
        raise ValueError("--resume is not supported with --engine torch-ddp: the run is "
                         "written when training ends (use --engine convlens to checkpoint "
                         "every epoch)")
    if args.nproc <= 0:
        raise ValueError(f"--nproc must be positive; got {args.nproc}")


def other_rank() -> bool:
    """True in a process that ``torchrun`` started with a rank other than 0."""
    return "WORLD_SIZE" in os.environ and os.environ.get("RANK", "0") != "0"


def _fit(cl, args, train, test):
    from ..interop.ddp import train_ddp

    cl.manual_seed(args.seed)
    model = cl.models.create(args.model, input_shape=train.input_shape,
                             num_classes=train.num_classes)
    return train_ddp(model, (train.x, train.y), (test.x, test.y), epochs=args.epochs,
                     batch_size=args.batch_size, lr=args.lr, optimizer=args.optimizer,
                     seed=args.seed, nproc=args.nproc, progress=not args.quiet)


def run_other_rank(cl, args: argparse.Namespace) -> int:
    """A non-zero torchrun rank: train its share, write nothing."""
    _fit(cl, args, *_runs.training_data(args))
    return 0


def train(cl, args: argparse.Namespace, train_set, test_set, out: str, write_outputs) -> int:
    """Train under DDP, convert back, and write the run folder with ``write_outputs``."""
    from ..train import History, evaluate

    if not args.quiet:
        where = "under torchrun" if "WORLD_SIZE" in os.environ else f"{args.nproc} processes"
        print(f"training {args.model} on {args.dataset} with torch DDP ({where}): "
              f"{len(train_set)} train / {len(test_set)} test samples, {args.epochs} "
              f"epoch{'' if args.epochs == 1 else 's'}")
    started = time.perf_counter()
    try:
        model, records = _fit(cl, args, train_set, test_set)
    except KeyboardInterrupt:
        print("interrupted; an --engine torch-ddp run is written only when training ends, so "
              f"nothing was saved in {out} (--engine convlens checkpoints every epoch)",
              file=sys.stderr)
        return 130
    seconds = time.perf_counter() - started
    history = History()
    for record in records:
        history.append(record)
    metrics = evaluate(model, cl.data.DataLoader(test_set, batch_size=256))
    write_outputs(out, model, history, metrics, seconds, args)
    print(f"test accuracy {metrics['accuracy']:.4f}  test loss {metrics['loss']:.4f}  "
          f"({seconds:.1f} s, torch DDP)")
    print(f"wrote {out}/ (model.convlens, config.json, history.csv, metrics.json, curves.png)")
    return 0
