"""benchmarks/predict_vs_torch.py on 50 images, one round: both sides run and agree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("PIL")

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_predict_benchmark_runs_both_sides_and_classes_agree(tmp_path):
    out = tmp_path / "predict.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "predict_vs_torch.py"), "--images", "50",
         "--repeats", "1", "--train-limit", "256", "--threads", "1", "--json", str(out)],
        capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    check = report["agreement"]
    assert check["files"] == 50 and check["same_class"] == 50
    assert check["max_abs_probability_difference"] < 1e-4
    (row,) = report["rows"]
    assert row["images"] == 50 and row["load"] == "quiet"
    for part in ("end_to_end", "loading", "model_only"):
        assert row[f"{part}_convlens_ms"] > 0 and row[f"{part}_torch_ms"] > 0
    assert "agreement: inputs bit-identical; same class on 50/50 files" in done.stdout
