"""``convlens predict RUN_OR_MODEL INPUT...``: the predicted class and its probability per file.

Inputs are files or folders (every image and ``.npy`` file in them, sorted). Image files (PNG,
JPEG, ... through Pillow) are converted to the model's channels and size; ``.npy`` files must
already hold one sample of the model's input shape. An unreadable input is reported on stderr
and skipped; the exit code is then 2, after the other inputs have been classified.

MNIST-style digits are light on a dark background. With ``--invert auto`` (the default) a
one-channel image whose border is mostly light (a dark digit on white paper) is inverted to
match, and a note on stderr says so.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import _runs

#: Datasets whose images are light digits or objects on a dark background.
DARK_BACKGROUND = ("mnist-5k", "mnist", "fashion-mnist", "digits")
_BATCH = 256


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict", help="classify image or .npy files",
        description="Print the predicted class and its probability for each input file, "
                    "with a header line. Folders are searched for image and .npy files.")
    parser.add_argument("source", metavar="RUN_OR_MODEL",
                        help="a run folder (convlens train --out) or a model file")
    parser.add_argument("files", metavar="INPUT", nargs="+",
                        help="image files, .npy files, or folders holding them")
    parser.add_argument("--input-shape", default=None,
                        help="C,H,W (or C,L) of the model input (default: read from the run)")
    parser.add_argument("--invert", choices=("auto", "yes", "no"), nargs="?", const="yes",
                        default="auto",
                        help="invert grey levels of one-channel images: auto inverts those "
                             "with a light border (dark digits on paper) for models trained on "
                             "light-on-dark data such as MNIST; a bare --invert means yes "
                             "(put it after the inputs, or write --invert=yes)")
    parser.add_argument("--format", choices=("tsv", "csv", "json"), default="tsv",
                        help="output format, each with a header or field names")
    parser.add_argument("--scheduler", default=None, metavar="local|ADDRESS",
                        help="classify on Dask (pip install 'convlens[dask]'): 'local' starts a "
                             "LocalCluster on this machine, an address such as "
                             "tcp://host:8786 joins a running scheduler (default: in-process)")
    parser.set_defaults(run=run)


def expand_inputs(paths: list[str]) -> list[tuple[str, str | None]]:
    """(file, None) for every input to classify, folders expanded and sorted, and
    (path, problem) for inputs that are not there, in the order given."""
    from ..data.image_folder import IMAGE_SUFFIXES

    suffixes = (*IMAGE_SUFFIXES, ".npy")
    inputs: list[tuple[str, str | None]] = []
    for path in paths:
        if os.path.isdir(path):
            found = sorted(os.path.join(root, name) for root, _, names in os.walk(path)
                           for name in names
                           if not name.startswith(".") and name.lower().endswith(suffixes))
            inputs += [(name, None) for name in found] or [
                (path, f"the folder {path!r} holds no image or .npy files")]
        elif os.path.isfile(path):
            inputs.append((path, None))
        else:
            inputs.append((path, f"no input file at {path!r}"))
    return inputs


def load_input(path: str, shape: tuple[int, ...], invert: str = "no") -> tuple[np.ndarray, bool]:
    """One sample and whether it was inverted: :func:`convlens.data.sample_file.load_sample`."""
    from ..data.sample_file import load_sample

    return load_sample(path, shape, invert)


def _model_and_shape(args: argparse.Namespace):
    import convlens as cl

    model_path, config = _runs.resolve(args.source)
    model = cl.load(model_path)          # a broken model file is reported before missing flags
    if args.input_shape:
        shape = _runs.parse_shape(args.input_shape)
    elif "input_shape" in config:
        shape = tuple(config["input_shape"])
    else:
        raise ValueError(f"--input-shape is required for a bare model file ({model_path!r} "
                         "has no run folder telling its input shape)")
    return model, shape, config


def run(args: argparse.Namespace) -> int:
    model, shape, config = _model_and_shape(args)
    model.eval()
    classes = config.get("classes")
    invert = args.invert
    if invert == "auto" and config.get("dataset") not in (None, *DARK_BACKGROUND):
        invert = "no"  # trained on other images: their polarity is whatever the user's is
    if args.scheduler:
        return _run_on_dask(args, model, shape, classes, invert)
    good: list[tuple[str, bool]] = []
    problems: list[str] = []
    batches = _load_batches(args.files, shape, invert, args.invert == "auto", good, problems)
    rows = []
    for probabilities in _classify(model, batches):
        first = len(rows)                   # the batch's files: good grows as batches load
        for (path, flipped), row in zip(good[first:first + len(probabilities)], probabilities):
            best = int(row.argmax())
            name = classes[best] if classes and best < len(classes) else str(best)
            rows.append({"file": path, "class": name, "probability": round(float(row[best]), 4),
                         "inverted": flipped})
    write_rows(rows, args.format)
    for problem in problems:
        print(f"convlens: error: {problem}", file=sys.stderr)
    return 2 if problems else 0


def _load_batches(paths: list[str], shape: tuple[int, ...], invert: str, note: bool,
                  good: list[tuple[str, bool]], problems: list[str]) -> Iterator[np.ndarray]:
    """Stacked batches of the readable inputs, in order; each one's (path, inverted) goes to
    ``good`` and every unreadable input's message to ``problems`` as it is met."""
    samples = []
    for path, problem in expand_inputs(paths):
        if problem is not None:
            problems.append(problem)
            continue
        try:
            sample, flipped = load_input(path, shape, invert)
        except (OSError, ValueError, MemoryError) as error:
            message = str(error) or type(error).__name__
            problems.append(message if path in message else f"{path}: {message}")
            continue
        if flipped and note:
            _note_inverted(path)
        samples.append(sample)
        good.append((path, flipped))
        if len(samples) == _BATCH:
            yield np.stack(samples)
            samples = []
    if samples:
        yield np.stack(samples)


def _classify(model, batches: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """The softmax probabilities of each batch, in order.

    With more than one thread allowed (``cl.set_num_threads``) the model runs on a second
    thread while the next batch is read: decoding files is Python that holds the GIL, the
    model mostly compiled loops and BLAS that release it. The batches and their order are the
    same either way, so are the numbers.
    """
    import convlens as cl
    from convlens import functional as F

    def probabilities(batch: np.ndarray) -> np.ndarray:
        return F.softmax(model(cl.tensor(batch)), dim=1).numpy()

    with cl.no_grad():
        if cl.get_num_threads() == 1:
            yield from map(probabilities, batches)
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="convlens-predict") as pool:
            running = None
            for batch in batches:
                if running is not None:
                    yield running.result()
                running = pool.submit(probabilities, batch)
            if running is not None:
                yield running.result()


def _note_inverted(path: str) -> None:
    print(f"convlens: note: {path} has a light background; inverted it to light on dark, as "
          f"the model's training digits are (--invert no keeps it)", file=sys.stderr)


def _run_on_dask(args: argparse.Namespace, model, shape: tuple[int, ...], classes,
                 invert: str) -> int:
    """The same rows, computed block by block on a Dask cluster (docs/scale.md)."""
    import convlens as cl

    from ._dask_progress import follow

    inputs = expand_inputs(args.files)
    problems = [problem for _, problem in inputs if problem is not None]
    files = [path for path, problem in inputs if problem is None]
    with cl.dask.connect(args.scheduler) as client:
        table = client.persist(cl.dask.predict(model, files, input_shape=shape, invert=invert,
                                               classes=classes))
        table = follow(client, table).compute()
    rows = []
    for record in table.to_dict("records"):
        if record["error"]:   # "ValueError: message", as the in-process path words it
            message = record["error"].split(": ", 1)[-1]
            problems.append(message if record["path"] in message
                            else f"{record['path']}: {message}")
            continue
        rows.append({"file": record["path"], "class": record["class"],
                     "probability": round(float(record["probability"]), 4),
                     "inverted": bool(record["inverted"])})
        if record["inverted"] and args.invert == "auto":
            _note_inverted(record["path"])
    write_rows(rows, args.format)
    for problem in problems:
        print(f"convlens: error: {problem}", file=sys.stderr)
    return 2 if problems else 0


def write_rows(rows: list[dict], form: str) -> None:
    """Print the predictions as tsv or csv (header line first) or as a JSON list."""
    if form == "json":
        json.dump(rows, sys.stdout, indent=2)
        print()
        return
    fields = ("file", "class", "probability", "inverted")
    if form == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return
    print("\t".join(fields))
    for row in rows:
        print(f"{row['file']}\t{row['class']}\t{row['probability']:.4f}\t"
              f"{'yes' if row['inverted'] else 'no'}")
