"""Import rules for ``Resize``, ``Upsample`` and ``DepthToSpace``.

Resize maps onto ``F.interpolate`` where torch has the same arithmetic:

- ``nearest`` with ``asymmetric`` coordinates and ``nearest_mode="floor"`` is torch's
  ``nearest``; with ``half_pixel`` and ``round_prefer_ceil`` it is ``nearest-exact``; any
  other ``nearest`` (but ``tf_crop_and_resize``) picks its sources by ONNX's own rules;
- ``linear`` with ``align_corners`` is ``align_corners=True``; with ``half_pixel`` or
  ``pytorch_half_pixel`` it is ``align_corners=False``;
- ``cubic`` with ``cubic_coeff_a=-0.75`` and ``exclude_outside=0``, in those coordinates, is
  ``bicubic``.

Anything else (``tf_crop_and_resize``, ``antialias``, ``keep_aspect_ratio_policy``, other
coefficients, a computed roi) is refused with the reason.
Registered into :data:`convlens.interop.onnx_ops.RULES` when that module loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .layers_resize import DepthToSpace, OnnxResize
from .onnx_ops import _unsupported, op

if TYPE_CHECKING:
    from .onnx_import import Builder, Node


def _text(node: Node, key: str, default: str) -> str:
    value = node.attrs.get(key, default)
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _torch_mode(node: Node) -> tuple[str, bool]:
    """(F.interpolate mode, align_corners) for the node's attributes, or UnsupportedError."""
    mode = _text(node, "mode", "nearest")
    coords = _text(node, "coordinate_transformation_mode", "half_pixel")
    for key, fine in (("antialias", 0), ("exclude_outside", 0)):
        if int(node.attrs.get(key, fine)) != fine:
            raise _unsupported(node, f"{key}={node.attrs[key]} has no torch equivalent")
    if _text(node, "keep_aspect_ratio_policy", "stretch") != "stretch":
        raise _unsupported(node, "keep_aspect_ratio_policy other than 'stretch' is not "
                                 "supported")
    if mode == "nearest":
        pair = (coords, _text(node, "nearest_mode", "round_prefer_floor"))
        if pair == ("asymmetric", "floor"):
            return "nearest", False
        if pair == ("half_pixel", "round_prefer_ceil"):
            return "nearest-exact", False
        if coords == "tf_crop_and_resize":
            raise _unsupported(node, "coordinate_transformation_mode 'tf_crop_and_resize' is "
                                     "not supported")
        return "onnx-nearest", False
    if mode == "cubic" and float(node.attrs.get("cubic_coeff_a", -0.75)) != -0.75:
        raise _unsupported(node, "cubic_coeff_a must be -0.75, torch's bicubic coefficient")
    if mode not in ("linear", "cubic"):
        raise _unsupported(node, f"unknown mode {mode!r}")
    if coords not in ("align_corners", "half_pixel", "pytorch_half_pixel"):
        raise _unsupported(node, f"coordinate_transformation_mode {coords!r} has no torch "
                                 "equivalent (align_corners, half_pixel, pytorch_half_pixel "
                                 "have)")
    return ("linear" if mode == "linear" else "bicubic"), coords == "align_corners"


def _spatial(node: Node, values: np.ndarray, what: str, rank: int | None) -> list:
    values = values.reshape(-1).tolist()
    axes = node.attrs.get("axes")
    if axes is not None:
        if rank is None or sorted(a % rank for a in axes) != list(range(2, rank)):
            raise _unsupported(node, f"axes must name every spatial dim; got {axes}")
        order = [a % rank for a in axes]
        return [values[order.index(d)] for d in range(2, rank)]
    if len(values) < 3 or values[0] != 1 or values[1] != 1:
        raise _unsupported(node, f"{what} must leave the batch and channel dims alone; got "
                                 f"{values}")
    return values[2:]


def _target(b: Builder, node: Node, index: int, what: str, rank: int | None,
            **layer_args) -> tuple[OnnxResize, list[str]]:
    """The layer for constant ``scales``/``sizes`` (input ``index``), or one reading them."""
    value = b.constant(b.input(node, index))
    if value is None:
        axes = node.attrs.get("axes") or ()
        return OnnxResize(computed=what, axes=axes, **layer_args), [node.inputs[0],
                                                                    node.inputs[index]]
    kind = float if what == "scales" else int
    values = [kind(v) for v in _spatial(node, value, what, rank)]
    return OnnxResize(**layer_args, **{what: values}), node.inputs[:1]


@op("Resize", "Upsample")
def _resize(b: Builder, node: Node) -> None:
    rank = b.rank(node.inputs[0])
    if node.op_type == "Upsample" or b.opset < 11:  # (X, scales) or the scales attribute
        if _text(node, "mode", "nearest") != "nearest":
            raise _unsupported(node, "linear Upsample (and Resize before opset 11) uses "
                                     "asymmetric coordinates, which torch's linear modes lack")
        args = {"mode": "nearest"}
        if "scales" in node.attrs:
            scales = np.asarray(node.attrs["scales"], np.float32)
            layer = OnnxResize(scales=_spatial(node, scales, "scales", rank), **args)
            b.add(layer, node, node.inputs[:1])
        else:
            layer, inputs = _target(b, node, 1, "scales", rank, **args)
            b.add(layer, node, inputs)
        return
    mode, corners = _torch_mode(node)
    if b.input(node, 1) and b.constant(b.input(node, 1)) is None:
        raise _unsupported(node, "a computed roi is not supported")
    args = {"mode": mode, "align_corners": corners,
            "coords": _text(node, "coordinate_transformation_mode", "half_pixel"),
            "nearest_mode": _text(node, "nearest_mode", "round_prefer_floor")}
    if b.input(node, 3):
        layer, inputs = _target(b, node, 3, "sizes", rank, **args)
    elif b.input(node, 2) and (b.constant(b.input(node, 2)) is None
                               or b.constant(b.input(node, 2)).size):
        layer, inputs = _target(b, node, 2, "scales", rank, **args)
    else:
        raise _unsupported(node, "Resize needs scales or sizes")
    b.add(layer, node, inputs)


@op("DepthToSpace")
def _depth_to_space(b: Builder, node: Node) -> None:
    layer = DepthToSpace(int(node.attrs["blocksize"]), _text(node, "mode", "DCR"))
    b.add(layer, node, node.inputs[:1])
