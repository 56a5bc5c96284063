"""End to end: the README's commands, and the console script, run as a newcomer would."""

import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def readme_commands():
    text = open(os.path.join(ROOT, "README.md")).read()
    return re.findall(r"^(python3 -m venv .*)$", text, flags=re.MULTILINE)


def test_readme_has_the_two_commands_and_ci_runs_the_test_one():
    main_job, tests = readme_commands()
    assert main_job.endswith("convlens train") and '".[all]"' in main_job
    assert tests.endswith("python -m pytest") and '".[test]"' in tests
    ci = open(os.path.join(ROOT, ".ci", "run")).read()
    assert "readme-test-command" in ci


def test_console_script_trains_in_a_subprocess(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "convlens.cli", "train", "--epochs", "1", "--limit", "300",
         "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"test accuracy 0\.\d{4}", result.stdout)
    assert "epoch 1/1" in result.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.0 < metrics["test_accuracy"] <= 1.0
