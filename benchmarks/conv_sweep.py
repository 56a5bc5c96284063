"""Time against kernel size, batch size and image size, per engine, with the chooser's pick.

    python benchmarks/conv_sweep.py                     # about 5 minutes on 2 cores
    python benchmarks/conv_sweep.py --repeats 5 --out benchmarks/results/conv_sweep

Four panels (forward pass, float32, all cores, interleaved medians):

1. 2-D kernel size k (x = 4x16x64x64, 16 filters, "same" padding): the FFT crossover;
2. 1-D kernel size k (x = 8x16x8000, 16 filters);
3. batch size N for a 3x3 layer (x = Nx32x32x32, 32 filters);
4. image size S for a 15x15 layer (x = 4x16xSxS, 16 filters).

Every engine that supports the layer is timed (engines the cost model prices above
``--skip`` times the cheapest are left out), plus PyTorch when it is installed; a ring marks
the engine ``algorithm="auto"`` picks. Writes ``<out>.json`` and ``<out>.png``.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import numpy as np
from _timing import default_threads, interleaved, threads

from convlens import conv

SWEEPS = {
    "2-D kernel size k": [((4, 16, 64, 64), (16, 16, k, k), k // 2, k) for k in
                          (1, 3, 5, 7, 9, 11, 15, 21, 31)],
    "1-D kernel size k": [((8, 16, 8000), (16, 16, k), k // 2, k) for k in
                          (3, 9, 17, 33, 65, 129, 257, 513)],
    "batch size N (3x3, 32 channels, 32x32)": [((n, 32, 32, 32), (32, 32, 3, 3), 1, n) for n in
                                               (1, 2, 4, 8, 16, 32, 64)],
    "image size S (15x15, 16 channels)": [((4, 16, s, s), (16, 16, 15, 15), 7, s) for s in
                                          (32, 48, 64, 96, 128, 192, 256)],
}


def _point(x_shape, w_shape, padding, repeats: int, skip: float) -> dict:
    nd = len(x_shape) - 2
    spec = conv.conv_spec(f"conv{nd}d", x_shape, w_shape, 1, padding, 1, 1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    estimates = {n: c for n, c in conv.estimates(x_shape, w_shape, spec).items()
                 if not isinstance(c, str)}
    cheapest = min(estimates.values())
    runs = {n: (lambda e=conv.ENGINES[n]: e.forward(x, w, spec))
            for n, c in estimates.items() if c <= skip * cheapest}
    try:
        import torch

        tx, tw = torch.from_numpy(x), torch.from_numpy(w)
        fn = getattr(torch.nn.functional, f"conv{nd}d")

        def torch_run():
            with torch.no_grad():
                fn(tx, tw, padding=padding)

        runs["torch"] = torch_run
    except ImportError:
        pass
    times = interleaved(runs, repeats, budget_s=20.0)
    return {"median_s": {n: statistics.median(t) for n, t in times.items()},
            "auto": conv.choose(x_shape, w_shape, spec)}


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    colors = {"direct": "tab:gray", "gemm": "tab:blue", "winograd": "tab:green",
              "fft": "tab:red", "torch": "black"}
    for ax, (title, points) in zip(axes.ravel(), results.items()):
        xs = [p["x"] for p in points]
        for name, color in colors.items():
            ys = [p["median_s"].get(name, np.nan) * 1e3 for p in points]
            if all(np.isnan(ys)):
                continue
            style = "--" if name == "torch" else "-"
            ax.plot(xs, ys, style, marker=".", color=color, label=name)
        picked = [(p["x"], p["median_s"].get(p["auto"], np.nan) * 1e3, p["auto"]) for p in points]
        ax.scatter([p[0] for p in picked], [p[1] for p in picked], s=120, facecolors="none",
                   edgecolors=[colors[p[2]] for p in picked], linewidths=2,
                   label="auto's pick")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(title)
        ax.set_ylabel("forward time (ms)")
        ax.legend(fontsize=8)
    fig.suptitle("convlens engines vs kernel, batch and image size (ring: algorithm='auto')")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=default_threads())
    parser.add_argument("--skip", type=float, default=20.0)
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "results" / "conv_sweep")
    args = parser.parse_args(argv)
    results = {}
    with threads(args.threads):
        for title, points in SWEEPS.items():
            results[title] = []
            for x_shape, w_shape, padding, x_value in points:
                point = _point(x_shape, w_shape, padding, args.repeats, args.skip)
                results[title].append({"x": x_value, **point})
                times = ", ".join(f"{n} {t * 1e3:.2f}" for n, t in point["median_s"].items())
                print(f"{title} = {x_value}: auto={point['auto']}; ms: {times}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1))
    plot(results, args.out.with_suffix(".png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
