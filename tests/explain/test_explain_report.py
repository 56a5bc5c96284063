"""explain.report and ``convlens explain``: every section, self-contained, on 1-D and 2-D runs.

The run folders are written by hand here (an untrained model saved with ``cl.save`` plus the
files ``convlens train`` writes) so these tests stay fast; tests/browser trains a real one.
"""

import argparse
import base64
import csv
import json
import re

import numpy as np
import pytest

import convlens as cl
from convlens import conv, explain
from convlens.commands import explain as explain_command
from convlens.explain.report import SECTIONS

pytest.importorskip("matplotlib")

DATA_URI = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def make_run(folder, model="lenet5", input_shape=(1, 28, 28), dataset="mnist-5k"):
    """A run folder as ``convlens train --out`` writes it, with an untrained model."""
    folder.mkdir(parents=True, exist_ok=True)
    cl.manual_seed(0)
    cl.save(cl.models.create(model, input_shape=input_shape), folder / "model.convlens")
    config = {"model": model, "input_shape": list(input_shape),
              "classes": [str(i) for i in range(10)], "batch_size": 32}
    if dataset:
        config["dataset"] = dataset
    (folder / "config.json").write_text(json.dumps(config))
    with open(folder / "history.csv", "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
                         "lr", "seconds"])
        writer.writerows([[0, 2.3, 0.1, 2.2, 0.15, 0.001, 1.0],
                          [1, 1.9, 0.4, 1.8, 0.45, 0.001, 1.0]])
    (folder / "metrics.json").write_text(json.dumps({"test_accuracy": 0.45,
                                                     "test_loss": 1.8}))
    return folder


def sections(page):
    """Section id -> its HTML."""
    found = re.findall(r'<section id="([a-z]+)">(.*?)</section>', page, flags=re.S)
    return dict(found)


@pytest.fixture(scope="module")
def lenet_page(tmp_path_factory):
    folder = make_run(tmp_path_factory.mktemp("lenet"))
    out = folder / "report.html"
    assert explain.report(folder, out=out) == str(out)
    return out.read_text(encoding="utf-8")


def test_report_has_every_section_in_order(lenet_page):
    found = sections(lenet_page)
    assert list(found) == list(SECTIONS)
    assert 'class="error"' not in lenet_page
    for key in SECTIONS:
        assert f'<a href="#{key}">' in lenet_page  # linked from the contents
        assert re.match(r"<h2>[^<]+</h2>", found[key])
    # the summary with the FC-equivalent column, the tables of both probes
    assert "FC-equivalent params" in found["summary"] and "x23,671 fewer" in found["summary"]
    assert "<caption>Equivariance" in found["equivariance"]
    assert "<caption>Invariance" in found["invariance"]
    assert "1000 test samples" in found["confusion"]
    assert "test sample #0 (true class" in found["input"]


def test_report_images_per_section(lenet_page):
    found = sections(lenet_page)
    count = {key: len(DATA_URI.findall(body)) for key, body in found.items()}
    assert count["filters"] == 2 and count["activations"] == 12 and count["attribution"] == 2
    for key in ("training", "confusion", "misclassified", "input"):
        assert count[key] == 1, key


def test_report_is_self_contained(lenet_page):
    assert "<script" not in lenet_page.lower() and "<link" not in lenet_page.lower()
    assert "url(" not in lenet_page and "@import" not in lenet_page
    sources = re.findall(r'src="([^"]*)"', lenet_page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert set(re.findall(r'href="([^"]*)"', lenet_page)) == {f"#{key}" for key in SECTIONS}
    for payload in DATA_URI.findall(lenet_page):
        assert base64.b64decode(payload)[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_for_a_1d_run_without_test_data(tmp_path):
    folder = make_run(tmp_path / "run", "mnist1d_cnn", (1, 40), dataset=None)
    sample = tmp_path / "signal.npy"
    np.save(sample, np.sin(np.linspace(0, 6, 40)).astype(np.float32))
    page = (tmp_path / "r.html")
    explain.report(folder, image=sample, out=page)
    found = sections(page.read_text())
    assert list(found) == list(SECTIONS)
    assert "names no dataset" in found["confusion"] and "names no dataset" in found["misclassified"]
    assert "the file signal.npy" in found["input"]
    assert len(DATA_URI.findall(found["filters"])) == 3
    assert len(DATA_URI.findall(found["activations"])) == 8
    assert 'class="error"' not in page.read_text()


def test_report_explains_an_image_file(tmp_path):
    from PIL import Image

    folder = make_run(tmp_path / "run")
    picture = np.zeros((50, 40, 3), np.uint8)
    picture[10:40, 18:22] = 255  # a white "1" on black, larger than 28x28 and in colour
    Image.fromarray(picture).save(tmp_path / "one.png")
    out = explain.report(folder, image=tmp_path / "one.png", out=tmp_path / "one.html",
                         sections=["input", "summary"])
    page = open(out).read()
    assert list(sections(page)) == ["summary", "input"]  # page order, whatever was asked
    assert "the file one.png" in sections(page)["input"]
    assert '<a href="#input">' in page and '<a href="#filters">' not in page


def test_the_algorithms_section_with_and_without_conv_explain(tmp_path, monkeypatch):
    folder = make_run(tmp_path / "run")
    calls = []

    class Choice:
        estimates = {"direct": 0.002, "fft": "kernel too small"}
        choice, reason = "direct", "cheapest"

    def fake_explain(x_shape, w_shape, **kwargs):
        calls.append((x_shape, w_shape, kwargs["requires_grad"]))
        return Choice()

    monkeypatch.setattr(conv, "explain", fake_explain, raising=False)
    page = sections(open(explain.report(folder, out=tmp_path / "a.html",
                                        sections=["algorithms"])).read())
    assert calls == [((1, 1, 28, 28), (6, 1, 5, 5), False), ((32, 1, 28, 28), (6, 1, 5, 5), True),
                     ((1, 6, 14, 14), (16, 6, 5, 5), False),
                     ((32, 6, 14, 14), (16, 6, 5, 5), True)]
    body = page["algorithms"]
    assert "<th>direct (ms)</th><th>fft (ms)</th><th>choice</th>" in body
    assert '<td class="num">2</td><td>n/a</td><td>direct</td><td>cheapest</td>' in body
    monkeypatch.delattr(conv, "explain", raising=False)
    page = sections(open(explain.report(folder, out=tmp_path / "b.html",
                                        sections=["algorithms"])).read())
    assert "convlens.conv.explain is missing" in page["algorithms"]


def test_cli_explain_writes_the_report(tmp_path, capsys):
    folder = make_run(tmp_path / "run")
    parser = argparse.ArgumentParser(prog="convlens")
    explain_command.register(parser.add_subparsers(dest="command"))
    out = tmp_path / "page.html"
    args = parser.parse_args(["explain", str(folder), "--out", str(out)])
    assert args.run(args) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out} (")
    assert list(sections(out.read_text())) == list(SECTIONS)
    defaults = parser.parse_args(["explain", str(folder)])
    assert (defaults.out, defaults.image) == ("report.html", None)


def test_report_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no run folder or model file at"):
        explain.report(tmp_path / "missing")
    folder = make_run(tmp_path / "run")
    config = json.loads((folder / "config.json").read_text())
    np.save(tmp_path / "wrong.npy", np.zeros(10))
    with pytest.raises(ValueError, match=r"--image .*wrong.npy' must hold 784 numbers for input "
                                         r"shape \(1, 28, 28\); got float64 array of shape "
                                         r"\(10,\)"):
        explain.report(folder, image=tmp_path / "wrong.npy", out=tmp_path / "x.html")
    with pytest.raises(FileNotFoundError, match=r"--image .*nope.png' does not exist"):
        explain.report(folder, image=tmp_path / "nope.png", out=tmp_path / "x.html")
    with pytest.raises(ValueError, match="sections must be one of 'summary', 'training', .* "
                                         "'algorithms'; got 'filter'"):
        explain.report(folder, out=tmp_path / "x.html", sections=["filter"])
    del config["input_shape"]
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="report needs a run folder whose config.json gives "
                                         "input_shape"):
        explain.report(folder, out=tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()
