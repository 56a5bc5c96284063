"""Helpers shared by the subcommands: JSON output files and ``--input-shape`` parsing.

Run folders themselves are described in :mod:`convlens.io.runs`.
"""

from __future__ import annotations

import json
from typing import Any

from .._atomic import atomic_write
from ..io.runs import CONFIG_FILE, MODEL_FILE, resolve

__all__ = ["CONFIG_FILE", "MODEL_FILE", "parse_shape", "resolve", "write_json"]


def write_json(path: str, data: Any) -> None:
    """Write strict JSON atomically (temp file in the same folder, then rename); NaN and
    infinity are refused (JSON has neither)."""
    with atomic_write(path, "w") as stream:
        json.dump(data, stream, indent=2, allow_nan=False)
        stream.write("\n")


def parse_shape(text: str) -> tuple[int, ...]:
    """'1,28,28' -> (1, 28, 28)."""
    try:
        shape = tuple(int(part) for part in text.replace("x", ",").split(","))
    except ValueError:
        shape = ()
    if not shape or any(n <= 0 for n in shape):
        raise ValueError(f"--input-shape must be positive ints separated by commas, like "
                         f"1,28,28; got {text!r}")
    return shape


def training_data(args: Any) -> tuple[Any, Any]:
    """The (train, test) splits of ``args.dataset``, training cut to ``args.limit`` samples."""
    from ..data import ArrayDataset, load_dataset

    train, test = load_dataset(args.dataset, data_dir=args.data_dir)
    if args.limit is not None:
        train = ArrayDataset(train.x[:args.limit], train.y[:args.limit], train.classes,
                             train.name)
    return train, test
