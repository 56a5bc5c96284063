"""``convlens export``: through its register() on a fresh argparse parser."""

import argparse
import json

import numpy as np
import pytest

import convlens as cl
from convlens.commands import export

pytest.importorskip("onnxruntime")
from interop_helpers import assert_close, run_convlens, run_ort  # noqa: E402


def parse(argv):
    parser = argparse.ArgumentParser(prog="convlens")
    export.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


@pytest.fixture
def run_folder(tmp_path):
    cl.manual_seed(0)
    model = cl.models.create("lenet5")
    folder = tmp_path / "run"
    folder.mkdir()
    cl.save(model, folder / "model.convlens")
    (folder / "config.json").write_text(json.dumps({"model": "lenet5",
                                                    "input_shape": [1, 28, 28]}))
    return folder, model


def test_export_a_run_folder_reads_the_input_shape_from_its_config(run_folder, tmp_path,
                                                                   capsys):
    folder, model = run_folder
    out = tmp_path / "lenet.onnx"
    args = parse(["export", str(folder), "--onnx", str(out)])
    assert args.run(args) == 0
    assert capsys.readouterr().out.strip() == (f"wrote {out} (input shape (N, 1, 28, 28), "
                                               "opset 17)")
    x = np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32)
    assert_close(run_ort(out, x), run_convlens(model.eval(), x))


def test_export_a_bare_model_file_needs_an_input_shape(run_folder, tmp_path):
    folder, model = run_folder
    out = tmp_path / "m.onnx"
    args = parse(["export", str(folder / "model.convlens"), "--onnx", str(out)])
    with pytest.raises(ValueError, match="--input-shape is required for a bare model file"):
        args.run(args)
    args = parse(["export", str(folder / "model.convlens"), "--onnx", str(out),
                  "--input-shape", "1,28,28", "--opset", "19", "--static-batch"])
    assert args.run(args) == 0
    x = np.random.default_rng(1).standard_normal((1, 1, 28, 28)).astype(np.float32)
    assert_close(run_ort(out, x), run_convlens(model.eval(), x))


def test_export_errors(tmp_path):
    args = parse(["export", str(tmp_path / "missing"), "--onnx", str(tmp_path / "m.onnx")])
    with pytest.raises(FileNotFoundError, match="no run folder or model file at"):
        args.run(args)
    with pytest.raises(SystemExit):
        parse(["export", str(tmp_path)])  # --onnx is required
