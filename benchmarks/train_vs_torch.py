"""Train the same models in convlens and PyTorch, in one process, and compare time per step.

    python benchmarks/train_vs_torch.py                  # both models, full runs (a few minutes)
    python benchmarks/train_vs_torch.py --quick          # 300 steps each, for a smoke check
    python benchmarks/train_vs_torch.py --quick --busy   # also with one core kept busy

Both frameworks start from the same weights (convlens's init, copied into torch through the
state_dict), see the same batches in the same order, and use the same optimizer settings:
- mnist1d_cnn on MNIST-1D with the paper's setup (Adam, lr 1e-2, batch 100, 8,000 steps);
- lenet5 on mnist-5k as `convlens train` runs it (Adam, lr 3e-3, batch 64, 10 epochs).
It prints time per step for each, the ratio convlens/torch (below 1.0: convlens is faster)
and both final test accuracies, and writes the table as JSON. ``--busy`` runs everything a
second time while a background process (started and stopped by the benchmark) keeps one core
busy, and prints each library's busy/quiet time per step. A few untimed steps of each come first.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from _busy import busy_core
from _timing import HERE

import convlens as cl
from convlens import functional as F

SETUPS = {
    "mnist1d_cnn": {"dataset": "mnist1d", "lr": 1e-2, "batch_size": 100, "steps": 8000},
    "lenet5": {"dataset": "mnist-5k", "lr": 3e-3, "batch_size": 64, "steps": 630},
}


def torch_model(name: str) -> torch.nn.Sequential:
    """The torch twin of a zoo model (same layers, same order, so the same state_dict keys)."""
    nn = torch.nn
    if name == "lenet5":
        return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                             nn.Linear(84, 10))
    return nn.Sequential(nn.Conv1d(1, 25, 5, stride=2, padding=1), nn.ReLU(),
                         nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
                         nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(125, 10))


def batches(train, batch_size: int, steps: int, seed: int):
    """The same (x, y) ndarray batches for both frameworks: convlens's DataLoader order."""
    loader = cl.data.DataLoader(train, batch_size=batch_size, shuffle=True, seed=seed,
                                drop_last=True)
    out, epoch = [], 0
    while len(out) < steps:
        loader.set_epoch(epoch)
        out += [(x.numpy(), y.numpy()) for x, y in loader]
        epoch += 1
    return out[:steps]


def run_convlens(name, setup, data, test):
    cl.manual_seed(0)
    model = cl.models.create(name, input_shape=test.input_shape)
    initial = {k: np.array(v.data if hasattr(v, "data") else v)
               for k, v in model.state_dict().items()}
    optimizer = cl.optim.Adam(model.parameters(), lr=setup["lr"])
    started = time.perf_counter()
    for x, y in data:
        loss = F.cross_entropy(model(cl.tensor(x)), cl.tensor(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - started
    model.eval()
    with cl.no_grad():
        accuracy = float((model(cl.tensor(test.x)).numpy().argmax(1) == test.y).mean())
    return initial, seconds, accuracy


def run_torch(name, setup, data, test, initial):
    model = torch_model(name)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in initial.items()})
    optimizer = torch.optim.Adam(model.parameters(), lr=setup["lr"])
    started = time.perf_counter()
    for x, y in data:
        loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - started
    model.eval()
    with torch.no_grad():
        accuracy = float((model(torch.from_numpy(test.x)).argmax(1).numpy() == test.y).mean())
    return seconds, accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 steps per model")
    parser.add_argument("--models", nargs="+", default=list(SETUPS), choices=list(SETUPS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", default=str(HERE / "results" / "train_vs_torch.json"))
    parser.add_argument("--busy", action="store_true",
                        help="run again with one core kept busy by a background process")
    parser.add_argument("--steps", type=int, help="steps per model (overrides --quick)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cl.set_num_threads(args.threads)
    rows = []
    for name in args.models:
        setup = SETUPS[name]
        train, test = cl.data.load_dataset(setup["dataset"])
        steps = args.steps or (300 if args.quick else setup["steps"])
        data = batches(train, setup["batch_size"], steps, seed=0)
        # Untimed warm-up: the compiled kernels load from numba's cache (about a second) and
        # both libraries settle their allocators before either is timed.
        initial, _, _ = run_convlens(name, setup, data[:10], test)
        run_torch(name, setup, data[:10], test, initial)
        for busy in (False, True) if args.busy else (False,):
            with busy_core(busy):
                initial, ours, our_accuracy = run_convlens(name, setup, data, test)
                theirs, their_accuracy = run_torch(name, setup, data, test, initial)
            rows.append({"model": name, "steps": steps, "load": "busy" if busy else "quiet",
                         "convlens_ms_per_step": 1000 * ours / steps,
                         "torch_ms_per_step": 1000 * theirs / steps, "ratio": ours / theirs,
                         "convlens_test_accuracy": our_accuracy,
                         "torch_test_accuracy": their_accuracy})
    print_rows(rows)
    with open(args.json, "w") as stream:
        json.dump(rows, stream, indent=2)


def print_rows(rows: list[dict]) -> None:
    print(f"{'model':<12} {'load':>5} {'steps':>6} {'convlens ms':>12} {'torch ms':>9} "
          f"{'ratio':>6} {'acc convlens':>13} {'acc torch':>10}")
    for r in rows:
        print(f"{r['model']:<12} {r['load']:>5} {r['steps']:>6} "
              f"{r['convlens_ms_per_step']:>12.2f} {r['torch_ms_per_step']:>9.2f} "
              f"{r['ratio']:>6.2f} {r['convlens_test_accuracy']:>13.4f} "
              f"{r['torch_test_accuracy']:>10.4f}")
    quiet = {r["model"]: r for r in rows if r["load"] == "quiet"}
    for r in rows:
        if r["load"] == "busy":
            q = quiet[r["model"]]
            print(f"{r['model']}: busy/quiet time per step: convlens "
                  f"{r['convlens_ms_per_step'] / q['convlens_ms_per_step']:.2f}, torch "
                  f"{r['torch_ms_per_step'] / q['torch_ms_per_step']:.2f}")


if __name__ == "__main__":
    main()
