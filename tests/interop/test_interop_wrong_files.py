"""from_onnx says what a wrong file is, instead of a protobuf or pickle diagnosis."""

import pytest

import convlens as cl
from convlens import interop, nn


def test_a_convlens_model_file_points_to_convlens_load(tmp_path):
    cl.save(nn.Sequential(nn.Linear(2, 2)), tmp_path / "m.convlens")
    with pytest.raises(ValueError, match="is a convlens model file, not ONNX; load it with "
                                         "convlens.load"):
        interop.from_onnx(tmp_path / "m.convlens")


def test_a_text_file_is_named_as_not_an_onnx_model(tmp_path):
    (tmp_path / "notes.onnx").write_text("these are my notes, not a model\n")
    with pytest.raises(ValueError, match=r"'.*notes.onnx' is not a readable ONNX model: "):
        interop.from_onnx(tmp_path / "notes.onnx")
