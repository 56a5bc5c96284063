"""The ``convlens explain`` report in a real browser: headless Chromium, driven over the
DevTools protocol (see cdp_pipe.py), loads the page from a file URL.

Needs the ``chromium`` binary (Debian/Ubuntu: ``apt-get install -y chromium``); without it the
test is skipped with that hint. No Python package beyond the test extra is needed.
"""

import struct

import pytest
from cdp_pipe import INSTALL_HINT, Browser, find_chromium

from convlens import cli
from convlens.explain.report import SECTIONS

pytest.importorskip("matplotlib")

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=INSTALL_HINT)

WIDTH, HEIGHT = 1280, 900


@pytest.fixture(scope="module")
def report_page(tmp_path_factory):
    """A report of a quickly trained LeNet-5, written through the command line."""
    folder = tmp_path_factory.mktemp("browser")
    run = folder / "run"
    assert cli.main(["train", "--epochs", "1", "--limit", "500", "--out", str(run),
                     "--quiet"]) == 0
    import argparse

    from convlens.commands import explain as explain_command

    parser = argparse.ArgumentParser(prog="convlens")
    explain_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["explain", str(run), "--out", str(folder / "report.html")])
    assert args.run(args) == 0
    return folder / "report.html"


@pytest.fixture(scope="module")
def browser():
    with Browser(CHROMIUM, width=WIDTH, height=HEIGHT) as chromium:
        yield chromium


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def test_report_in_chromium(report_page, browser, tmp_path):
    browser.open(report_page.as_uri())
    assert browser.console_errors() == []
    # self-contained: the page itself is the only thing loaded from anywhere but data: URIs
    fetched = [url for url in browser.requested_urls() if not url.startswith("data:")]
    assert fetched == [report_page.as_uri()]

    images = browser.evaluate("Array.from(document.images, img => "
                              "({complete: img.complete, width: img.naturalWidth, "
                              "height: img.naturalHeight, section: img.closest('section').id}))")
    assert len(images) >= 20
    assert all(img["complete"] and img["width"] > 0 and img["height"] > 0 for img in images)
    per_section = {img["section"] for img in images}
    assert {"training", "confusion", "misclassified", "filters", "activations",
            "attribution"} <= per_section

    shown = browser.evaluate("Array.from(document.querySelectorAll('section[id]'), s => "
                             "({id: s.id, title: s.querySelector('h2').textContent, "
                             "height: s.getBoundingClientRect().height}))")
    assert [s["id"] for s in shown] == list(SECTIONS)
    assert all(s["title"] and s["height"] > 40 for s in shown)
    assert browser.evaluate("document.querySelectorAll('.error').length") == 0
    assert browser.evaluate("document.querySelectorAll('section table').length") >= 3
    assert browser.evaluate("document.title").startswith("convlens report: lenet5 on mnist-5k")

    png = browser.screenshot(str(tmp_path / "report.png"))
    assert _png_size(png) == (WIDTH, HEIGHT)
    assert (tmp_path / "report.png").stat().st_size > 20_000  # not a blank page


def test_the_checks_catch_a_broken_page(browser, tmp_path):
    """The same checks fail on a page with a broken image, a console error and a fetch."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><img src="missing.png">'
                    '<img src="data:image/png;base64,AAAA"><script>console.error("boom")'
                    '</script></body></html>')
    browser.open(page.as_uri())
    errors = browser.console_errors()
    assert any("boom" in e for e in errors) and any("missing.png" in e for e in errors)
    widths = browser.evaluate("Array.from(document.images, img => img.naturalWidth)")
    assert widths == [0, 0]
    assert any(url.endswith("missing.png") for url in browser.requested_urls())
