"""Break one training step of lenet5 and mnist1d_cnn into time per op, convlens and torch.

    python benchmarks/profile_step.py                      # both models, 2 threads
    python benchmarks/profile_step.py --models lenet5 --steps 50 --threads 1

For convlens every op's forward is timed from the moment the previous autograd node was
recorded to the moment its own node is recorded (so a layer's Python overhead counts with
it), and every node's backward closure is timed as it runs; the optimizer step is timed
apart. For torch, ``torch.profiler`` gives the self CPU time per aten op. Both run the same
batches from the same weights in one process with one thread count, and the table shows the
median over steps (convlens) and the mean (torch's profiler averages).

It also measures the fixed cost of one autograd node: a chain of 200 additions on a
one-element tensor, forward and backward, in µs per node for each library.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict

import numpy as np
import torch
from train_vs_torch import SETUPS, batches, torch_model

import convlens as cl
from convlens import functional as F
from convlens.tensor import Tensor


class OpTimer:
    """Times convlens ops by wrapping ``Tensor._from_op`` and every backward closure."""

    def __init__(self) -> None:
        self.forward: dict[str, list[float]] = defaultdict(list)
        self.backward: dict[str, list[float]] = defaultdict(list)
        self._mark = 0.0
        self._original = Tensor.__dict__["_from_op"]
        self.recording = False

    def start_forward(self) -> None:
        self._mark = time.perf_counter()
        self.recording = True

    def stop_forward(self) -> None:
        """Ops made after this (in backward or the optimizer) are not forward time."""
        self.recording = False

    def __enter__(self) -> OpTimer:
        timer, original = self, self._original.__func__

        def from_op(cls, data, inputs, backward, name):
            now = time.perf_counter()
            if timer.recording:
                timer.forward[name].append(now - timer._mark)

            def timed(grad_output):
                t0 = time.perf_counter()
                result = backward(grad_output)
                timer.backward[name].append(time.perf_counter() - t0)
                return result

            out = original(cls, data, inputs, timed, name)
            timer._mark = time.perf_counter()
            return out

        Tensor._from_op = classmethod(from_op)
        return self

    def __exit__(self, *exc: object) -> None:
        Tensor._from_op = self._original


def profile_convlens(name: str, data, steps: int, input_shape) -> dict[str, float]:
    """Milliseconds per step for each (op, pass) of convlens, medians over ``steps``."""
    cl.manual_seed(0)
    model = cl.models.create(name, input_shape=input_shape)
    optimizer = cl.optim.Adam(model.parameters(), lr=1e-3)
    rows: dict[str, list[float]] = defaultdict(list)
    with OpTimer() as timer:
        for x, y in data[:steps]:
            timer.forward.clear(), timer.backward.clear()
            t0 = time.perf_counter()
            timer.start_forward()
            loss = F.cross_entropy(model(cl.tensor(x)), cl.tensor(y))
            t1 = time.perf_counter()
            timer.stop_forward()
            optimizer.zero_grad()
            loss.backward()
            t2 = time.perf_counter()
            optimizer.step()
            t3 = time.perf_counter()
            for kind, table in (("fwd", timer.forward), ("bwd", timer.backward)):
                for op, times in table.items():
                    rows[f"{op} {kind}"].append(sum(times))
            rows["optimizer step"].append(t3 - t2)
            rows["(forward total)"].append(t1 - t0)
            rows["(backward total)"].append(t2 - t1)
            rows["(step total)"].append(t3 - t0)
    return {k: 1e3 * statistics.median(v) for k, v in rows.items()}


def profile_torch(name: str, data, steps: int, initial: dict) -> dict[str, float]:
    """Milliseconds per step of each aten op (self CPU time) in torch's profiler."""
    model = torch_model(name)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in initial.items()})
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(x, y):
        loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x)),
                                                 torch.from_numpy(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for x, y in data[:5]:
        step(x, y)
    totals = []
    for x, y in data[:steps]:
        t0 = time.perf_counter()
        step(x, y)
        totals.append(time.perf_counter() - t0)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for x, y in data[:steps]:
            step(x, y)
    rows = {e.key: e.self_cpu_time_total / 1e3 / steps for e in prof.key_averages()}
    rows = dict(sorted(rows.items(), key=lambda kv: -kv[1])[:14])
    rows["(step total, unprofiled)"] = 1e3 * statistics.median(totals)
    return rows


def node_overhead(nodes: int = 200, repeats: int = 30) -> tuple[float, float]:
    """µs per autograd node (forward + backward) for convlens and torch: a chain of adds."""
    def chain(lib, x):
        y = x
        for _ in range(nodes):
            y = y + 1.0
        y.sum().backward()

    results = []
    for lib, make in ((cl, lambda: cl.tensor(np.ones(1), requires_grad=True)),
                      (torch, lambda: torch.ones(1, dtype=torch.float64, requires_grad=True))):
        times = []
        for _ in range(repeats):
            x = make()
            t0 = time.perf_counter()
            chain(lib, x)
            times.append(time.perf_counter() - t0)
        results.append(1e6 * statistics.median(times) / (nodes + 1))
    return results[0], results[1]


def print_table(title: str, rows: dict[str, float]) -> None:
    print(f"\n{title}")
    for key, ms in sorted(rows.items(), key=lambda kv: (kv[0].startswith("("), -kv[1])):
        print(f"  {key:<40} {ms:8.3f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(SETUPS), choices=list(SETUPS))
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if hasattr(cl, "set_num_threads"):
        cl.set_num_threads(args.threads)
    for name in args.models:
        setup = SETUPS[name]
        train, test = cl.data.load_dataset(setup["dataset"])
        data = batches(train, setup["batch_size"], args.steps + 5, seed=0)
        cl.manual_seed(0)
        model = cl.models.create(name, input_shape=test.input_shape)
        initial = {k: np.array(v.numpy()) for k, v in model.state_dict().items()}
        for x, y in data[:5]:                       # warm-up (and any compilation)
            F.cross_entropy(model(cl.tensor(x)), cl.tensor(y)).backward()
        ours = profile_convlens(name, data[5:], args.steps, test.input_shape)
        theirs = profile_torch(name, data[5:], args.steps, initial)
        print_table(f"{name}: convlens, ms per step ({args.threads} threads)", ours)
        print_table(f"{name}: torch (profiler self CPU), ms per step", theirs)
        print(f"  ratio step convlens/torch: "
              f"{ours['(step total)'] / theirs['(step total, unprofiled)']:.2f}")
    ours_us, torch_us = node_overhead()
    print(f"\nautograd node overhead (add chain, fwd+bwd): convlens {ours_us:.1f} µs/node, "
          f"torch {torch_us:.1f} µs/node, ratio {ours_us / torch_us:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
