"""End to end: the README's commands, and the console script, run as a newcomer would."""

import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def readme_commands():
    text = open(os.path.join(ROOT, "README.md")).read()
    return re.findall(r"^(python -m pip install .*)$", text, flags=re.MULTILINE)


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


def test_readme_first_python_example_runs(tmp_path, monkeypatch, capsys):
    text = open(os.path.join(ROOT, "README.md")).read()
    example = re.search(r"## A first look\s+```python\n(.*?)```", text, flags=re.DOTALL).group(1)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(example, "README.md", "exec"), namespace)
    assert namespace["loss"].item() < 0.2
    assert (tmp_path / "cnn.convlens").is_file()
    table = capsys.readouterr().out
    assert "x23,671 fewer parameters" in table


def test_readme_aliased_import_example_runs_and_trains(tmp_path, monkeypatch):
    text = open(os.path.join(ROOT, "README.md")).read()
    examples = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    example = next(e for e in examples if e.startswith("import convlens as torch"))
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(example, "README.md", "exec"), namespace)
    torch = namespace["torch"]
    assert namespace["loss"].item() < 0.5           # one epoch of Adadelta on 4,000 digits
    model, data = namespace["model"], namespace["data"]
    assert (tmp_path / "lenet.pt").is_file()
    with torch.no_grad():                            # the reloaded weights are the trained ones
        assert model(data).argmax(dim=1).eq(namespace["target"]).float().mean().item() > 0.8
