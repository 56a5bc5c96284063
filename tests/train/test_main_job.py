"""The main job as the README runs it: LeNet-5 on mnist-5k reaches 96% test accuracy."""

import json

import pytest

from convlens import cli


@pytest.mark.slow
def test_convlens_train_defaults_reach_96_percent(tmp_path):
    assert cli.main(["train", "--out", str(tmp_path), "--quiet"]) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["epochs"] == 10
    assert metrics["test_accuracy"] >= 0.96
