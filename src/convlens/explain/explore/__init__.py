"""``explore``: an interactive, self-contained page that opens up any convlens model.

The page draws the network left to right (the input, every layer's maps, the class
probabilities) for a strip of example inputs. Click a map to see the filter that made it and
the per-channel sums behind it; hover a unit to see its receptive field and, for a conv, the
exact dot product; step a convolution with a slider; overlay saliency or Grad-CAM. It is plain
HTML, CSS and JavaScript (the files in ``static/``) with the data inlined as one JSON blob: it
works offline, from a file, with no server and no network fetches.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import _validate, nn
from ...tensor import Tensor
from ..hooks import model_dtype, spatial_rank
from ._attribution import attribution as _attribution
from ._blob import build
from ._graph import run_graph
from ._page import page

MAX_EXAMPLES = 32


class Explorer:
    """An explorer page: show it in Jupyter, or :meth:`save` it as an HTML file.

    ``data`` is the JSON blob the page reads (see :mod:`convlens.explain.explore._blob`).
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def html(self) -> str:
        """The whole self-contained HTML document."""
        return page(self.data)

    def save(self, path: str | os.PathLike) -> str:
        """Write the page to ``path`` (atomically) and return the path."""
        from ..._atomic import atomic_write

        path = os.fspath(path)
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        with atomic_write(path, "w") as stream:
            stream.write(self.html())
        return path

    def _repr_html_(self) -> str:
        # An iframe keeps the page's script and style apart from the notebook's.
        document = html.escape(self.html(), quote=True)
        return (f'<iframe srcdoc="{document}" style="width:100%;height:860px;border:1px solid '
                f'#ddd" sandbox="allow-scripts"></iframe>')

    def __repr__(self) -> str:
        return (f"Explorer({self.data['title']!r}, {len(self.data['examples'])} examples, "
                f"{len(self.data['nodes'])} nodes)")


def _as_batch(model: nn.Module, images: Any) -> np.ndarray:
    """``images`` as a (N, C, *spatial) array in the model's dtype."""
    if isinstance(images, Tensor):
        images = images._data
    if isinstance(images, list | tuple):
        images = np.stack([np.asarray(i._data if isinstance(i, Tensor) else i)
                           for i in images]) if images else np.zeros((0,))
    if not isinstance(images, np.ndarray) or images.dtype.kind not in "fiub":
        raise TypeError(f"explore expects images to be an ndarray, Tensor or list of samples; "
                        f"got {type(images).__name__}")
    nd = spatial_rank(model)
    if nd not in (1, 2):
        raise ValueError(f"explore needs a model whose first conv or pooling layer is 1-D or "
                         f"2-D; this one has {'none' if nd is None else f'a {nd}-D one'}")
    if images.ndim == nd + 1:
        images = images[None]
    layout = "(C, L)" if nd == 1 else "(C, H, W)"
    if images.ndim != nd + 2 or not 1 <= images.shape[0] <= MAX_EXAMPLES:
        raise ValueError(f"explore expects images to be one {layout} sample or a batch of 1 "
                         f"to {MAX_EXAMPLES} (N, {layout[1:]}; got shape {images.shape}")
    return np.ascontiguousarray(images, dtype=model_dtype(model, images))


def explore(model: nn.Module, images: Any, labels: Sequence[int] | None = None,
            classes: Sequence[str] | None = None, layers: Sequence[str] | None = None,
            max_maps: int = 64, attribution: bool = True, title: str | None = None
            ) -> Explorer:
    """Build an interactive page that opens up ``model`` on a few example inputs.

    Parameters
    ----------
    model : nn.Module
        Any convlens model with conv or pooling layers: trained, built by hand, imported with
        :func:`convlens.interop.from_onnx` or converted from torch. It runs in eval mode.
    images : ndarray, Tensor or list of samples
        One sample (C, H, W) / (C, L) or a batch of 1 to 32 of them.
    labels : sequence of int, optional
        True classes of the examples, shown next to the predictions.
    classes : sequence of str, optional
        Class names; "0", "1", ... by default.
    layers : sequence of str, optional
        Store maps only for these layers (dotted names as in ``model.named_modules()``); the
        input and output are always kept. All layers by default.
    max_maps : int, default 64
        At most this many maps (channels) per layer.
    attribution : bool, default True
        Compute saliency and Grad-CAM overlays for each example and class.
    title : str, optional

    Returns
    -------
    Explorer
        Shows inline in Jupyter (``_repr_html_``); ``.save(path)`` writes the HTML file.

    Raises
    ------
    TypeError
        If ``images`` is not an array of numbers.
    ValueError
        If ``images`` does not fit the model, ``max_maps`` is not positive, ``layers`` names
        no layer of the model, or ``labels``/``classes`` do not fit.

    Notes
    -----
    Maps are stored as uint8 with one (low, high) scale per map; kernels, biases and the
    (padded) inputs of conv and pool layers are float32, so the page recomputes every dot
    product exactly. The page says which layers or maps it left out.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> page = cl.explain.explore(cl.models.create("lenet5"), np.zeros((2, 1, 28, 28)),
    ...                           attribution=False)
    >>> [node["type"] for node in page.data["nodes"]][:4]
    ['Input', 'Conv2d', 'ReLU', 'MaxPool2d']
    """
    max_maps = _validate.positive_int(max_maps, "max_maps")
    x = _as_batch(model, images)
    names = {name for name, _ in model.named_modules() if name}
    if layers is not None:
        unknown = [name for name in layers if name not in names]
        if unknown:
            raise ValueError(f"layers must name layers of the model (such as "
                             f"{sorted(names)[:6]}); got unknown {unknown}")
    nodes, output = run_graph(model, Tensor(x))
    width = nodes[output].output.shape[-1] if nodes[output].output.ndim == 2 else 0
    classes = [str(c) for c in classes] if classes is not None else [str(k) for k in
                                                                     range(width)]
    if len(classes) != width:
        raise ValueError(f"classes must name the model's {width} outputs; got {len(classes)}")
    labels = [] if labels is None else [None if label is None else int(label)
                                        for label in labels]
    if labels and len(labels) != x.shape[0]:
        raise ValueError(f"labels must give one class per image ({x.shape[0]}); got "
                         f"{len(labels)}")
    blob = build(model, nodes, output, x, labels, classes,
                 None if layers is None else set(layers), max_maps,
                 title or f"{type(model).__name__} explorer")
    if attribution:
        blob["attribution"] = _attribution(model, x, blob["examples"])
    return Explorer(blob)


__all__ = ["Explorer", "explore"]
