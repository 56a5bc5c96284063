"""Run folders, as ``convlens train`` writes them, and finding the model file in one.

A run folder holds ``config.json`` (dataset, model, input_shape, classes, hyperparameters),
then after every epoch ``model.convlens``, ``history.csv``, ``last.ckpt`` and ``best.ckpt``,
and at the end ``metrics.json`` and, with matplotlib, ``curves.png`` (see docs/training.md).
"""

from __future__ import annotations

import json
import os
from typing import Any

from .errors import ModelFileError

MODEL_FILE = "model.convlens"
MAX_CONFIG_BYTES = 2**20
CONFIG_FILE = "config.json"


def model_file(folder: str | os.PathLike) -> str:
    """The model file inside run folder ``folder``.

    Raises
    ------
    FileNotFoundError
        If the folder holds no ``model.convlens``.
    """
    folder = os.fspath(folder)
    path = os.path.join(folder, MODEL_FILE)
    if not os.path.isfile(path) and os.path.isfile(os.path.join(folder, CONFIG_FILE)):
        raise FileNotFoundError(f"the run in {folder!r} has no saved model yet (it was stopped "
                                f"before its first epoch ended); continue it with: convlens "
                                f"train --resume {folder}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{folder!r} is not a convlens run folder: expected the model "
                                f"file {path!r}")
    return path


def resolve(run_or_model: str | os.PathLike) -> tuple[str, dict[str, Any]]:
    """Return (model file, run config) for a run folder or a bare model file.

    Raises
    ------
    FileNotFoundError
        If nothing is at the path, or a folder holds no model file.
    """
    run_or_model = os.fspath(run_or_model)
    if os.path.isdir(run_or_model):
        model_path = model_file(run_or_model)
        config_path = os.path.join(run_or_model, CONFIG_FILE)
        config = {}
        if os.path.isfile(config_path):
            config = _read_config(config_path)
        if not isinstance(config, dict):
            raise ModelFileError(f"{config_path!r} must hold a JSON object; got "
                                 f"{type(config).__name__}")
        return model_path, config
    if os.path.isfile(run_or_model):
        return run_or_model, {}
    raise FileNotFoundError(f"no run folder or model file at {run_or_model!r}")


def _read_config(path: str) -> Any:
    """A run's config.json, at most :data:`MAX_CONFIG_BYTES`; any problem is ModelFileError."""
    with open(path, "rb") as stream:
        text = stream.read(MAX_CONFIG_BYTES + 1)
    if len(text) > MAX_CONFIG_BYTES:
        raise ModelFileError(f"{path!r} is larger than {MAX_CONFIG_BYTES} bytes; a run's "
                             "config.json is a few hundred")
    try:
        return json.loads(text.decode("utf-8"))
    except (ValueError, RecursionError) as error:
        raise ModelFileError(f"{path!r} is not valid JSON ({error})") from None
