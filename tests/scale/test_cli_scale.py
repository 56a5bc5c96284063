"""The command line on Dask (--scheduler local) and on torch DDP (--engine torch-ddp)."""

import json
import os

import numpy as np
import pytest

import convlens as cl
from convlens import cli

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    from PIL import Image

    folder = tmp_path_factory.mktemp("inputs")
    _, test = cl.data.load_dataset("mnist-5k")
    for i in range(6):
        Image.fromarray((test.x[i, 0] * 255).astype(np.uint8)).save(folder / f"d{i}.png")
    Image.fromarray(255 - (test.x[6, 0] * 255).astype(np.uint8)).save(folder / "paper.png")
    (folder / "broken.png").write_text("not an image")
    cl.manual_seed(0)
    model = cl.models.create("lenet5", input_shape=(1, 28, 28), num_classes=10)
    cl.save(model, folder / "m.convlens")
    return folder


def test_predict_on_a_local_cluster_prints_what_in_process_prints(inputs, capsys):
    base = ["predict", str(inputs / "m.convlens"), str(inputs), "--input-shape", "1,28,28"]
    assert cli.main(base) == 2                      # the broken file is reported at the end
    here = capsys.readouterr()
    assert cli.main(base + ["--scheduler", "local"]) == 2
    there = capsys.readouterr()
    assert there.out == here.out
    assert there.out.count("\n") == 8               # header + 7 readable images
    assert "paper.png" in there.out and "broken.png" in there.err
    assert "computing on the Dask scheduler at tcp://" in there.err


def test_filter_on_a_local_cluster_writes_the_same_files(inputs, tmp_path, capsys):
    base = ["filter", str(inputs), "--kernel", "sobel-x"]
    assert cli.main(base + ["--out", str(tmp_path / "here")]) == 1
    assert cli.main(base + ["--out", str(tmp_path / "there"), "--scheduler", "local"]) == 1
    out = capsys.readouterr()
    assert "filtered 7 of 8 images" in out.out and "broken.png" in out.err
    names = sorted(os.listdir(tmp_path / "here"))
    assert names == sorted(os.listdir(tmp_path / "there")) and len(names) == 7
    for name in names:
        assert (tmp_path / "here" / name).read_bytes() == (tmp_path / "there" / name).read_bytes()


def test_an_unreachable_scheduler_is_one_clear_error(inputs, capsys):
    code = cli.main(["predict", str(inputs / "m.convlens"), str(inputs / "d0.png"),
                     "--input-shape", "1,28,28", "--scheduler", "tcp://127.0.0.1:1"])
    assert code != 0
    err = capsys.readouterr().err
    assert err.startswith("convlens: error:") and "Traceback" not in err


@pytest.mark.slow
def test_train_with_torch_ddp_writes_a_normal_run_folder(tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "run"
    assert cli.main(["train", "--engine", "torch-ddp", "--nproc", "2", "--epochs", "2",
                     "--limit", "1024", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    assert f"test accuracy {metrics['test_accuracy']:.4f}" in printed
    assert metrics["test_accuracy"] > 0.5
    assert json.loads((out / "config.json").read_text())["engine"] == "torch-ddp"
    assert (out / "history.csv").read_text().count("\n") == 3
    assert cli.main(["evaluate", str(out)]) == 0
    assert f"accuracy {metrics['test_accuracy']:.4f}" in capsys.readouterr().out
    assert cli.main(["explore", str(out), "--count", "2", "--out", str(tmp_path / "e.html")]) == 0
    assert (tmp_path / "e.html").stat().st_size > 10_000
    code = cli.main(["train", "--engine", "torch-ddp", "--resume", str(out)])
    assert code == 2
    assert "was trained with --engine torch-ddp" in capsys.readouterr().err
    assert cli.main(["train", "--resume", str(out)]) == 2      # not silently restarted
    assert "was trained with --engine torch-ddp" in capsys.readouterr().err

