"""convlens vs PyTorch on the CPU, for every layer shape in conv_configs.json.

    python benchmarks/conv_vs_torch.py                 # all layers, all engines
    python benchmarks/conv_vs_torch.py --only vgg-3x3 large-k15 --repeats 9
    python benchmarks/conv_vs_torch.py --only lenet-c1 lenet-c2 --busy   # also one core busy

For each layer it times, interleaved in one process with one thread count (default: all
cores, for BLAS, torch, scipy.fft and convlens alike):

- forward: ``torch.nn.functional.conv{1,2}d`` under ``no_grad``; convlens ``algorithm="auto"``
  with the same weight tensor every call (inference: the FFT engine's filter spectrum is
  cached after the first call), ``auto`` with the weight changed before every call (cold
  spectrum cache), and every engine that supports the layer;
- forward + backward: a training step's convolution, gradients of input and weight, with the
  weight changed before every step (so the FFT engine transforms the filter once per step).

Each round runs every contender 3 times in a row (see ``_timing.interleaved``); medians are
reported. Engines more than ``--prune`` times slower than the fastest on their warm-up call
are timed once only. It prints a table of median times and ratios convlens/torch (lower is
better) and writes JSON and a PNG (``--out``, default benchmarks/results/conv_vs_torch.*).
``--busy`` times every layer a second time while a background process (started and stopped
here) keeps one core busy, and prints each library's busy/quiet forward+backward time.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np
from _busy import busy_core
from _timing import CONFIGS, conv_args, default_threads, interleaved, load_configs, threads

import convlens as cl
from convlens import conv
from convlens import functional as F


def _contenders(config: dict, training: bool, engines: list[str]) -> dict:
    import torch

    rng = np.random.default_rng(0)
    x = rng.standard_normal(config["x"]).astype(np.float32)
    w = (rng.standard_normal(config["w"]) / np.sqrt(np.prod(config["w"][1:]))).astype(np.float32)
    args = conv_args(config)
    torch_conv = getattr(torch.nn.functional, f"conv{config['nd']}d")
    cl_conv = getattr(F, f"conv{config['nd']}d")
    tx, tw = torch.from_numpy(x).requires_grad_(training), torch.from_numpy(w).requires_grad_(
        training)
    cx, cw = cl.tensor(x, requires_grad=training), cl.tensor(w, requires_grad=training)
    with torch.no_grad():
        gy = torch_conv(tx, tw, **args).numpy().copy()
    tgy = torch.from_numpy(gy)

    def torch_run():
        if not training:
            with torch.no_grad():
                return torch_conv(tx, tw, **args)
        tx.grad = tw.grad = None
        torch_conv(tx, tw, **args).backward(tgy)

    def cl_run(algorithm: str, cold: bool):
        def run():
            if cold:
                cw.data = cw.data           # what an optimizer step does: bump the version
            if not training:
                with cl.no_grad():
                    return cl_conv(cx, cw, algorithm=algorithm, **args)
            cx.grad = cw.grad = None
            cl_conv(cx, cw, algorithm=algorithm, **args).backward(gy)
        return run

    runs = {"torch": torch_run, "auto": cl_run("auto", cold=training)}
    if not training:
        runs["auto (cold)"] = cl_run("auto", cold=True)
    for name in engines:
        runs[name] = cl_run(name, cold=training)
    return runs


def _supported(config: dict) -> list[str]:
    nd = config["nd"]
    spec = conv.conv_spec(f"conv{nd}d", tuple(config["x"]), tuple(config["w"]),
                          **conv_args(config))
    return [n for n in conv.ENGINES if conv.unsupported(n, tuple(config["w"]), spec) is None]


def _chosen(config: dict, training: bool) -> str:
    args = conv_args(config)
    return conv.explain(tuple(config["x"]), tuple(config["w"]), requires_grad=training,
                        **args).choice


def bench_layer(config: dict, repeats: int, prune: float, with_engines: bool,
                budget_s: float = 60.0) -> dict:
    engines = _supported(config) if with_engines else []
    result = {"name": config["name"], "x": config["x"], "w": config["w"], **conv_args(config)}
    for mode, training in (("forward", False), ("forward_backward", True)):
        runs = _contenders(config, training, engines)
        first = {}
        for name, run in runs.items():       # warm-up call, timed for pruning
            t0 = time.perf_counter()
            run()
            first[name] = time.perf_counter() - t0
        fastest = min(first.values())
        keep = {n: r for n, r in runs.items()
                if n in ("torch", "auto", "auto (cold)") or first[n] <= prune * fastest}
        times = interleaved(keep, repeats, warmup=0, budget_s=budget_s)
        medians = {n: statistics.median(t) for n, t in times.items()}
        medians.update({n: first[n] for n in runs if n not in keep})
        result[mode] = {"median_s": medians, "timed_once": sorted(set(runs) - set(keep)),
                        "auto_engine": _chosen(config, training),
                        "repeats": len(times["torch"])}
    return result


def _ratio_row(r: dict, mode: str) -> tuple[float, float, str, str]:
    """(auto / torch, picked engine / best engine, picked engine, best engine).

    The second ratio compares the engine ``auto`` picked with the fastest engine, both timed
    as forced engines, so that it measures the choice, not timing noise between two runs of
    the same code. Engines pruned after one slow warm-up call are left out.
    """
    m = r[mode]["median_s"]
    once = set(r[mode]["timed_once"])      # pruned after one slow call: not comparable
    picked = r[mode]["auto_engine"]
    engines = {n: t for n, t in m.items() if n in conv.ENGINES and n not in once}
    engines.setdefault(picked, m["auto"])  # auto *is* the picked engine
    best = min(engines, key=engines.get)
    return m["auto"] / m["torch"], engines[picked] / engines[best], picked, best


def print_table(results: list[dict]) -> None:
    head = (f"{'layer':<12} {'torch fwd':>10} {'auto fwd':>10} {'ratio':>6} {'cold':>6} "
            f"{'engine':>8} | {'torch f+b':>10} {'auto f+b':>10} {'ratio':>6} {'engine':>8} | "
            f"{'pick/best fwd':>15} {'pick/best f+b':>15}")
    print(head)
    print("-" * len(head))
    for r in results:
        f, b = r["forward"]["median_s"], r["forward_backward"]["median_s"]
        rf, af, ef, bf = _ratio_row(r, "forward")
        rb, ab, eb, bb = _ratio_row(r, "forward_backward")
        print(f"{r['name']:<12} {f['torch'] * 1e3:10.2f} {f['auto'] * 1e3:10.2f} {rf:6.2f} "
              f"{f['auto (cold)'] / f['torch']:6.2f} {ef:>8} | {b['torch'] * 1e3:10.2f} "
              f"{b['auto'] * 1e3:10.2f} {rb:6.2f} {eb:>8} | {af:6.2f} ({bf:>5}) "
              f"{ab:6.2f} ({bb:>5})")


def print_busy_ratios(quiet: list[dict], busy: list[dict]) -> None:
    """Busy/quiet forward+backward time per layer, for convlens auto and for torch."""
    print(f"\n{'layer':<12} {'busy/quiet f+b':>15} {'torch busy/quiet':>17}")
    for q, b in zip(quiet, busy):
        mq, mb = q["forward_backward"]["median_s"], b["forward_backward"]["median_s"]
        print(f"{q['name']:<12} {mb['auto'] / mq['auto']:15.2f} "
              f"{mb['torch'] / mq['torch']:17.2f}")


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r["name"] for r in results]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    xs = np.arange(len(names))
    for offset, mode, label in ((-0.2, "forward", "forward"),
                                (0.2, "forward_backward", "forward + backward")):
        ratios = [r[mode]["median_s"]["auto"] / r[mode]["median_s"]["torch"] for r in results]
        ax.bar(xs + offset, ratios, width=0.4, label=label)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(xs, names, rotation=30, ha="right")
    ax.set_ylabel("convlens auto / torch time (lower is better)")
    ax.set_title("convlens vs PyTorch (CPU), same process, same thread count")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=Path, default=CONFIGS)
    parser.add_argument("--only", nargs="*", help="layer names to run (default: all)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=default_threads())
    parser.add_argument("--prune", type=float, default=4.0)
    parser.add_argument("--no-engines", action="store_true", help="time auto and torch only")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds per layer and pass after which rounds stop (min 3)")
    parser.add_argument("--busy", action="store_true",
                        help="time again with one core kept busy by a background process")
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "results" / "conv_vs_torch")
    args = parser.parse_args(argv)
    configs = [c for c in load_configs(args.configs) if not args.only or c["name"] in args.only]
    results, busy_results = [], []
    for busy, into in ((False, results), (True, busy_results))[:1 + args.busy]:
        with threads(args.threads), busy_core(busy):
            for config in configs:
                into.append(bench_layer(config, args.repeats, args.prune, not args.no_engines,
                                        args.budget))
                print(f"  done {config['name']}{' (busy)' if busy else ''}", flush=True)
    print_table(results)
    if busy_results:
        print("\nwith one core kept busy:")
        print_table(busy_results)
        print_busy_ratios(results, busy_results)
    import torch

    meta = {"threads": args.threads, "repeats": args.repeats, "block": 3,
            "torch": torch.__version__,
            "numpy": np.__version__, "machine": platform.machine(),
            "processor": platform.processor(), "python": platform.python_version()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(
        {"meta": meta, "layers": results, "busy_layers": busy_results}, indent=1))
    plot(results, args.out.with_suffix(".png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
