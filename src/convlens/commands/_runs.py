"""Helpers shared by the subcommands: run folders, their files, and loading what they hold.

A run folder (written by ``convlens train``) holds ``model.convlens``, ``config.json``,
``history.csv``, ``metrics.json`` and, with matplotlib, ``curves.png``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from .._atomic import atomic_write

MODEL_FILE = "model.convlens"
CONFIG_FILE = "config.json"


def write_json(path: str, data: Any) -> None:
    """Write JSON atomically (temp file in the same folder, then rename)."""
    with atomic_write(path, "w") as stream:
        json.dump(data, stream, indent=2)
        stream.write("\n")


def resolve(run_or_model: str) -> tuple[str, dict[str, Any]]:
    """Return (model file, run config) for a run folder or a bare model file."""
    if os.path.isdir(run_or_model):
        model_path = os.path.join(run_or_model, MODEL_FILE)
        if not os.path.isfile(model_path):
            raise FileNotFoundError(f"{run_or_model!r} is not a convlens run folder: "
                                    f"expected the model file {model_path!r}")
        config_path = os.path.join(run_or_model, CONFIG_FILE)
        config = {}
        if os.path.isfile(config_path):
            with open(config_path) as stream:
                config = json.load(stream)
        return model_path, config
    if os.path.isfile(run_or_model):
        return run_or_model, {}
    raise FileNotFoundError(f"no run folder or model file at {run_or_model!r}")


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
