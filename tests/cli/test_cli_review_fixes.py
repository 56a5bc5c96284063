"""Mistakes an outside tester made, each answered by one line naming what is wrong."""

import pytest

import convlens as cl
from convlens import cli


@pytest.fixture(scope="module")
def model_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "run"
    assert cli.main(["train", "--limit", "64", "--epochs", "1", "--out", str(out),
                     "--quiet"]) == 0
    return out


def test_summary_of_an_unknown_model_names_the_model(capsys):
    assert cli.main(["summary", "--model", "lenet"]) == 2
    err = capsys.readouterr().err
    assert "--model must be one of" in err and "got 'lenet'" in err


def test_evaluate_on_a_dataset_of_another_shape(model_run, capsys):
    assert cli.main(["evaluate", str(model_run), "--dataset", "digits"]) == 2
    assert ("--dataset digits has samples of shape (1, 8, 8); the model expects (1, 28, 28)"
            in capsys.readouterr().err)


def test_a_folder_as_the_report_file(model_run, tmp_path, capsys):
    assert cli.main(["explain", str(model_run), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "it is a folder; name a file inside it" in err and ".tmp" not in err


def test_a_file_as_the_filter_output_folder(tmp_path, capsys):
    image = tmp_path / "one.png"
    cl.image.write_image(image, [[0, 255], [255, 0]])
    target = tmp_path / "taken.txt"
    target.write_text("keep me")
    assert cli.main(["filter", str(image), "--kernel", "box", "--out", str(target)]) == 2
    assert "--out" in capsys.readouterr().err and target.read_text() == "keep me"
