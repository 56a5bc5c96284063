"""Markdown table of one or more conv_vs_torch.py result files (the table in performance.md).

    python benchmarks/results_table.py run1.json run2.json run3.json

With several runs, each ratio cell lists every run's value (in the order given), so the
run-to-run spread on a shared machine stays visible; times are from the last file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ENGINES = ("direct", "gemm", "winograd", "fft")


def _ratios(layer: dict, mode: str) -> tuple[float, float, str]:
    """(auto / torch, picked engine / fastest engine, picked engine).

    Engines timed only once (pruned after a slow warm-up call) are left out of the fastest;
    when the picked engine itself was pruned, ``auto``'s median stands in for it.
    """
    m = layer[mode]["median_s"]
    once = set(layer[mode].get("timed_once", ()))
    picked = layer[mode]["auto_engine"]
    engines = {n: t for n, t in m.items() if n in ENGINES and n not in once}
    engines.setdefault(picked, m["auto"])
    return m["auto"] / m["torch"], engines[picked] / min(engines.values()), picked


def table(runs: list[dict]) -> str:
    lines = ["| layer | torch fwd ms | auto fwd ms | engine | fwd ratio | torch f+b ms | "
             "auto f+b ms | engine | f+b ratio | pick/best fwd | pick/best f+b |",
             "|---|---:|---:|---|---|---:|---:|---|---|---|---|"]
    last = runs[-1]["layers"]
    for i, layer in enumerate(last):
        cells = [layer["name"]]
        for mode in ("forward", "forward_backward"):
            m = layer[mode]["median_s"]
            ratios = " / ".join(f"{_ratios(r['layers'][i], mode)[0]:.2f}" for r in runs)
            cells += [f"{m['torch'] * 1e3:.2f}", f"{m['auto'] * 1e3:.2f}",
                      layer[mode]["auto_engine"], ratios]
        for mode in ("forward", "forward_backward"):
            cells.append(" / ".join(f"{_ratios(r['layers'][i], mode)[1]:.2f}" for r in runs))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    print(table([json.loads(p.read_text()) for p in args.files]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
