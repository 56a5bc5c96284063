"""``convlens summary RUN_OR_MODEL`` or ``convlens summary --model NAME``: the layer table.

The run folder or model file is positional, as for every other subcommand (``--run`` is kept
as an alias).
"""

from __future__ import annotations

import argparse

from . import _runs

_DEFAULT_SHAPES = {"lenet5": (1, 28, 28), "mnist1d_cnn": (1, 40), "mlp": (1, 40),
                   "logistic": (1, 40), "vgg_small": (3, 32, 32), "resnet_small": (3, 32, 32)}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "summary", help="print a model's layer table",
        description="Output shapes, parameters, multiply-adds, receptive fields and the "
                    "parameter saving of each conv layer over a fully connected one.")
    parser.add_argument("source", metavar="RUN_OR_MODEL", nargs="?", default=None,
                        help="a run folder or a model file (or give --model)")
    parser.add_argument("--model", default=None,
                        help="a zoo model name instead of RUN_OR_MODEL (default: none)")
    parser.add_argument("--run", dest="run_flag", metavar="RUN_OR_MODEL", default=None,
                        help="the same as the positional RUN_OR_MODEL (kept for old scripts)")
    parser.add_argument("--input-shape", default=None,
                        help="C,H,W or C,L, no batch (default: from the run, or the zoo "
                             "model's usual input)")
    parser.set_defaults(run=run)


def _source(args: argparse.Namespace) -> str | None:
    given = [value for value in (args.source, args.run_flag, args.model) if value is not None]
    if len(given) != 1:
        raise ValueError("summary needs exactly one of RUN_OR_MODEL (a run folder or model "
                         f"file) or --model NAME; got {len(given)}")
    return args.source or args.run_flag


def run(args: argparse.Namespace) -> int:
    import convlens as cl

    source = _source(args)
    if source is None:
        shape = (_runs.parse_shape(args.input_shape) if args.input_shape
                 else _DEFAULT_SHAPES.get(args.model))
        if shape is None:
            raise ValueError(f"--input-shape is required for model {args.model!r}")
        model = cl.models.create(args.model, input_shape=shape)
    else:
        model_path, config = _runs.resolve(source)
        model = cl.load(model_path)      # a broken model file is reported before missing flags
        shape = (_runs.parse_shape(args.input_shape) if args.input_shape
                 else tuple(config.get("input_shape", ())))
        if not shape:
            raise ValueError(f"--input-shape is required for a bare model file ({model_path!r} "
                             "has no run folder telling its input shape)")
    print(model.summary(shape))
    return 0
