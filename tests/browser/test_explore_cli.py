"""``convlens explore RUN`` end to end on a quickly trained LeNet-5: size, load time in headless
Chromium, what ``--layers``/``--max-maps`` leave out, the convolution stepper and the
attribution overlays; and the screenshots in docs/."""

import base64
import struct
import time
from pathlib import Path

import numpy as np
import pytest
from cdp_pipe import INSTALL_HINT, Browser, find_chromium

import convlens as cl
from convlens import cli

CHROMIUM = find_chromium()
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explore-run") / "run"
    assert cli.main(["train", "--epochs", "1", "--limit", "500", "--out", str(folder),
                     "--quiet"]) == 0
    return folder


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip(INSTALL_HINT)
    with Browser(CHROMIUM, width=1400, height=950) as chromium:
        yield chromium


def test_cli_page_is_small_and_opens_fast(run, browser, tmp_path, capsys):
    out = tmp_path / "explore.html"
    assert cli.main(["explore", str(run), "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert out.stat().st_size <= 3_000_000
    start = time.perf_counter()
    browser.open(out.as_uri())
    assert browser.evaluate("document.body.dataset.ready") == "1"
    assert time.perf_counter() - start < 2.0
    assert browser.console_errors() == []
    examples = browser.evaluate("CL.data.examples")
    assert len(examples) == 8
    assert any(e["pred"] != e["label"] for e in examples)  # the strip shows mistakes too
    assert browser.evaluate("document.querySelectorAll('.example.wrong').length") >= 1
    # the overlays repaint the input picture; picking another class repaints it again
    picture = "document.querySelector('#columns canvas.picture').toDataURL()"
    plain = browser.evaluate(picture)
    browser.evaluate("document.getElementById('show-saliency').click()")
    salient = browser.evaluate(picture)
    browser.evaluate("document.querySelector('.prob[data-class=\"3\"]').click()")
    assert len({plain, salient, browser.evaluate(picture)}) == 3
    assert browser.evaluate("document.getElementById('selected-class').textContent") == "3"


def test_layers_and_max_maps_say_what_they_leave_out(run, browser, tmp_path):
    out = tmp_path / "small.html"
    assert cli.main(["explore", str(run), "--layers", "0", "3", "--max-maps", "4",
                     "--count", "2", "--no-attribution", "--out", str(out)]) == 0
    browser.open(out.as_uri())
    assert browser.console_errors() == []
    notes = browser.evaluate("Array.from(document.querySelectorAll('#left-out li'), "
                             "li => li.textContent)")
    assert any("layer 3 (Conv2d): 4 of 16 maps" in n for n in notes)
    assert any("layer 1 (ReLU): not in --layers" in n for n in notes)
    assert browser.evaluate("document.querySelectorAll('#columns canvas.map').length") == 8


def test_bad_arguments_are_one_line_errors(run, tmp_path, capsys):
    assert cli.main(["explore", str(run), "--max-maps", "0", "--out",
                     str(tmp_path / "x.html")]) == 2
    assert "--max-maps must be >= 1; got 0" in capsys.readouterr().err  # the flag, not the keyword
    assert cli.main(["explore", str(run), "--layers", "nope", "--out",
                     str(tmp_path / "x.html")]) == 2
    assert "layers must name layers of the model" in capsys.readouterr().err
    with pytest.raises(ValueError, match="explore expects images to be one"):
        cl.explain.explore(cl.models.create("lenet5"), np.zeros((40, 1, 28, 28)))


def test_stepper_fills_the_output_cell_by_cell(run, browser, tmp_path):
    out = tmp_path / "step.html"
    assert cli.main(["explore", str(run), "--count", "1", "--no-attribution", "--out",
                     str(out)]) == 0
    browser.open(out.as_uri())
    browser.evaluate("CL.openDetail(1, 0)")
    state = browser.evaluate(
        "(() => { const s = document.getElementById('step'); s.value = 29; "
        "s.dispatchEvent(new Event('input')); const c = document.getElementById('detail-main');"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; "
        "const white = []; for (let k = 0; k < d.length / 4; k++) white.push(d[4 * k] === 255 "
        "&& d[4 * k + 1] === 255 && d[4 * k + 2] === 255); const p = "
        "document.getElementById('hoverinfo').dataset; return {white: white, i: p.i, j: p.j, "
        "text: document.getElementById('step-text').textContent}; })()")
    assert state["white"][30:] == [True] * (28 * 28 - 30)  # not reached yet
    assert not all(state["white"][:30])
    assert (state["i"], state["j"]) == ("1", "1") and "position 30 of 784" in state["text"]
    boxes = browser.evaluate("Array.from(document.querySelectorAll('#detail .outline.win'), "
                             "d => [Number(d.dataset.y0), Number(d.dataset.x0), "
                             "Number(d.dataset.h), Number(d.dataset.w)])")
    assert boxes and all(b == [1, 1, 5, 5] for b in boxes)


def test_attribution_overlays_are_explains_maps():
    model = cl.models.create("lenet5")
    x = cl.data.load_dataset("mnist-5k")[1].x[:2]
    page = cl.explain.explore(model, x)
    data = page.data["attribution"]
    for kind, compute in (("saliency", cl.explain.saliency), ("gradcam", cl.explain.grad_cam)):
        packed = data[kind][1][3]
        shown = np.frombuffer(base64.b64decode(packed["b64"]), np.uint8).reshape(28, 28)
        heat = compute(model, x[1], target=3)
        expected = np.rint(heat / heat.max() * 255) if heat.max() > 0 else np.zeros_like(heat)
        np.testing.assert_array_equal(shown, expected)
    assert data["layer"] == "3"
    assert "<iframe srcdoc=" in page._repr_html_()


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


@pytest.mark.parametrize("name", ["explore-overview", "explore-detail", "explore-hover"])
def test_docs_screenshots_are_not_blank(name):
    from PIL import Image

    path = DOCS / f"{name}.png"
    width, height = _png_size(path.read_bytes())
    assert width >= 800 and height >= 500
    pixels = np.asarray(Image.open(path).convert("L"), dtype=np.float64)
    assert pixels.std() > 10 and (pixels < 128).mean() > 0.01
