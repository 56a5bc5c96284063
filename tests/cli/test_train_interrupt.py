"""``convlens train`` under SIGINT and SIGKILL at random moments: resume is bit for bit.

Each case runs the real command line in a subprocess, interrupts it (Ctrl-C at a random
moment, or ``kill -9`` at a random moment or the instant a checkpoint's temp file appears),
resumes until the run completes, and compares the result with an uninterrupted run.
"""

import csv
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import convlens as cl
from convlens import cli

pytestmark = pytest.mark.slow

ARGS = ["--limit", "1024", "--batch-size", "32", "--epochs", "3"]
SRC = os.path.dirname(os.path.dirname(cl.__file__))


def start(*argv):
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen([sys.executable, "-m", "convlens.cli", "train", *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def interrupt(process, out, rng, how):
    """Interrupt ``process`` by ``how`` at a random moment; return what was done."""
    process.stdout.readline()  # "training ..." or "resuming ...": past imports and data
    deadline = time.monotonic() + (rng.uniform(0.0, 2.0) if how != "sigkill-during-write"
                                   else 60.0)
    while time.monotonic() < deadline and process.poll() is None:
        if how == "sigkill-during-write" and os.path.isdir(out) and any(
                name.endswith(".tmp") for name in os.listdir(out)):
            break
        time.sleep(0.001)
    if process.poll() is None:
        process.send_signal(signal.SIGINT if how == "sigint" else signal.SIGKILL)
    stdout, stderr = process.communicate(timeout=120)
    return how, process.returncode, stderr


def history_columns(folder):
    with open(os.path.join(folder, "history.csv")) as stream:
        rows = list(csv.DictReader(stream))
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


def weights(folder):
    return {k: v.numpy() for k, v in cl.load(os.path.join(folder, "model.convlens"))
            .state_dict().items()}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("reference") / "run")
    process = start(*ARGS, "--out", out)
    assert process.wait(timeout=300) == 0, process.stderr.read()
    return out


@pytest.mark.parametrize("seed, ways", [(0, ("sigint", "sigkill-during-write")),
                                        (1, ("sigkill", "sigint"))])
def test_interrupted_and_resumed_runs_end_bit_for_bit_like_an_uninterrupted_one(
        reference, tmp_path, seed, ways):
    rng = random.Random(seed)
    out = str(tmp_path / "run")
    log = []
    for attempt in range(3):
        fresh = not os.path.isfile(os.path.join(out, "config.json"))
        process = start(*ARGS, "--out", out) if fresh else start("--resume", out)
        if attempt == 2:  # the last attempt runs to the end
            _, stderr = process.communicate(timeout=300)
            assert process.returncode == 0, (log, stderr)
            break
        how, code, stderr = interrupt(process, out, rng, ways[attempt])
        log.append((how, code, stderr.strip()[-300:]))
        assert "Traceback" not in stderr, log
        finished = os.path.isfile(os.path.join(out, "metrics.json"))
        if code == -signal.SIGINT and finished and not stderr.strip():
            code = 0   # the signal came as the finished process was shutting down
        if how == "sigint" and not (code == 0 and not stderr.strip()):  # else: it had finished
            assert code in (0, 130), log
            lines = stderr.strip().splitlines()
            assert len(lines) == 1, log
            assert (lines[0] == "convlens: interrupted" or (
                lines[0].startswith("interrupted at epoch ") and
                lines[0].endswith(f"/3; resume with: convlens train --resume {out}"))), log
        if code == 0:
            break
        if os.path.isfile(os.path.join(out, "model.convlens")):  # what a kill leaves is usable
            assert cli.main(["evaluate", out]) == 0
    expected, got = weights(reference), weights(out)
    assert expected.keys() == got.keys()
    for key in expected:
        np.testing.assert_array_equal(expected[key], got[key], err_msg=f"{key} after {log}")
    assert history_columns(out) == history_columns(reference), log
    assert not [name for name in os.listdir(out) if name.endswith(".tmp")]


def test_ctrl_c_in_experiment_keeps_the_finished_rows_and_says_how_to_resume(tmp_path):
    pytest.importorskip("mnist1d")
    out = tmp_path / "exp"
    env = {**os.environ, "PYTHONPATH": SRC}
    process = subprocess.Popen(
        [sys.executable, "-m", "convlens.cli", "experiment", "mnist1d", "--steps", "400",
         "--out", str(out), "--cache-dir", str(tmp_path / "cache")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    results = out / "results.json"
    while process.poll() is None and not results.exists():
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    lines = [line for line in stderr.splitlines() if "epochs, loss" not in line]
    if process.returncode == 0:  # finished before the signal landed: nothing to check
        pytest.skip("the experiment finished before Ctrl-C")
    assert process.returncode == 130 and "Traceback" not in stderr
    assert len(lines) == 1 and "resume with: convlens experiment mnist1d --resume --out" in (
        lines[0])
    import json

    rows = json.loads(results.read_text())
    assert rows and rows[0]["model"] == "logistic" and rows[0]["steps"] == 400
