"""``convlens bench``: how convlens computes (and how fast) the benchmark's conv layers.

    convlens bench --explain                    # the chooser's reasoning for every layer
    convlens bench --explain --training         # ... pricing forward + backward
    convlens bench --shape 8,16,128,128 16,16,15,15 --padding 7
    convlens bench --only vgg-3x3 --torch       # time auto (and PyTorch, if installed)

The full comparison against PyTorch, with plots, is ``benchmarks/conv_vs_torch.py``.
"""

from __future__ import annotations

import argparse
import json
import time

# The layer shapes of benchmarks/conv_configs.json: name, x, w, stride, padding, groups.
LAYERS: tuple[tuple[str, tuple[int, ...], tuple[int, ...], int, int, int], ...] = (
    ("lenet-c1", (128, 1, 28, 28), (6, 1, 5, 5), 1, 2, 1),
    ("lenet-c2", (128, 6, 14, 14), (16, 6, 5, 5), 1, 0, 1),
    ("cifar-3x3", (64, 32, 32, 32), (64, 32, 3, 3), 1, 1, 1),
    ("vgg-3x3", (16, 64, 56, 56), (64, 64, 3, 3), 1, 1, 1),
    ("resnet-down", (16, 64, 56, 56), (128, 64, 3, 3), 2, 1, 1),
    ("pointwise", (16, 128, 28, 28), (256, 128, 1, 1), 1, 0, 1),
    ("depthwise", (16, 128, 28, 28), (128, 1, 3, 3), 1, 1, 128),
    ("large-k15", (8, 16, 128, 128), (16, 16, 15, 15), 1, 7, 1),
    ("large-k31", (4, 3, 256, 256), (8, 3, 31, 31), 1, 15, 1),
    ("mnist1d-c1", (100, 1, 40), (25, 1, 5), 2, 1, 1),
    ("audio-k9", (32, 32, 16000), (32, 32, 9), 1, 4, 1),
    ("audio-k257", (8, 16, 16000), (16, 16, 257), 1, 128, 1),
)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench", help="explain or time the conv engine choice on benchmark layers",
        description="For each benchmark layer (or --shape), print the cost model's estimate "
                    "per engine and the choice of algorithm='auto' (--explain), or time auto.")
    parser.add_argument("--explain", action="store_true",
                        help="print the chooser's estimates and reasoning; time nothing")
    parser.add_argument("--training", action="store_true",
                        help="forward + backward instead of forward only")
    parser.add_argument("--shape", nargs=2, metavar=("X", "W"),
                        help="one layer: input N,C,H,W (or N,C,L) and weight O,C/g,kH,kW")
    parser.add_argument("--stride", type=int, default=1, help="with --shape")
    parser.add_argument("--padding", type=int, default=0, help="with --shape")
    parser.add_argument("--dilation", type=int, default=1, help="with --shape")
    parser.add_argument("--groups", type=int, default=1, help="with --shape")
    parser.add_argument("--configs", help="layers from a JSON file in conv_configs.json form")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these layers")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per layer")
    parser.add_argument("--torch", action="store_true", help="also time PyTorch")
    parser.set_defaults(run=run)


def _shape(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"a shape must be comma-separated ints such as 8,16,128,128; "
                         f"got {text!r}") from None


def layers(args: argparse.Namespace) -> list[dict]:
    """The layers to run, as dicts with name, x, w and conv arguments."""
    if args.shape:
        return [{"name": "layer", "x": _shape(args.shape[0]), "w": _shape(args.shape[1]),
                 "stride": args.stride, "padding": args.padding, "dilation": args.dilation,
                 "groups": args.groups}]
    if args.configs:
        with open(args.configs) as handle:
            data = json.load(handle)
        found = [{"dilation": 1, "stride": 1, "padding": 0, "groups": 1, **c,
                  "x": tuple(c["x"]), "w": tuple(c["w"])}
                 for key in ("conv2d", "conv1d") for c in data.get(key, [])]
    else:
        found = [{"name": n, "x": x, "w": w, "stride": s, "padding": p, "dilation": 1,
                  "groups": g} for n, x, w, s, p, g in LAYERS]
    if args.only:
        unknown = sorted(set(args.only) - {c["name"] for c in found})
        if unknown:
            raise ValueError(f"--only names unknown layers {unknown}; known: "
                             f"{[c['name'] for c in found]}")
        found = [c for c in found if c["name"] in args.only]
    return found


def _conv_args(layer: dict) -> dict:
    return {k: layer[k] for k in ("stride", "padding", "dilation", "groups")}


def run(args: argparse.Namespace) -> int:
    from convlens import conv

    for layer in layers(args):
        if args.explain:
            print(f"[{layer['name']}]")
            print(conv.explain(layer["x"], layer["w"], requires_grad=args.training,
                               **_conv_args(layer)))
        else:
            print(_timing_line(layer, args))
    return 0


def _timing_line(layer: dict, args: argparse.Namespace) -> str:
    import numpy as np

    import convlens as cl
    from convlens import conv
    from convlens import functional as F

    nd = len(layer["w"]) - 2
    rng = np.random.default_rng(0)
    x = cl.tensor(rng.standard_normal(layer["x"]).astype(np.float32),
                  requires_grad=args.training)
    w = cl.tensor(rng.standard_normal(layer["w"]).astype(np.float32),
                  requires_grad=args.training)
    fn = getattr(F, f"conv{nd}d")

    def step():
        if args.training:
            fn(x, w, **_conv_args(layer)).sum().backward()
        else:
            with cl.no_grad():
                fn(x, w, **_conv_args(layer))

    choice = conv.explain(layer["x"], layer["w"], requires_grad=args.training,
                          **_conv_args(layer)).choice
    line = f"{layer['name']:<12} auto={choice:<8} {_median_ms(step, args.repeats):9.2f} ms"
    if args.torch:
        line += f"  torch {_torch_ms(layer, args, nd):9.2f} ms"
    return line


def _median_ms(step, repeats: int) -> float:
    step()
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2] * 1e3


def _torch_ms(layer: dict, args: argparse.Namespace, nd: int) -> float:
    import torch

    x = torch.randn(*layer["x"], requires_grad=args.training)
    w = torch.randn(*layer["w"], requires_grad=args.training)
    fn = getattr(torch.nn.functional, f"conv{nd}d")

    def step():
        if args.training:
            fn(x, w, **_conv_args(layer)).sum().backward()
        else:
            with torch.no_grad():
                fn(x, w, **_conv_args(layer))

    return _median_ms(step, args.repeats)
