"""Images per second for ``cl.dask.predict`` and ``cl.dask.filter`` with 1 and 2 workers,
against the in-process path, on this machine.

    python benchmarks/scale_throughput.py [--images 4000] [--repeats 3]

Each contender runs ``--repeats`` times and the best time counts (the first Dask run of a
cluster, which loads the model and transforms the kernel on each worker, is a warm-up).
The inputs are first persisted on the workers (as a cluster's data would be); the Dask timings
include the scheduler's overhead and bringing the results back. Prints a table; docs/scale.md
quotes it.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import convlens as cl
from convlens import functional as F
from convlens import image


def best_time(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import dask.array as da
    from distributed import Client, LocalCluster

    _, test = cl.data.load_dataset("mnist-5k")
    digits = np.resize(test.x, (args.images, 1, 28, 28)).astype(np.float32)
    photos = np.random.default_rng(0).random((args.images // 20, 256, 256)).astype(np.float32)
    cl.manual_seed(0)
    model = cl.models.create("lenet5", input_shape=(1, 28, 28), num_classes=10).eval()

    def predict_in_process():
        with cl.no_grad():
            for i in range(0, len(digits), 256):
                F.softmax(model(cl.tensor(digits[i:i + 256])), dim=1)

    blur = image.Filter("gaussian", method="fft")
    rows = [("predict lenet5", "in-process", len(digits) / best_time(predict_in_process,
                                                                     args.repeats)),
            ("filter 256x256 gaussian", "in-process",
             len(photos) / best_time(lambda: [blur(p) for p in photos], args.repeats))]
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            # the inputs live on the workers first, as a cluster's data would
            x = client.persist(da.from_array(digits, chunks=(256, 1, 28, 28)))
            p = client.persist(da.from_array(photos, chunks=(10, 256, 256)))
            cl.dask.predict(model, x).compute()                    # warm-up
            cl.dask.filter(p, "gaussian", method="fft").compute()
            rows.append(("predict lenet5", f"dask, {workers} worker(s)", len(digits) / best_time(
                lambda x=x: cl.dask.predict(model, x).compute(), args.repeats)))
            rows.append(("filter 256x256 gaussian", f"dask, {workers} worker(s)",
                         len(photos) / best_time(lambda p=p: cl.dask.filter(
                             p, "gaussian", method="fft").compute(), args.repeats)))
    print(f"{'job':26} {'engine':20} {'images/s':>10}")
    for job, engine, rate in rows:
        print(f"{job:26} {engine:20} {rate:10.0f}")


if __name__ == "__main__":
    main()
