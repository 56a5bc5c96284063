"""What the network looks at: ``saliency``, ``grad_cam``, and ``overlay`` to draw either."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import nn
from ..tensor import Tensor
from . import _figures
from ._geometry import Geometry
from .hooks import conv_layers, find_layer, layers, prepare_input, trace


@contextlib.contextmanager
def _frozen(model: nn.Module) -> Iterator[None]:
    """Stop parameters from requiring grad, so backward leaves their ``.grad`` alone."""
    flags = [(param, param.requires_grad) for param in model.parameters()]
    for param, _ in flags:
        param.requires_grad = False
    try:
        yield
    finally:
        for param, flag in flags:
            param.requires_grad = flag


def _target(output: Tensor, target: int | None, op: str) -> int:
    if output.ndim != 2:
        raise ValueError(f"{op} needs a model that outputs (N, classes) logits; got output "
                         f"shape {tuple(output.shape)}")
    classes = output.shape[1]
    if target is None:
        return int(np.argmax(output._data[0]))
    if not isinstance(target, int | np.integer) or isinstance(target, bool) or not (
            0 <= target < classes):
        raise ValueError(f"target must be a class index in [0, {classes - 1}]; got {target!r}")
    return int(target)


def saliency(model: nn.Module, x: Any, target: int | None = None) -> np.ndarray:
    """Gradient saliency: how strongly each input pixel moves the ``target`` logit.

    Parameters
    ----------
    model : nn.Module
        A classifier returning (N, classes) logits; it runs in eval mode, and its parameters'
        ``.grad`` are left untouched.
    x : ndarray or Tensor
        One sample, (C, H, W) or (C, L), or a batch of one.
    target : int, optional
        The class whose logit is explained; the predicted class by default.

    Returns
    -------
    ndarray
        (H, W) or (L,): ``max over channels of |d logit[target] / d x|`` (Simonyan, Vedaldi
        and Zisserman 2014), in the model's dtype.

    Raises
    ------
    ValueError
        For an input of the wrong shape, a model that does not output logits, or a target
        out of range.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> model = cl.models.create("lenet5")
    >>> cl.explain.saliency(model, np.zeros((1, 28, 28)), target=3).shape
    (28, 28)
    """
    xt = prepare_input(model, x, "saliency").requires_grad_()
    with _frozen(model):
        output, _ = trace(model, xt, grad=True)
        output[0, _target(output, target, "saliency")].backward()
    return np.abs(xt.grad._data[0]).max(axis=0)


def grad_cam(model: nn.Module, x: Any, target: int | None = None,
             layer: str | nn.Module | None = None) -> np.ndarray:
    """Grad-CAM (Selvaraju et al. 2017): which regions of ``layer``'s maps support ``target``.

    Parameters
    ----------
    model : nn.Module
        A classifier returning (N, classes) logits; it runs in eval mode, and its parameters'
        ``.grad`` are left untouched.
    x : ndarray or Tensor
        One sample, (C, H, W) or (C, L), or a batch of one.
    target : int, optional
        The class to explain; the predicted class by default.
    layer : str or nn.Module, optional
        A layer with spatial output (its dotted name or the module); the last conv layer by
        default.

    Returns
    -------
    ndarray of float64
        (H, W) or (L,): the class activation map, resampled onto the input's pixels.

    Raises
    ------
    ValueError
        If ``layer`` is not a layer of the model with a spatial output, or as :func:`saliency`.

    Notes
    -----
    With ``A_k`` the k-th map of the layer's output and ``y`` the target logit, each map gets
    the weight ``alpha_k = mean over positions of dy / dA_k``, and the map is
    ``relu(sum_k alpha_k A_k)``. It is upsampled over the grid of receptive-field centres, as
    the original method upsamples bilinearly: output unit ``i`` sits at the centre of its
    receptive field, ``c_i = start + i * jump`` (see :func:`convlens.explain.receptive_field`),
    and gives pixel ``p`` the weight ``max(0, 1 - |p - c_i| / jump)`` per axis. Between
    centres this is linear interpolation; beyond the outermost centres the map falls to zero
    within one ``jump`` (it is not held constant over pixels no unit is centred on).

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> model = cl.models.create("lenet5")
    >>> cl.explain.grad_cam(model, np.zeros((1, 28, 28)), target=3, layer="3").shape
    (28, 28)
    """
    xt = prepare_input(model, x, "grad_cam").requires_grad_()
    if layer is None:
        if not conv_layers(model):
            raise ValueError("grad_cam needs a conv layer, or layer= naming a layer with "
                             "spatial output; this model has no conv layers")
        layer = conv_layers(model)[-1][1]
    name, module = find_layer(model, layer, layers(model))
    with _frozen(model):
        output, records = trace(model, xt, grad=True)
        record = records[name]
        if record.geometry is None and record.output.ndim != xt.ndim:
            raise ValueError(f"grad_cam needs a layer with spatial output (a conv or pooling "
                             f"layer, or one after it); layer {name!r} "
                             f"({type(module).__name__}) outputs shape "
                             f"{tuple(record.output.shape[1:])}")
        record.output.retain_grad()
        output[0, _target(output, target, "grad_cam")].backward()
    maps = np.asarray(record.output._data[0], dtype=np.float64)
    grad = record.output.grad
    grads = np.zeros_like(maps) if grad is None else np.asarray(grad._data[0], np.float64)
    spatial = tuple(range(1, maps.ndim))
    weights = grads.mean(axis=spatial)
    cam = np.maximum(np.tensordot(weights, maps, axes=1), 0.0)
    return _resample(cam, record.geometry, tuple(xt.shape[2:]))


def _resample(cam: np.ndarray, geometry: Geometry | None, size: tuple[int, ...]) -> np.ndarray:
    """Spread each unit of ``cam`` over the input's pixels as a tent around its field's centre.

    Unit ``i`` on an axis sits at ``c_i = start + i * jump`` and gives pixel ``p`` the weight
    ``max(0, 1 - |p - c_i| / jump)``. Between two centres this is linear interpolation; past
    the outermost centre the map falls to zero within one ``jump`` instead of being held
    constant, since no unit is centred there.
    """
    if geometry is None:  # unknown geometry: spread the units evenly over the input
        jumps = [n / m for n, m in zip(size, cam.shape)]
        geometry = Geometry(cam.shape, tuple(jumps), tuple((j - 1) / 2 for j in jumps))
    out = cam
    for axis, (n, start, jump) in enumerate(zip(size, geometry.start, geometry.jump)):
        centres = start + jump * np.arange(out.shape[axis])
        width = max(float(jump), 1.0)
        # (pixels, units): unit i's share of every pixel
        weights = np.maximum(0.0, 1.0 - np.abs(np.arange(n)[:, None] - centres[None, :]) / width)
        out = np.moveaxis(np.tensordot(weights, out, axes=(1, axis)), 0, axis)
    return out


def _image_for(image: Any, heatmap: np.ndarray) -> np.ndarray:
    """The image as (H, W), (H, W, 3), (L,) or (C, L), scaled to [0, 1] for display."""
    values = np.asarray(image._data if isinstance(image, Tensor) else image, dtype=np.float64)
    while values.ndim > heatmap.ndim + 1 and values.shape[0] == 1:
        values = values[0]
    spatial = values.shape[-heatmap.ndim:] if values.ndim >= heatmap.ndim else ()
    channels_ok = values.ndim == heatmap.ndim or (
        values.ndim == heatmap.ndim + 1 and (heatmap.ndim == 1 or values.shape[0] in (1, 3)))
    if spatial != heatmap.shape or not channels_ok:
        raise ValueError(f"overlay expects image shaped {heatmap.shape} or (C, "
                         f"{', '.join(map(str, heatmap.shape))}) like the heatmap"
                         f"{' with C = 1 or 3' if heatmap.ndim == 2 else ''}; "
                         f"got image shape {np.shape(image)}")
    if heatmap.ndim == 2 and values.ndim == 3:
        values = values[0] if values.shape[0] == 1 else values.transpose(1, 2, 0)
    low, high = _figures.value_range(values)
    return (values - low) / (high - low)


def overlay(image: Any, heatmap: Any, alpha: float = 0.5, title: str | None = None,
            cmap: str = "jet") -> Any:
    """Draw ``heatmap`` (a saliency or Grad-CAM map) over ``image``.

    Parameters
    ----------
    image : ndarray or Tensor
        (H, W), (1, H, W) or (3, H, W) for a 2-D heatmap; (L,) or (C, L) for a 1-D one.
    heatmap : ndarray
        (H, W) or (L,); scaled by its maximum for display.
    alpha : float, default 0.5
        Opacity of the heatmap.
    title : str, optional
    cmap : str, default "jet"
        A matplotlib colormap name.

    Returns
    -------
    matplotlib.figure.Figure
        One axes: the image (grey or colour; for 1-D, one line per channel) under the heatmap.

    Raises
    ------
    ValueError
        If the image's spatial shape differs from the heatmap's, or ``alpha`` is not in [0, 1].
    ImportError
        Without matplotlib.

    Examples
    --------
    >>> import numpy as np, convlens as cl
    >>> fig = cl.explain.overlay(np.zeros((1, 8, 8)), np.eye(8), title="demo")
    >>> len(fig.axes[0].images)
    2
    """
    from .. import _validate

    alpha = _validate.real_number(alpha, "alpha", low=0.0, high=1.0)
    heat = np.asarray(heatmap, dtype=np.float64)
    if heat.ndim not in (1, 2):
        raise ValueError(f"overlay expects heatmap to be (H, W) or (L,); got shape {heat.shape}")
    picture = _image_for(image, heat)
    peak = float(np.max(heat)) if heat.size else 0.0
    heat = heat / peak if peak > 0 else heat
    fig = _figures.figure("overlay", 4.2 if heat.ndim == 2 else 7.0, 3.6 if heat.ndim == 2
                          else 2.6)
    ax = fig.add_subplot()
    if heat.ndim == 2:
        ax.imshow(picture, cmap="gray", interpolation="nearest")
        shown = ax.imshow(heat, cmap=cmap, alpha=alpha, vmin=0, vmax=1, interpolation="nearest")
        ax.set_axis_off()
    else:
        for line in np.atleast_2d(picture):
            ax.plot(np.arange(heat.size), line, color="black", linewidth=1)
        shown = ax.imshow(heat[None, :], cmap=cmap, alpha=alpha, vmin=0, vmax=1, aspect="auto",
                          extent=(-0.5, heat.size - 0.5, -0.05, 1.05))
        ax.set_xlabel("position")
    fig.colorbar(shown, ax=ax, shrink=0.8, label="relative importance")
    if title:
        ax.set_title(title, fontsize=9)
    return fig
