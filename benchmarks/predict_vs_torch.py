"""`convlens predict` on a folder of PNG digits against the PyTorch script doing the same job.

    python benchmarks/predict_vs_torch.py                      # 1,000 images, 2 threads
    python benchmarks/predict_vs_torch.py --busy               # also with one core kept busy
    python benchmarks/predict_vs_torch.py --images 50 --repeats 1   # smoke check

It writes the first ``--images`` mnist-5k test digits as 8-bit grey PNG files (white digit on
black, as MNIST) into a temporary folder, trains LeNet-5 for one epoch with ``convlens train``
(in-process) into a temporary run folder, and then times, interleaved in one process with the
same thread count:

- end to end: ``convlens.cli.main(["predict", RUN, FOLDER])`` (stdout captured) against the
  script a torch user would write: build the model and load its weights from a file
  (``torch.load(..., weights_only=True)``), list the folder, open each PNG with Pillow, scale
  to [0, 1] as float32, stack, classify in batches of convlens's size under ``model.eval()``
  and ``torch.no_grad()``, softmax, print the same TSV rows. Both read the same weights from
  disk on every run (the run's model, copied into the torch twin through the state_dict and
  saved with ``torch.save``), as ``convlens predict`` reads its model file;
- loading only: listing the folder, reading every file and stacking the inputs (convlens's
  ``expand_inputs`` and ``load_input``, as ``predict`` calls them, against the torch loop);
- model only: the forward (and softmax) of the same stacked images in the same batches.

Both sides must predict the same class for every file (checked; the agreement is printed).
It prints medians and the ratios convlens/torch (below 1.0: convlens is faster) and writes
them as JSON to ``benchmarks/results/predict_vs_torch.json`` (``--json``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from _busy import busy_core
from _timing import interleaved, threads
from PIL import Image
from train_vs_torch import torch_model

import convlens as cl
from convlens import cli
from convlens import functional as F
from convlens.commands.predict import _BATCH, expand_inputs, load_input

RESULTS = Path(__file__).resolve().parent / "results"


def write_pngs(folder: str, count: int) -> list[int]:
    """The first ``count`` mnist-5k test digits as 8-bit PNG files; their labels."""
    _, test = cl.data.load_dataset("mnist-5k")
    if count > len(test.x):
        raise SystemExit(f"--images must be at most {len(test.x)}; got {count}")
    pixels = np.rint(test.x[:count, 0] * 255.0).astype(np.uint8)
    for index, image in enumerate(pixels):
        Image.fromarray(image, mode="L").save(os.path.join(folder, f"digit_{index:04d}.png"))
    return [int(y) for y in test.y[:count]]


def train_run(folder: str, limit: int) -> str:
    """A one-epoch LeNet-5 run folder on mnist-5k, trained by ``convlens train``."""
    run = os.path.join(folder, "run")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(["train", "--dataset", "mnist-5k", "--model", "lenet5", "--epochs", "1",
                         "--limit", str(limit), "--quiet", "--out", run])
    if code != 0:
        raise SystemExit(f"convlens train failed with exit code {code}")
    return run


def convlens_predict(run: str, images: str) -> str:
    """The TSV that ``convlens predict RUN IMAGES`` prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["predict", run, images])
    if code != 0:
        raise SystemExit(f"convlens predict failed with exit code {code}")
    return out.getvalue()


def torch_load(images: str) -> tuple[list[str], np.ndarray]:
    """The torch user's loading: list the folder, open each PNG, float32 in [0, 1], stack."""
    files = sorted(os.path.join(images, name) for name in os.listdir(images)
                   if name.lower().endswith(".png"))
    return files, np.stack([np.asarray(Image.open(path), dtype=np.float32)[None]
                            / np.float32(255) for path in files])


def convlens_load(images: str) -> np.ndarray:
    """What ``convlens predict`` does before the model: expand the folder, load every file
    (``--invert auto``, as for a run trained on mnist-5k), stack."""
    files = [path for path, _ in expand_inputs([images])]
    return np.stack([load_input(path, (1, 28, 28), "auto")[0] for path in files])


def torch_predict(weights: str, images: str, classes: list[str]) -> str:
    """What a torch user writes for the same job, printing the same TSV rows."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        model = torch_model("lenet5")
        model.load_state_dict(torch.load(weights, weights_only=True))
        files, x = torch_load(images)
        model.eval()
        print("file\tclass\tprobability\tinverted")
        with torch.no_grad():
            for start in range(0, len(files), _BATCH):
                p = torch.softmax(model(torch.from_numpy(x[start:start + _BATCH])), dim=1)
                best, index = p.max(dim=1)
                for path, b, i in zip(files[start:start + _BATCH], best.tolist(),
                                      index.tolist()):
                    print(f"{path}\t{classes[i]}\t{b:.4f}\tno")
    return out.getvalue()


def forward_convlens(model, x: np.ndarray) -> np.ndarray:
    with cl.no_grad():
        return np.concatenate([F.softmax(model(cl.tensor(x[s:s + _BATCH])), dim=1).numpy()
                               for s in range(0, len(x), _BATCH)])


def forward_torch(model: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return np.concatenate([torch.softmax(model(torch.from_numpy(x[s:s + _BATCH])), dim=1)
                               .numpy() for s in range(0, len(x), _BATCH)])


def table(tsv: str) -> list[tuple[str, str, str]]:
    """(file, class, probability) per row of a predict TSV, header dropped."""
    return [tuple(line.split("\t")[:3]) for line in tsv.splitlines()[1:]]


def agreement(run: str, images: str, model, twin, x: np.ndarray) -> dict:
    """Check both sides classify every file alike; counts of agreeing classes and texts."""
    classes = json.loads(Path(run, "config.json").read_text())["classes"]
    ours = table(convlens_predict(run, images))
    theirs = table(torch_predict(_weights(run), images, classes))
    if [r[0] for r in ours] != [r[0] for r in theirs]:
        raise SystemExit("convlens and torch listed different files")
    same_class = sum(a[1] == b[1] for a, b in zip(ours, theirs))
    if same_class != len(ours):
        raise SystemExit(f"classes differ on {len(ours) - same_class} of {len(ours)} files")
    p_ours, p_theirs = forward_convlens(model, x), forward_torch(twin, x)
    return {"files": len(ours), "same_class": same_class,
            "same_row_text": sum(a == b for a, b in zip(ours, theirs)),
            "max_abs_probability_difference": float(np.abs(p_ours - p_theirs).max())}


def _weights(run: str) -> str:
    """The torch twin's weights file in the run folder (written by main)."""
    return os.path.join(run, "torch_weights.pt")


def measure(run: str, images: str, model, twin, x: np.ndarray, repeats: int) -> dict:
    classes = [str(c) for c in json.loads(Path(run, "config.json").read_text())["classes"]]
    end_to_end = interleaved({"convlens": lambda: convlens_predict(run, images),
                              "torch": lambda: torch_predict(_weights(run), images, classes)},
                             repeats, block=1, budget_s=120.0)
    loading = interleaved({"convlens": lambda: convlens_load(images),
                           "torch": lambda: torch_load(images)},
                          repeats, block=1, budget_s=60.0)
    forward = interleaved({"convlens": lambda: forward_convlens(model, x),
                           "torch": lambda: forward_torch(twin, x)},
                          repeats, block=3, budget_s=60.0)
    row = {}
    for part, times in (("end_to_end", end_to_end), ("loading", loading),
                        ("model_only", forward)):
        ours, theirs = (statistics.median(times[k]) for k in ("convlens", "torch"))
        row |= {f"{part}_convlens_ms": 1000 * ours, f"{part}_torch_ms": 1000 * theirs,
                f"{part}_ratio": ours / theirs, f"{part}_repeats": len(times["convlens"])}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000, help="PNG files to classify")
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--train-limit", type=int, default=2000,
                        help="training samples for the one-epoch LeNet-5 run")
    parser.add_argument("--busy", action="store_true",
                        help="run again with one core kept busy by a background process")
    parser.add_argument("--json", default=str(RESULTS / "predict_vs_torch.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, threads(args.threads):
        images = os.path.join(scratch, "digits")
        os.mkdir(images)
        write_pngs(images, args.images)
        run = train_run(scratch, args.train_limit)
        model = cl.load(os.path.join(run, "model.convlens"))
        model.eval()
        twin = torch_model("lenet5")
        twin.load_state_dict({k: torch.from_numpy(np.array(v.numpy() if hasattr(v, "numpy")
                                                            else v))
                              for k, v in model.state_dict().items()})
        twin.eval()
        torch.save(twin.state_dict(), _weights(run))
        _, x = torch_load(images)
        if not np.array_equal(convlens_load(images), x):
            raise SystemExit("convlens and the torch script computed different inputs")
        check = agreement(run, images, model, twin, x)
        rows = []
        for busy in (False, True) if args.busy else (False,):
            with busy_core(busy):
                rows.append({"load": "busy" if busy else "quiet", "images": args.images,
                             "threads": args.threads, "batch": _BATCH,
                             **measure(run, images, model, twin, x, args.repeats)})
    report = {"agreement": check, "rows": rows}
    print_report(report)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2) + "\n")


def print_report(report: dict) -> None:
    check = report["agreement"]
    print(f"agreement: inputs bit-identical; same class on {check['same_class']}/"
          f"{check['files']} files, same row text on {check['same_row_text']}/{check['files']}, "
          f"max |p convlens - p torch| "
          f"{check['max_abs_probability_difference']:.2e}")
    print(f"{'load':>5} {'part':>10} {'convlens ms':>12} {'torch ms':>9} {'ratio':>6} "
          f"{'repeats':>7}")
    for r in report["rows"]:
        for part in ("end_to_end", "loading", "model_only"):
            print(f"{r['load']:>5} {part:>10} {r[f'{part}_convlens_ms']:>12.1f} "
                  f"{r[f'{part}_torch_ms']:>9.1f} {r[f'{part}_ratio']:>6.2f} "
                  f"{r[f'{part}_repeats']:>7}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
