"""``convlens export``: write a trained run's model (or a model file) as ONNX.

    convlens export runs/lenet --onnx lenet.onnx
    convlens export model.convlens --onnx model.onnx --input-shape 1,28,28
"""

from __future__ import annotations

import argparse

from . import _runs


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export", help="export a model to ONNX",
        description="Write a run's model (or a .convlens model file) as an ONNX file that ONNX "
                    "Runtime can serve. The input shape comes from the run's config.json "
                    "unless --input-shape is given.")
    parser.add_argument("run_or_model", metavar="RUN_OR_MODEL",
                        help="run folder or .convlens model file")
    parser.add_argument("--onnx", required=True, metavar="OUT", help="ONNX file to write")
    parser.add_argument("--input-shape", default=None, help="C,H,W or C,L (no batch)")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset (13 to 21)")
    parser.add_argument("--static-batch", action="store_true",
                        help="fix the batch size to 1 instead of a symbolic N")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import convlens as cl
    from convlens import interop

    model_path, config = _runs.resolve(args.run_or_model)
    shape = (_runs.parse_shape(args.input_shape) if args.input_shape
             else tuple(config.get("input_shape", ())))
    if not shape:
        raise ValueError("--input-shape is required for a bare model file (no run config.json "
                         "to read it from)")
    model = cl.load(model_path)
    path = interop.to_onnx(model, args.onnx, shape, opset=args.opset,
                           dynamic_batch=not args.static_batch)
    print(f"wrote {path} (input shape (N, {', '.join(map(str, shape))}), opset {args.opset})")
    return 0
