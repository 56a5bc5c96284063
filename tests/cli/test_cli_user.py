"""The command line as a user meets it: polarity, folders and bad files, output formats, the
run argument, help texts, flag names in errors, run-folder locking and temp files."""

import csv
import io
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import convlens as cl
from convlens import cli


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r"
    assert cli.main(["train", "--epochs", "2", "--limit", "1000", "--out", str(out),
                     "--quiet"]) == 0
    return out


def _rows(text):
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


def test_predict_inverts_dark_digits_on_paper_and_says_so(run_dir, tmp_path, capsys):
    pil = pytest.importorskip("PIL.Image")
    _, test = cl.data.load_dataset("mnist-5k")
    for i in range(8):  # large, black on white: a digit written on paper and photographed
        paper = ((1.0 - test.x[i, 0]) * 255).astype(np.uint8)
        pil.fromarray(paper).resize((112, 112)).save(tmp_path / f"paper{i}.png")
        np.save(tmp_path / f"mnist{i}.npy", test.x[i])
    assert cli.main(["predict", str(run_dir), str(tmp_path)]) == 0
    captured = capsys.readouterr()
    rows = {os.path.basename(row["file"]): row for row in _rows(captured.out)}
    for i in range(8):
        assert rows[f"paper{i}.png"]["class"] == rows[f"mnist{i}.npy"]["class"]
        assert rows[f"paper{i}.png"]["inverted"] == "yes"
        assert rows[f"mnist{i}.npy"]["inverted"] == "no"
    assert captured.err.count("has a light background; inverted it") == 8
    assert cli.main(["predict", str(run_dir), str(tmp_path / "paper0.png"),
                     "--invert", "no"]) == 0
    captured = capsys.readouterr()
    assert _rows(captured.out)[0]["inverted"] == "no" and captured.err == ""


def test_predict_goes_on_past_bad_files_and_fails_at_the_end(run_dir, tmp_path, capsys):
    np.save(tmp_path / "good.npy", np.zeros((1, 28, 28), np.float32))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    np.save(tmp_path / "wrong.npy", np.zeros((3, 3), np.float32))
    argv = ["predict", str(run_dir), str(tmp_path / "broken.png"), str(tmp_path / "good.npy"),
            str(tmp_path / "missing.npy"), str(tmp_path / "wrong.npy")]
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert [row["file"] for row in _rows(captured.out)] == [str(tmp_path / "good.npy")]
    errors = captured.err.strip().splitlines()
    assert len(errors) == 3 and all(line.startswith("convlens: error: ") for line in errors)
    assert "broken.png" in errors[0] and "missing.npy" in captured.err
    assert "holds an array of shape (3, 3)" in captured.err


@pytest.mark.parametrize("form", ["csv", "json"])
def test_predict_writes_csv_and_json(run_dir, tmp_path, capsys, form):
    for i in range(2):
        np.save(tmp_path / f"s{i}.npy", np.zeros((1, 28, 28), np.float32))
    assert cli.main(["predict", str(run_dir), str(tmp_path), "--format", form]) == 0
    out = capsys.readouterr().out
    if form == "json":
        rows = json.loads(out)
        assert isinstance(rows[0]["probability"], float) and rows[0]["inverted"] is False
    else:
        rows = list(csv.DictReader(io.StringIO(out)))
    assert [os.path.basename(row["file"]) for row in rows] == ["s0.npy", "s1.npy"]
    assert set(rows[0]) == {"file", "class", "probability", "inverted"}


def test_summary_takes_the_run_as_a_positional_like_the_other_commands(run_dir, capsys):
    assert cli.main(["summary", str(run_dir)]) == 0
    positional = capsys.readouterr().out
    assert cli.main(["summary", "--run", str(run_dir)]) == 0
    assert capsys.readouterr().out == positional and "61,706" in positional
    assert cli.main(["summary", str(run_dir), "--model", "lenet5"]) == 2
    assert "exactly one of RUN_OR_MODEL" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["predict", "{m}", "x.png"], ["summary", "{m}"],
                                  ["evaluate", "{m}"]])
def test_a_junk_model_file_is_blamed_before_missing_flags(tmp_path, capsys, argv):
    junk = tmp_path / "junk.convlens"
    junk.write_bytes(b"PK junk")
    assert cli.main([a.format(m=junk) for a in argv]) == 2
    err = capsys.readouterr().err
    assert "not a valid convlens model file" in err and "--" not in err.split("error:")[1][:40]


def test_errors_name_flags_not_python_keywords(tmp_path, capsys):
    assert cli.main(["train", "--dataset", "mnist", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "--data-dir" in err and "data_dir" not in err


def test_every_option_has_help_with_its_default_and_choices():
    parser = cli.build_parser()
    for name, subparser in parser._subparsers._group_actions[0].choices.items():
        text = subparser.format_help()
        formatter = subparser._get_formatter()
        for action in subparser._actions:
            if not action.option_strings or action.dest == "help":
                continue
            assert action.help, (name, action.option_strings)
            shown = formatter._get_help_string(action)
            assert "default" in shown, (name, action.option_strings)
            for choice in action.choices or ():
                assert str(choice) in shown, (name, action.option_strings, choice)
        assert "(default:" in text


def test_the_parser_of_one_command_is_the_full_parsers_part(capsys):
    """``main`` builds only the parser of the command it runs: that command's help is the
    same, and an unknown command still lists them all."""
    for name in cli.COMMANDS:
        full = cli.build_parser()._subparsers._group_actions[0].choices[name]
        alone = cli.build_parser(name)._subparsers._group_actions[0].choices
        assert list(alone) == [name] and alone[name].format_help() == full.format_help()
    with pytest.raises(SystemExit):
        cli.main(["predic"])
    err = capsys.readouterr().err
    assert "invalid choice: 'predic'" in err and all(repr(n) in err for n in cli.COMMANDS)


def test_a_memory_error_from_sizes_on_the_command_line_is_one_line(capsys):
    code = cli.main(["summary", "--model", "lenet5", "--input-shape", "1,300000,300000"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith("convlens: error: ")


def test_a_broken_pipe_exits_quietly(tmp_path):
    from convlens import nn

    cl.save(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), tmp_path / "tiny.convlens")
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for i in range(1500):  # ~150 KB of output: more than a pipe holds
        np.save(inputs / f"sample-with-a-long-name-{i:05d}.npy", np.zeros((1, 2, 2), np.float32))
    src = os.path.dirname(os.path.dirname(cl.__file__))
    process = subprocess.run(
        f"{sys.executable} -m convlens.cli predict {tmp_path / 'tiny.convlens'} {inputs} "
        f"--input-shape 1,2,2 | head -c 10", shell=True, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": src}, timeout=300)
    assert process.stderr == ""
    assert process.stdout == "file\tclass"


def test_a_broken_pipe_in_process_returns_141_without_a_word(monkeypatch, capsys):
    class ClosedPipe(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert cli.main(["summary", "--model", "lenet5"]) == 141
    assert capsys.readouterr().err == ""


def test_a_second_run_on_the_same_folder_is_refused_while_the_first_holds_it(tmp_path, capsys):
    from convlens.commands import _runfolder

    out = tmp_path / "r"
    out.mkdir()
    with _runfolder.RunLock(str(out)):
        assert cli.main(["train", "--limit", "64", "--epochs", "1", "--out", str(out)]) == 2
    assert re.search(r"another convlens train is writing to --out .*r'", capsys.readouterr().err)
    assert os.listdir(out) == []


def test_a_temp_file_left_by_a_kill_neither_blocks_nor_survives_the_next_run(tmp_path, capsys):
    out = tmp_path / "r"
    out.mkdir()
    stale = out / ".model.convlens.0123456789abcdef.tmp"
    stale.write_bytes(b"half a file")
    assert cli.main(["train", "--limit", "64", "--epochs", "1", "--out", str(out),
                     "--quiet"]) == 0
    names = sorted(os.listdir(out))
    assert stale.name not in names and ".lock" not in names
    assert {"model.convlens", "last.ckpt", "best.ckpt", "history.csv"} <= set(names)


def test_resume_keeps_the_stored_seed_and_refuses_another(tmp_path, capsys):
    out = tmp_path / "r"
    assert cli.main(["train", "--limit", "64", "--epochs", "1", "--seed", "5", "--out",
                     str(out), "--quiet"]) == 0
    assert cli.main(["train", "--resume", str(out), "--seed", "6"]) == 2
    assert "--seed 6 differs from the run's stored seed (5)" in capsys.readouterr().err
    assert cli.main(["train", "--resume", str(out), "--epochs", "2", "--quiet"]) == 0
    assert json.loads((out / "metrics.json").read_text())["epochs"] == 2
    assert [line.split(",")[0] for line in (out / "history.csv").read_text().splitlines()] == [
        "epoch", "1", "2"]


def test_metrics_json_writes_non_finite_values_as_null_with_a_flag(tmp_path):
    from convlens.commands import _runfolder

    _runfolder.write_json(str(tmp_path / "m.json"), _runfolder.finite_or_null(
        {"test_loss": float("inf"), "test_accuracy": 0.5}))
    assert json.loads((tmp_path / "m.json").read_text()) == {
        "test_loss": None, "test_accuracy": 0.5, "non_finite": ["test_loss"]}


def test_a_run_killed_before_its_first_epoch_says_how_to_continue(tmp_path, capsys):
    out = tmp_path / "r"
    out.mkdir()
    (out / "config.json").write_text(json.dumps({"dataset": "mnist-5k"}))
    assert cli.main(["evaluate", str(out)]) == 2
    assert "convlens train --resume" in capsys.readouterr().err


@pytest.mark.slow
def test_experiment_resume_trains_only_the_missing_models(tmp_path, capsys):
    pytest.importorskip("mnist1d")
    out = tmp_path / "exp"
    out.mkdir()
    kept = [{"model": name, "test_accuracy": 0.123, "paper": 0.5, "steps": 40, "seed": 42,
             "seconds": 1.0} for name in ("logistic", "cnn", "cnn (shuffled input)")]
    stale = {**kept[0], "model": "mlp", "steps": 80}  # another --steps: trained again
    (out / "results.json").write_text(json.dumps([*kept, stale]))
    assert cli.main(["experiment", "mnist1d", "--steps", "40", "--out", str(out), "--resume",
                     "--cache-dir", str(tmp_path / "cache")]) == 0
    printed = capsys.readouterr()
    assert "keeping 3 finished models" in printed.out
    assert "training 1 model on MNIST-1D (mlp)" in printed.out
    assert re.search(r"about \d+ (s|min)", printed.out)
    rows = json.loads((out / "results.json").read_text())
    assert [row["model"] for row in rows] == ["logistic", "mlp", "cnn", "cnn (shuffled input)"]
    assert rows[0] == kept[0] and rows[1]["steps"] == 40 and rows[2:] == kept[1:]
    assert "mlp: [##########] 1/1 epochs" in printed.err
