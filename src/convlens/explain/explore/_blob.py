"""The one JSON object the explorer page reads: the graph, every shown map, and the numbers
behind each conv and pool layer, for a batch of example inputs.

Layout (``nodes`` in call order; ``inputs`` are indices into it)::

    {"title", "nd", "classes", "examples": [{"label", "pred", "probs"}],
     "nodes": [{"id", "name", "type", "inputs", "shape", "kind": "map"|"vector"|"none",
                "geometry": {"size", "jump", "start"} | None, "channels", "shown",
                "maps" | "vector": quantised arrays, "op": conv/pool numbers | None,
                "after": [ids of the activation chain that follows]}],
     "output": id, "picture": quantised input pictures, "attribution": {...},
     "left_out": [sentences]}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import nn
from .._geometry import POINTWISE
from ._arrays import as_maps, packed, quantised, spatial_pair
from ._graph import Node
from ._windows import window_op


def _geometry(node: Node, nd: int) -> dict[str, list] | None:
    g = node.geometry
    if g is None:
        return None
    return {"size": spatial_pair(g.size, nd, 1), "jump": spatial_pair(g.jump, nd, 1),
            "start": spatial_pair(tuple(float(s) for s in g.start), nd, 0.0)}


def _consumers(nodes: list[Node]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {node.index: [] for node in nodes}
    for node in nodes:
        for i in node.inputs:
            found[i].append(node.index)
    return found


def _after(node: Node, nodes: list[Node], consumers: dict[int, list[int]]) -> list[int]:
    """The pointwise layers (BatchNorm, ReLU, ...) that alone follow ``node``, in order."""
    chain, current = [], node.index
    while len(consumers[current]) == 1:
        nxt = nodes[consumers[current][0]]
        if not isinstance(nxt.module, POINTWISE) or nxt.output.shape != node.output.shape:
            break
        chain.append(nxt.index)
        current = nxt.index
    return chain


def _node_entry(node: Node, nd: int, max_maps: int, keep: bool, left_out: list[str]
                ) -> dict[str, Any]:
    out = node.output
    entry: dict[str, Any] = {"id": node.index, "name": node.name, "type": node.type,
                             "inputs": node.inputs, "shape": list(out.shape[1:]),
                             "geometry": _geometry(node, nd), "kind": "none", "op": None,
                             "channels": int(out.shape[1]) if out.ndim > 1 else 0, "shown": 0}
    if not keep:
        left_out.append(f"layer {node.name} ({node.type}): not in --layers, maps not stored")
        return entry
    if out.ndim == nd + 2:
        shown = min(out.shape[1], max_maps)
        if shown < out.shape[1]:
            left_out.append(f"layer {node.name} ({node.type}): {shown} of {out.shape[1]} maps "
                            f"shown (max_maps={max_maps})")
        entry.update(kind="map", shown=shown, maps=quantised(as_maps(out[:, :shown], nd)))
        entry["op"] = window_op(node, nd, shown)
    elif out.ndim == 2:
        entry.update(kind="vector", shown=int(out.shape[1]),
                     vector=quantised(out[:, None, None, :]))
    else:
        left_out.append(f"layer {node.name} ({node.type}): output shape "
                        f"{tuple(out.shape[1:])} is not drawn")
    return entry


def _pictures(x: np.ndarray, nd: int) -> dict[str, Any]:
    """The input as it is drawn: RGB for 3 channels, else channel 0; one scale per example."""
    maps = as_maps(x, nd)
    picture = maps[:, :3] if maps.shape[1] == 3 else maps[:, :1]
    low = picture.min(axis=(1, 2, 3), keepdims=True)
    high = picture.max(axis=(1, 2, 3), keepdims=True)
    scaled = (picture - low) / np.where(high > low, high - low, 1.0)
    return packed(np.rint(scaled * 255.0), "uint8")


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64."""
    shifted = np.asarray(logits, np.float64) - np.max(logits, axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def build(model: nn.Module, nodes: list[Node], output: int, x: np.ndarray,
          labels: Sequence[int | None], classes: list[str], keep: set[str] | None,
          max_maps: int, title: str) -> dict[str, Any]:
    """The blob for ``nodes`` of one traced batch ``x`` (N, C, *spatial)."""
    nd = x.ndim - 2
    left_out: list[str] = []
    consumers = _consumers(nodes)
    shown_nodes = [n for n in nodes if n.index == 0 or n.inputs]
    entries = []
    for node in shown_nodes:
        wanted = keep is None or node.index in (0, output) or node.name in keep
        entry = _node_entry(node, nd, max_maps, wanted, left_out)
        entry["after"] = _after(node, nodes, consumers)
        entries.append(entry)
    logits = nodes[output].output
    probs = softmax(logits) if logits.ndim == 2 else None
    examples = []
    for i in range(x.shape[0]):
        label = labels[i] if i < len(labels) else None
        examples.append({"label": label,
                         "pred": None if probs is None else int(np.argmax(probs[i])),
                         "probs": None if probs is None else [float(p) for p in probs[i]]})
    return {"title": title, "nd": nd, "classes": classes, "examples": examples,
            "nodes": entries, "output": output, "picture": _pictures(x, nd),
            "left_out": left_out, "attribution": None}
