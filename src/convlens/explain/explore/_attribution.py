"""Saliency and Grad-CAM maps for the explorer, per example and per class.

They come from :func:`convlens.explain.saliency` and :func:`convlens.explain.grad_cam`; this
module only chooses which classes to compute and packs the maps as uint8, each scaled by its
own maximum.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import nn
from ..attribution import grad_cam, saliency
from ..hooks import conv_layers
from ._arrays import as_maps, packed, unit_scale

ALL_CLASSES_UP_TO = 12


def classes_for(probs: list[float], label: int | None) -> list[int]:
    """Every class for up to 12 classes; else the 3 most probable and the true one."""
    if len(probs) <= ALL_CLASSES_UP_TO:
        return list(range(len(probs)))
    top = [int(k) for k in np.argsort(probs)[::-1][:3]]
    return sorted(set(top) | ({label} if label is not None else set()))


def attribution(model: nn.Module, x: np.ndarray, examples: list[dict[str, Any]]
                ) -> dict[str, Any]:
    """``{"layer", "saliency": [{class: packed (1, H, W)}], "gradcam": [...]}`` per example."""
    nd = x.ndim - 2
    layer = conv_layers(model)[-1][0] if conv_layers(model) else None
    result: dict[str, Any] = {"layer": layer, "saliency": [], "gradcam": []}
    for sample, example in zip(x, examples):
        if example["probs"] is None:
            return {"layer": None, "saliency": [], "gradcam": []}
        chosen = classes_for(example["probs"], example["label"])
        sal, cam = {}, {}
        for k in chosen:
            sal[k] = packed(unit_scale(as_maps(saliency(model, sample, target=k)[None, None],
                                               nd)[0]), "uint8")
            if layer is not None:
                heat = grad_cam(model, sample, target=k, layer=layer)
                cam[k] = packed(unit_scale(as_maps(heat[None, None], nd)[0]), "uint8")
        result["saliency"].append(sal)
        result["gradcam"].append(cam)
    return result
