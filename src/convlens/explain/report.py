"""``report``: one self-contained HTML page that opens up a trained run.

Every picture is embedded as a ``data:`` URI and the page has no scripts, so it can be mailed,
archived or opened offline, and it fetches nothing. ``convlens explain RUN_DIR`` writes it.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import nn
from .._atomic import atomic_write
from . import _figures, _report_parts
from ._table import Table
from .activations import activations, plot_activations
from .attribution import grad_cam, overlay, saliency
from .equivariance import equivariance, pooling_invariance
from .filters import filters
from .hooks import conv_layers, prepare_input, trace, zeros_input

SECTIONS = ("summary", "training", "confusion", "misclassified", "filters", "input",
            "activations", "attribution", "equivariance", "invariance", "algorithms")

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
       max-width: 1100px; padding: 0 1.5em 3em; color: #1b1b1b; line-height: 1.45; }
header { border-bottom: 2px solid #ddd; margin-bottom: 1em; }
nav { display: flex; flex-wrap: wrap; gap: 0.3em 1em; padding-bottom: 0.8em; }
section { margin: 2em 0; }
h2 { border-bottom: 1px solid #e5e5e5; padding-bottom: 0.2em; }
figure { display: inline-block; margin: 0.4em 0.8em 0.8em 0; vertical-align: top; }
figcaption { font-size: 0.85em; color: #555; }
img { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.6em 0; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3em; white-space: nowrap; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #555; font-size: 0.9em; }
.error { color: #a40000; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
"""


@dataclass
class _Run:
    """What the sections read: the model, its run folder and data, and the chosen input."""

    folder: str
    model: nn.Module
    config: dict[str, Any]
    input_shape: tuple[int, ...]
    classes: list[str]
    test: Any  # the test split (an ArrayDataset), or None when it cannot be loaded
    sample: np.ndarray
    sample_label: str
    test_note: str = ""
    probabilities: np.ndarray | None = None  # of the test split, computed once


def _img(fig: Any, caption: str = "", dpi: int = 90) -> str:
    uri = _figures.data_uri(_figures.png_bytes(fig, dpi=dpi))
    text = html.escape(caption)
    return (f'<figure><img src="{uri}" alt="{text}">'
            f"{f'<figcaption>{text}</figcaption>' if text else ''}</figure>")


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def _summary(run: _Run) -> str:
    table = run.model.summary(run.input_shape)
    return (_note("Output shapes, parameters, multiply-adds and receptive fields (size and "
                  "jump, the cumulative stride) per layer; for each conv layer, the parameters "
                  "a fully connected layer with the same input and output sizes would need, "
                  "and the saving from weight sharing.") + table._repr_html_())


def _training(run: _Run) -> str:
    path = os.path.join(run.folder, "history.csv")
    if not os.path.isfile(path):
        return _note(f"No history.csv in {run.folder}.")
    body = _img(_report_parts.curves_figure(_report_parts.read_history(path)),
                "Loss and accuracy per epoch")
    metrics = os.path.join(run.folder, "metrics.json")
    if os.path.isfile(metrics):
        with open(metrics) as stream:
            values = json.load(stream)
        if "test_accuracy" in values:
            body += _note(f"Test accuracy {values['test_accuracy']:.4f}, test loss "
                          f"{values.get('test_loss', float('nan')):.4f}.")
    return body


def _predictions(run: _Run) -> np.ndarray:
    from .predictions import predictions

    if run.probabilities is None:
        run.probabilities = predictions(run.model, run.test)
    return run.probabilities


def _confusion(run: _Run) -> str:
    from .predictions import confusion_matrix

    if run.test is None:
        return _note(run.test_note)
    predicted = _predictions(run).argmax(axis=1)
    matrix = confusion_matrix(run.test.y, predicted, len(run.classes))
    accuracy = np.trace(matrix) / max(matrix.sum(), 1)
    return (_note(f"{len(run.test)} test samples, accuracy {accuracy:.4f}. Rows: true class; "
                  "columns: predicted class.")
            + _img(_report_parts.confusion_figure(matrix, run.classes), "Confusion matrix"))


def _misclassified(run: _Run, count: int = 8) -> str:
    if run.test is None:
        return _note(run.test_note)
    probabilities = _predictions(run)
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != run.test.y)
    if wrong.size == 0:
        return _note("Every test sample is classified correctly.")
    confidence = probabilities[wrong, predicted[wrong]]
    chosen = wrong[np.argsort(-confidence, kind="stable")[:count]]
    titles = [f"#{i}: {run.classes[run.test.y[i]]} -> {run.classes[predicted[i]]} "
              f"({probabilities[i, predicted[i]]:.2f})" for i in chosen]
    return (_note(f"{wrong.size} test samples are misclassified; these are the ones the model "
                  "was most sure about (true -> predicted, probability).")
            + _img(_report_parts.samples_figure([run.test.x[i] for i in chosen], titles),
                   "Most confidently misclassified test samples"))


def _filters(run: _Run) -> str:
    figures = filters(run.model)
    if not figures:
        return _note("This model has no conv layers.")
    names = [name for name, _ in conv_layers(run.model)]
    return "".join(_img(fig, f"Filters of layer {name}") for fig, name in zip(figures, names))


def _input(run: _Run) -> str:
    logits, _ = trace(run.model, prepare_input(run.model, run.sample, "report"))
    shifted = logits._data[0] - logits._data[0].max()
    probabilities = np.exp(shifted) / np.exp(shifted).sum()
    return (_note(f"The input explained below: {run.sample_label}.")
            + _img(_report_parts.probabilities_figure(run.sample, probabilities, run.classes)))


def _activations(run: _Run) -> str:
    maps = activations(run.model, run.sample)
    return (_note("Every layer's output for the input above, one map per filter in depth-stack "
                  "order, each titled with its shape and value range.")
            + "".join(_img(fig, dpi=75) for fig in plot_activations(maps)))


def _attribution(run: _Run) -> str:
    parts = [_img(overlay(run.sample, saliency(run.model, run.sample),
                          title="saliency: |d logit / d input|"), "Saliency")]
    if conv_layers(run.model):
        name = conv_layers(run.model)[-1][0]
        parts.append(_img(overlay(run.sample, grad_cam(run.model, run.sample),
                                  title=f"Grad-CAM at layer {name}"), "Grad-CAM"))
    else:
        parts.append(_note("Grad-CAM needs a conv layer; this model has none."))
    return (_note("Both explain the predicted class. Saliency is the gradient of its logit "
                  "with respect to the input pixels; Grad-CAM weighs the last conv layer's "
                  "maps by their average gradient (Selvaraju et al. 2017).") + "".join(parts))


def _equivariance(run: _Run) -> str:
    return (_note("Conv layers move their output with the input. With circular padding and "
                  "stride 1 this is exact; zero padding breaks it at the borders, stride and "
                  "pooling for shifts the stride does not divide.")
            + equivariance(run.model, run.sample, shifts=(1, 2, 4)).to_html())


def _invariance(run: _Run) -> str:
    return (_note("How much each layer's output changes when the input moves by a few pixels "
                  "(not moved back): pooled layers change less than the layers before them.")
            + pooling_invariance(run.model, run.sample, max_shift=3).to_html())


def _algorithms(run: _Run) -> str:
    from .. import conv

    explain_choice = getattr(conv, "explain", None)
    if explain_choice is None:
        return _note("This version of convlens cannot explain its convolution algorithm "
                     "choices (convlens.conv.explain is missing).")
    if not conv_layers(run.model):
        return _note("This model has no conv layers.")
    _, records = trace(run.model, zeros_input(run.model, run.input_shape, "report"))
    batch = int(run.config.get("batch_size") or 64)
    rows = []
    for name, layer in conv_layers(run.model):
        for n, training in ((1, False), (batch, True)):
            result = explain_choice((n, *records[name].input_shape), tuple(layer.weight.shape),
                                    stride=layer.stride, padding=layer.padding,
                                    dilation=layer.dilation, groups=layer.groups,
                                    requires_grad=training, dtype=str(layer.weight.dtype))
            rows.append(_choice_row(name, n, training, result))
    engines = list(dict.fromkeys(key for row in rows for key in row if key.endswith("(ms)")))
    table = Table("Engine chosen by algorithm='auto' for each conv layer, with estimated times",
                  ["layer", "batch", "pass", *engines, "choice", "reason"], rows,
                  ["a batch of 1 is one prediction (forward only); the training batch prices "
                   "forward + backward; n/a: the engine cannot compute this convolution"])
    return table.to_html()


def _choice_row(name: str, batch: int, training: bool, result: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"layer": name, "batch": batch,
                           "pass": "forward + backward" if training else "forward"}
    for engine, cost in getattr(result, "estimates", {}).items():
        row[f"{engine} (ms)"] = "n/a" if isinstance(cost, str) else cost * 1e3
    row["choice"] = getattr(result, "choice", str(result))
    row["reason"] = getattr(result, "reason", "")
    return row


_BUILDERS: dict[str, tuple[str, Callable[[_Run], str]]] = {
    "summary": ("Model summary", _summary),
    "training": ("Training curves", _training),
    "confusion": ("Confusion matrix", _confusion),
    "misclassified": ("Most confidently misclassified", _misclassified),
    "filters": ("Filters", _filters),
    "input": ("The chosen input", _input),
    "activations": ("Activation maps", _activations),
    "attribution": ("Saliency and Grad-CAM", _attribution),
    "equivariance": ("Translation equivariance", _equivariance),
    "invariance": ("Pooling invariance", _invariance),
    "algorithms": ("Convolution algorithms", _algorithms),
}


def _test_split(config: dict[str, Any], input_shape: tuple[int, ...]) -> tuple[Any, str]:
    """The run's test split, or None and the reason it is missing."""
    from ..data import load_dataset

    name = config.get("dataset")
    if not name:
        return None, "The run's config.json names no dataset, so there is no test data."
    try:
        _, test = load_dataset(name, data_dir=config.get("data_dir"))
    except (ImportError, OSError, ValueError) as error:
        return None, f"The test split of {name!r} could not be loaded: {error}"
    if tuple(test.input_shape) != input_shape:
        return None, (f"The test split of {name!r} has input shape {tuple(test.input_shape)}, "
                      f"but the model takes {input_shape}.")
    return test, ""


def _load_run(run_dir: str, image: str | None) -> _Run:
    from ..io import load
    from ..io.runs import resolve

    model_path, config = resolve(run_dir)
    if not config.get("input_shape"):
        raise ValueError(f"report needs a run folder whose config.json gives input_shape; "
                         f"{run_dir!r} has none (write one with convlens train --out DIR)")
    shape = tuple(int(n) for n in config["input_shape"])
    model = load(model_path)
    test, note = _test_split(config, shape)
    classes = [str(c) for c in config.get("classes") or (test.classes if test else ())]
    if test is not None and len(classes) < test.num_classes:
        classes = list(test.classes)
    if image is not None:
        sample, label = _report_parts.load_input(os.fspath(image), shape), (
            f"the file {os.path.basename(os.fspath(image))}")
    elif test is not None:
        sample = test.x[0]
        label = f"test sample #0 (true class {classes[int(test.y[0])]})"
    else:
        sample, label = np.zeros(shape, np.float32), "an all-zero input (no test data, no --image)"
    if not classes:
        classes = [str(i) for i in range(trace(model, zeros_input(model, shape, "report"))[0]
                                         .shape[-1])]
    folder = run_dir if os.path.isdir(run_dir) else os.path.dirname(model_path)
    return _Run(folder, model, config, shape, classes, test, sample, label, note)


def _page(run: _Run, sections: list[str]) -> str:
    """The HTML document around the sections, with a linked list of contents."""
    from .. import __version__

    model = html.escape(str(run.config.get("model", type(run.model).__name__)))
    dataset = html.escape(str(run.config.get("dataset", "unknown data")))
    shown = re.findall(r'<section id="([a-z]+)">', "".join(sections))
    links = "".join(f'<a href="#{key}">{html.escape(_BUILDERS[key][0])}</a>' for key in shown)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>convlens report: {model} on {dataset}</title><style>{_STYLE}</style>"
            f"</head><body><header><h1>{model} on {dataset}</h1>"
            f'<p class="note">Run folder {html.escape(os.path.abspath(run.folder))}; '
            f"written by convlens {html.escape(__version__)}.</p><nav>{links}</nav></header>"
            f"{''.join(sections)}</body></html>\n")


def report(run_dir: str | os.PathLike, image: str | os.PathLike | None = None,
           out: str | os.PathLike = "report.html",
           sections: Sequence[str] | None = None) -> str:
    """Write one self-contained HTML page that opens up a trained run.

    The page holds the model summary (with each conv layer's parameters against a fully
    connected layer's), the training curves, the confusion matrix and the most confidently
    misclassified test samples, every conv layer's filters, the activation maps, saliency and
    Grad-CAM for one input, the equivariance and pooling-invariance tables, and the
    convolution algorithm chosen for each conv layer. Each section has an ``id`` (see
    ``SECTIONS``). Pictures are embedded as PNG ``data:`` URIs; the page has no scripts and
    fetches nothing.

    Parameters
    ----------
    run_dir : str or path-like
        A folder written by ``convlens train --out DIR`` (model.convlens, config.json,
        history.csv, metrics.json).
    image : str or path-like, optional
        The input to explain: an image file (converted to the model's channels, resized to its
        input size, scaled to [0, 1]) or a ``.npy`` array of one sample. By default the first
        test sample.
    out : str or path-like, default "report.html"
        Where to write the page.
    sections : sequence of str, optional
        Only these sections (names from ``SECTIONS``), in page order; all by default.

    Returns
    -------
    str
        The path written.

    Raises
    ------
    FileNotFoundError
        If ``run_dir`` or ``image`` does not exist.
    ValueError
        If the run has no input shape, ``image`` does not fit the model, or ``sections`` names
        an unknown section.
    ImportError
        Without matplotlib (or without Pillow for an image file).

    Notes
    -----
    A section that cannot be drawn for this model says why in place of its content; the
    test-data sections are replaced by a note when the run's dataset cannot be loaded.

    Examples
    --------
    >>> import convlens as cl
    >>> cl.explain.report("runs/lenet5", out="lenet5.html")  # doctest: +SKIP
    'lenet5.html'
    """
    from .. import _validate

    wanted = SECTIONS if sections is None else [
        _validate.one_of(key, SECTIONS, "sections") for key in sections]
    _figures.matplotlib("report")
    run = _load_run(os.fspath(run_dir), image)
    parts = []
    for key in (key for key in SECTIONS if key in wanted):
        title, build = _BUILDERS[key]
        try:
            body = build(run)
        except (ValueError, TypeError, NotImplementedError) as error:
            body = (f'<p class="error">This section could not be drawn for this model: '
                    f"{html.escape(str(error))}</p>")
        parts.append(f'<section id="{key}"><h2>{html.escape(title)}</h2>{body}</section>')
    out = os.fspath(out)
    folder = os.path.dirname(os.path.abspath(out))
    os.makedirs(folder, exist_ok=True)
    page = _page(run, parts)
    with atomic_write(out, "wb") as stream:  # a unique temp name: no clash, no stale file
        stream.write(page.encode("utf-8"))
    return out
