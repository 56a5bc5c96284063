"""The command line, called in-process through ``convlens.cli.main``."""

import json
import re

import numpy as np
import pytest

import convlens as cl
from convlens import cli


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert cli.main(["train", "--epochs", "2", "--limit", "1000", "--out", str(out),
                     "--quiet"]) == 0
    return out


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"convlens {cl.__version__}"
    assert cli.main([]) == 0
    assert "train" in capsys.readouterr().out


def test_train_writes_the_run_folder(run_dir):
    names = {p.name for p in run_dir.iterdir()}
    assert {"model.convlens", "config.json", "history.csv", "metrics.json"} <= names
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert set(metrics) >= {"test_accuracy", "test_loss", "epochs", "train_seconds", "seed"}
    assert metrics["epochs"] == 2 and metrics["seed"] == 0
    assert 0.5 < metrics["test_accuracy"] <= 1.0     # 1,000 digits, 2 epochs: far above chance
    config = json.loads((run_dir / "config.json").read_text())
    assert config["input_shape"] == [1, 28, 28] and config["model"] == "lenet5"


def test_evaluate_reports_the_same_accuracy_and_a_confusion_matrix(run_dir, capsys):
    assert cli.main(["evaluate", str(run_dir)]) == 0
    out = capsys.readouterr().out
    metrics = json.loads((run_dir / "metrics.json").read_text())
    accuracy = float(re.search(r"accuracy (\d\.\d+) \((\d+)/1000\)", out).group(1))
    assert accuracy == pytest.approx(metrics["test_accuracy"], abs=1e-4)
    assert "confusion matrix" in out and "per-class accuracy" in out
    rows = [line.split() for line in out.splitlines()]
    matrix = [[int(v) for v in row[1:]] for row in rows
              if len(row) == 11 and all(v.isdigit() for v in row)]
    assert len(matrix) == 10
    assert [sum(row) for row in matrix] == [100] * 10      # 100 test digits per class
    assert sum(matrix[i][i] for i in range(10)) == round(accuracy * 1000)


def test_predict_classifies_image_and_npy_files(run_dir, tmp_path, capsys):
    pil = pytest.importorskip("PIL.Image")
    _, test = cl.data.load_dataset("mnist-5k")
    png = tmp_path / "digit.png"
    pil.fromarray((test.x[0, 0] * 255).astype(np.uint8)).save(png)
    npy = tmp_path / "digit.npy"
    np.save(npy, test.x[1])
    assert cli.main(["predict", str(run_dir), str(png), str(npy)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "file\tclass\tprobability\tinverted"
    assert len(lines) == 3
    for line in lines[1:]:
        path, label, probability, inverted = line.split("\t")
        assert inverted == "no"
        assert label in [str(d) for d in range(10)]
        assert 0.0 < float(probability) <= 1.0


def test_predict_rejects_a_wrong_npy_shape(run_dir, tmp_path, capsys):
    npy = tmp_path / "bad.npy"
    np.save(npy, np.zeros((3, 3), np.float32))
    assert cli.main(["predict", str(run_dir), str(npy)]) == 2
    assert re.search(r"^convlens: error: .*holds an array of shape \(3, 3\); the model expects "
                     r"\(1, 28, 28\)$", capsys.readouterr().err.strip())


def test_predict_reads_16_bit_images_and_channelless_npy_like_their_8_bit_twins(
        run_dir, tmp_path, capsys):
    pil = pytest.importorskip("PIL.Image")
    _, test = cl.data.load_dataset("mnist-5k")
    digit = test.x[3, 0]
    pil.fromarray((digit * 255).round().astype(np.uint8)).save(tmp_path / "d8.png")
    pil.fromarray((digit * 65535).round().astype(np.uint16)).save(tmp_path / "d16.png")
    np.save(tmp_path / "d.npy", digit)                      # (28, 28): no channel axis
    assert cli.main(["predict", str(run_dir), *(str(tmp_path / n) for n in
                                                ("d8.png", "d16.png", "d.npy"))]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.strip().splitlines()[1:]]
    assert rows[0][1] == rows[1][1] == rows[2][1]
    assert float(rows[0][2]) == pytest.approx(float(rows[1][2]), abs=0.02)


def test_predict_gives_the_same_rows_on_one_thread_and_on_two(run_dir, tmp_path, capsys):
    """Two batches of files (on two threads the first is classified while the second is
    read), with an unreadable file and a light-background one among them: the rows, notes
    and errors are the same, in the same order, as on one thread."""
    pil = pytest.importorskip("PIL.Image")
    _, test = cl.data.load_dataset("mnist-5k")
    for index in range(300):
        pil.fromarray((test.x[index, 0] * 255).round().astype(np.uint8)).save(
            tmp_path / f"d{index:03d}.png")
    (tmp_path / "d150.png").write_bytes(b"not an image")
    pil.fromarray(255 - (test.x[7, 0] * 255).round().astype(np.uint8)).save(tmp_path / "d200.png")
    outputs, previous = [], cl.get_num_threads()
    try:
        for threads in (1, 2):
            cl.set_num_threads(threads)
            assert cli.main(["predict", str(run_dir), str(tmp_path)]) == 2
            outputs.append(capsys.readouterr())
    finally:
        cl.set_num_threads(previous)
    one, two = outputs
    assert one.out == two.out and one.err == two.err
    rows = one.out.strip().splitlines()[1:]
    assert len(rows) == 299 and "d150.png" not in one.out
    assert rows[199].split("\t")[0].endswith("d200.png") and rows[199].endswith("\tyes")
    assert "d200.png has a light background" in one.err
    assert re.search(r"convlens: error: cannot read image .*d150\.png", one.err)


def test_summary_prints_the_lenet_table(capsys):
    assert cli.main(["summary", "--model", "lenet5"]) == 0
    out = capsys.readouterr().out
    assert "61,706" in out or "61706" in out


def test_experiment_mnist1d_writes_its_table(tmp_path, capsys):
    pytest.importorskip("mnist1d")
    out = tmp_path / "exp"
    assert cli.main(["experiment", "mnist1d", "--steps", "40", "--out", str(out),
                     "--cache-dir", str(tmp_path / "cache")]) == 0
    rows = json.loads((out / "results.json").read_text())
    assert [r["model"] for r in rows] == ["logistic", "mlp", "cnn", "cnn (shuffled input)"]
    assert all(0.0 <= r["test_accuracy"] <= 1.0 and r["steps"] == 40 for r in rows)
    assert (out / "results.md").read_text().count("\n") == 6


@pytest.mark.parametrize(("argv", "message"), [
    (["evaluate", "{tmp}/missing"], "no run folder or model file at '{tmp}/missing'"),
    (["train", "--limit", "0"], "--limit must be positive; got 0"),
    (["train", "--epochs", "-1"], "--epochs must be positive; got -1"),
    (["train", "--batch-size", "0"], "--batch-size must be positive; got 0"),
    (["train", "--lr", "nan"], "--lr must be a positive number; got nan"),
    (["train", "--seed", "-3"], "--seed must be >= 0; got -3"),
    (["train", "--dataset", "mnist5k"], "unknown dataset 'mnist5k'; known datasets: mnist-5k"),
    (["train", "--model", "resnet50"], "--model must be one of .*lenet5, .*; got 'resnet50'"),
    (["summary", "--run", "{tmp}/notes.txt", "--input-shape", "1,28,28"],
     "notes.txt: not a valid convlens model file"),
])
def test_user_errors_print_one_line_and_exit_2(tmp_path, capsys, argv, message):
    (tmp_path / "notes.txt").write_text("not a model")
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert cli.main(argv + (["--out", str(tmp_path / "r")] if argv[0] == "train" else [])) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert re.search("^convlens: error: .*(" + message.format(tmp=tmp_path) + ")", err)


def test_train_refuses_to_mix_a_new_run_into_a_folder_with_files(run_dir, capsys):
    before = (run_dir / "metrics.json").read_text()
    assert cli.main(["train", "--limit", "50", "--epochs", "1", "--out", str(run_dir)]) == 2
    assert "already holds files; choose a new folder, pass --overwrite" in capsys.readouterr().err
    assert (run_dir / "metrics.json").read_text() == before


def test_train_picks_the_model_that_fits_the_dataset(tmp_path):
    pytest.importorskip("mnist1d")
    out = tmp_path / "r"
    assert cli.main(["train", "--dataset", "mnist1d", "--epochs", "1", "--limit", "200",
                     "--out", str(out), "--quiet", "--data-dir", str(tmp_path / "cache")]) == 0
    assert json.loads((out / "config.json").read_text())["model"] == "mnist1d_cnn"


def test_bench_explain_is_a_registered_command(capsys):
    assert cli.main(["bench", "--explain", "--only", "lenet-c1"]) == 0
    assert "lenet-c1" in capsys.readouterr().out


def test_a_failed_dataset_load_leaves_no_run_folder(tmp_path, capsys):
    out = tmp_path / "never"
    assert cli.main(["train", "--dataset", "cifar10", "--data-dir", str(tmp_path / "none"),
                     "--out", str(out)]) == 2
    assert "convlens: error:" in capsys.readouterr().err
    assert not out.exists()
