"""``convlens summary``: the layer table of a zoo model or a saved model."""

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
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="zoo model name")
    source.add_argument("--run", dest="source", metavar="RUN_OR_MODEL",
                        help="run folder or model file")
    parser.add_argument("--input-shape", default=None, help="C,H,W or C,L (no batch)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import convlens as cl

    if args.model:
        shape = (_runs.parse_shape(args.input_shape) if args.input_shape
                 else _DEFAULT_SHAPES.get(args.model))
        if shape is None:
            raise ValueError(f"--input-shape is required for model {args.model!r}")
        model = cl.models.create(args.model, input_shape=shape)
    else:
        model_path, config = _runs.resolve(args.source)
        model = cl.load(model_path)
        shape = (_runs.parse_shape(args.input_shape) if args.input_shape
                 else tuple(config.get("input_shape", ())))
        if not shape:
            raise ValueError("--input-shape is required for a bare model file")
    print(model.summary(shape))
    return 0
