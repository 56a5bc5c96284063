"""Refit the constants of convlens.conv.cost_model on this machine.

    python benchmarks/fit_cost_model.py              # ~5 minutes on 2 cores
    python benchmarks/fit_cost_model.py --quick      # fewer shapes, for a smoke run

It times every engine (forward, and forward + both gradients) on a grid of layer shapes (the
benchmark configs plus kernel-size, batch and channel sweeps), counts each run's features with
``cost_model.features``, and fits one non-negative seconds-per-unit constant per feature by
least squares on *relative* error (so small layers count as much as large ones). It prints the
new ``CONSTANTS`` block to paste into src/convlens/conv/cost_model.py, the fit's error, and how
often the refitted model picks the measured-fastest engine. Timings are the minimum of a few
calls, to see through other load on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
from _timing import conv_args, default_threads, load_configs, threads
from scipy.optimize import nnls

from convlens import conv
from convlens.conv import ConvContext, cost_model


def grid(quick: bool) -> list[dict]:
    layers = [dict(c) for c in load_configs()]
    kernels = (1, 3, 5, 7, 11, 15, 21) if not quick else (3, 9)
    for k in kernels:
        layers.append({"name": f"k{k}", "nd": 2, "x": [4, 16, 64, 64], "w": [16, 16, k, k],
                       "padding": k // 2})
    for k in (3, 9, 33, 129) if not quick else (9,):
        layers.append({"name": f"1d-k{k}", "nd": 1, "x": [8, 16, 4000], "w": [16, 16, k],
                       "padding": k // 2})
    for n, c in ((1, 64), (32, 16), (8, 128)) if not quick else ((32, 16),):
        layers.append({"name": f"n{n}c{c}", "nd": 2, "x": [n, c, 32, 32], "w": [c, c, 3, 3],
                       "padding": 1})
    layers.append({"name": "dw-small", "nd": 2, "x": [8, 32, 32, 32], "w": [32, 1, 3, 3],
                   "padding": 1, "groups": 32})
    layers.append({"name": "stride2-k5", "nd": 2, "x": [8, 16, 48, 48], "w": [32, 16, 5, 5],
                   "padding": 2, "stride": 2})
    return layers


def _min_time(run, repeats: int, budget: float = 3.0) -> float:
    run()
    best, start = math.inf, time.perf_counter()
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
        if time.perf_counter() - start > budget:
            break
    return best


def measure(layer: dict, repeats: int, limit_s: float) -> list[dict]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(layer["x"]).astype(np.float32)
    w = rng.standard_normal(layer["w"]).astype(np.float32)
    x_shape, w_shape = tuple(layer["x"]), tuple(layer["w"])
    spec = conv.conv_spec(f"conv{layer['nd']}d", x_shape, w_shape, **conv_args(layer))
    rows = []
    for name, engine in conv.ENGINES.items():
        if conv.unsupported(name, w_shape, spec):
            continue
        if cost_model.estimate(name, x_shape, w_shape, spec, 4, True) > limit_s:
            continue
        y = engine.forward(x, w, spec)

        def training(engine=engine, y=y):
            ctx = ConvContext(save=True)
            engine.forward(x, w, spec, ctx=ctx)
            engine.grad_input(y, w, x_shape, spec, ctx=ctx)
            engine.grad_weight(y, x, w_shape, spec, ctx=ctx)

        for requires_grad, run in ((False, lambda e=engine: e.forward(x, w, spec)),
                                   (True, training)):
            seconds = _min_time(run, repeats)
            counts = cost_model.features(name, x_shape, w_shape, spec, 4, requires_grad)
            rows.append({"layer": layer["name"], "engine": name, "training": requires_grad,
                         "seconds": seconds, "features": dict(counts)})
    return rows


def fit(rows: list[dict]) -> dict[str, float]:
    names = list(cost_model.CONSTANTS)
    a = np.array([[r["features"].get(n, 0.0) / r["seconds"] for n in names] for r in rows])
    scale = np.maximum(a.max(axis=0), 1e-30)           # condition the columns
    theta, _ = nnls(a / scale, np.ones(len(rows)))
    return {n: float(t / s) for n, t, s in zip(names, theta, scale)}


def report(rows: list[dict], constants: dict[str, float]) -> None:
    errors, hits, total = [], 0, 0
    for training in (False, True):
        by_layer: dict[str, dict[str, tuple[float, float]]] = {}
        for r in rows:
            if r["training"] != training:
                continue
            predicted = sum(constants[k] * v for k, v in r["features"].items())
            errors.append(predicted / r["seconds"])
            by_layer.setdefault(r["layer"], {})[r["engine"]] = (r["seconds"], predicted)
        for layer, engines in by_layer.items():
            measured_best = min(engines, key=lambda e: engines[e][0])
            model_best = min(engines, key=lambda e: engines[e][1])
            total += 1
            hits += measured_best == model_best
            slower = engines[model_best][0] / engines[measured_best][0]
            if model_best != measured_best:
                print(f"  {'train' if training else 'fwd  '} {layer:<12} model picks "
                      f"{model_best} ({slower:.2f}x the measured best, {measured_best})")
    ratios = np.array(errors)
    print(f"prediction/measured: median {np.median(ratios):.2f}, 10-90% "
          f"{np.percentile(ratios, 10):.2f}-{np.percentile(ratios, 90):.2f}")
    print(f"model picks the measured-fastest engine on {hits} of {total} layer/pass cases")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=default_threads())
    parser.add_argument("--limit", type=float, default=2.0,
                        help="skip engines estimated slower than this many seconds")
    parser.add_argument("--save", type=Path, help="also write the timings as JSON")
    args = parser.parse_args(argv)
    rows = []
    with threads(args.threads):
        for layer in grid(args.quick):
            rows += measure(layer, args.repeats, args.limit)
            print(f"  measured {layer['name']}", flush=True)
    constants = fit(rows)
    print("CONSTANTS: dict[str, float] = {")
    for name, value in constants.items():
        print(f'    "{name}": {value:.3e},')
    print("}")
    print("with the current constants:")
    report(rows, cost_model.CONSTANTS)
    print("with the refitted constants:")
    report(rows, constants)
    if args.save:
        args.save.write_text(json.dumps({"rows": rows, "constants": constants}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
