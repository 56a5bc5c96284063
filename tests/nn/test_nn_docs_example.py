"""The ten-line example of docs/models.md runs and prints the table shown there."""

import contextlib
import io
import re
from pathlib import Path

import numpy as np

import convlens as cl

DOC = Path(__file__).resolve().parents[2] / "docs" / "models.md"


def blocks(text):
    """(language, code) for each fenced block."""
    return re.findall(r"```(\w*)\n(.*?)```", text, flags=re.S)


def test_docs_example_trains_saves_loads_and_summarises(tmp_path, monkeypatch):
    (_, code), (_, shown) = blocks(DOC.read_text())[:2]
    assert len(code.strip().splitlines()) <= 14
    monkeypatch.chdir(tmp_path)
    namespace = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(DOC), "exec"), namespace)
    assert printed.getvalue().strip() == shown.strip()
    assert namespace["loss"].item() < 0.1
    model, x = namespace["model"], namespace["x"]
    loaded = cl.load(tmp_path / "cnn.convlens")
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())
