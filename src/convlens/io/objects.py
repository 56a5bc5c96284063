"""State dicts and checkpoint dicts in a file, without pickle: a JSON tree plus ``.npy`` arrays.

What ``torch.save(obj, path)`` users save (``model.state_dict()``, ``{"epoch": 3,
"model_state_dict": ..., "optimizer_state_dict": ...}``) goes into the same container as model
files (see :mod:`convlens.io.archive`), with ``object.json`` holding::

    {"format": "convlens.object", "version": 1, "convlens_version": "...", "tree": NODE}

where a NODE is, by the type of the Python value it stands for:

- ``None``, ``bool``, ``int``, ``str``, finite ``float``: the JSON value itself;
- ``list``: a JSON array of NODEs;
- ``tuple``: ``{"tuple": [NODE, ...]}``;
- ``dict``: ``{"dict": [[KEY, NODE], ...]}`` in insertion order, where a KEY is a NODE that is
  ``None``, a bool, int, float, str, or a tuple of those (so optimizer states keep int keys);
  an ``OrderedDict`` (what ``state_dict()`` returns) is ``{"odict": [...]}`` alike, and other
  dict subclasses (``defaultdict``) are saved as plain dicts;
- a non-finite float: ``{"float": "inf" | "-inf" | "nan"}``;
- a Tensor: ``{"tensor": "KEY", "requires_grad": bool}`` (``"parameter"`` instead of
  ``"tensor"`` for an ``nn.Parameter``), an ndarray ``{"ndarray": "KEY"}``, a NumPy scalar
  ``{"scalar": "KEY"}``, each naming the member ``KEY.npy``. One object saved twice is stored
  once and comes back as one object.

Every JSON object in the tree is one of these tagged forms, so no user string is ever read as
a tag. Reading checks the budgets in :data:`LIMITS` while it rebuilds the tree, without
recursion, and every problem is a :class:`ModelFileError`.
"""

from __future__ import annotations

import math
import os
from collections import OrderedDict
from typing import Any

import numpy as np

from .._version import __version__
from ..tensor import Tensor
from .archive import Archive, write_archive

FORMAT = "convlens.object"
VERSION = 1
OBJECT = "object.json"
MAX_TREE_DEPTH = 64  # containers inside containers
MAX_TREE_ITEMS = 1_000_000  # values in the tree, leaves included
MAX_STRING = 2**20  # characters of one string
LIMITS = {"depth": MAX_TREE_DEPTH, "items": MAX_TREE_ITEMS, "string": MAX_STRING}
_ARRAY_TAGS = ("tensor", "parameter", "ndarray", "scalar")
_CONTAINER_TAGS = ("dict", "odict", "tuple")
_PAIRS = ("dict", "odict")
_NUMBERS = (int, float, bool, type(None))
_ALL_TAGS = frozenset((*_ARRAY_TAGS, *_CONTAINER_TAGS, "float"))
_LEAVES = (type(None), bool, int, float, str)
_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


class _Encoder:
    """Turns a tree of containers and arrays into a JSON NODE plus named arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.keys: dict[int, str] = {}
        self.keep: list[Any] = []  # keeps ids stable while encoding
        self.active: set[int] = set()
        self.items = 0

    def node(self, value: Any, where: str, depth: int = 0) -> Any:
        self.items += 1
        if self.items > MAX_TREE_ITEMS:
            raise ValueError(f"cannot save: the object holds more than {MAX_TREE_ITEMS} values")
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                raise ValueError(f"cannot save {where}: a string of {len(value)} characters; "
                                 f"at most {MAX_STRING} are allowed")
            return value
        if value is None or isinstance(value, bool | int):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else {"float": str(value)}
        if isinstance(value, Tensor | np.ndarray | np.generic):
            return self.array(value, where)
        if isinstance(value, list | tuple | dict):
            return self.container(value, where, depth)
        raise TypeError(f"cannot save {where}: a {type(value).__module__}."
                        f"{type(value).__qualname__} is not a Tensor, ndarray, number, str, "
                        "None, list, tuple or dict (save a Module by itself, or its "
                        "state_dict(); nothing is pickled)")

    def container(self, value: Any, where: str, depth: int) -> Any:
        if depth >= MAX_TREE_DEPTH:
            raise ValueError(f"cannot save {where}: containers are nested deeper than "
                             f"{MAX_TREE_DEPTH} levels")
        if id(value) in self.active:
            raise ValueError(f"cannot save {where}: it contains itself (a cycle)")
        self.active.add(id(value))
        if isinstance(value, dict):
            tag = "odict" if isinstance(value, OrderedDict) else "dict"
            encoded: Any = {tag: [[self.key(key, where), self.node(item, f"{where}[{key!r}]",
                                                                   depth + 1)]
                                  for key, item in value.items()]}
        else:
            items = [self.node(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
            encoded = {"tuple": items} if isinstance(value, tuple) else items
        self.active.discard(id(value))
        return encoded

    def key(self, key: Any, where: str) -> Any:
        parts = key if isinstance(key, tuple) else (key,)
        if not all(isinstance(part, _LEAVES) for part in parts):
            raise TypeError(f"cannot save {where}: dict key {key!r:.80} must be None, a bool, "
                            "int, float, str, or a tuple of those")
        return self.node(key, f"{where} key", MAX_TREE_DEPTH - 1)

    def array(self, value: Any, where: str) -> dict[str, Any]:
        if isinstance(value, Tensor):
            from ..nn.parameter import Parameter

            tag, array = ("parameter" if isinstance(value, Parameter) else "tensor"), value._data
        else:
            tag, array = ("ndarray" if isinstance(value, np.ndarray) else "scalar"), value
        if np.asarray(array).dtype.kind not in "biuf":
            raise TypeError(f"cannot save {where}: an array of dtype {np.asarray(array).dtype}; "
                            "only bool, int and float arrays are stored")
        key = self.keys.get(id(value))
        if key is None:
            key = self.keys[id(value)] = str(len(self.arrays))
            self.arrays[key] = np.asarray(array)
            self.keep.append(value)
        node: dict[str, Any] = {tag: key}
        if isinstance(value, Tensor):
            node["requires_grad"] = bool(value.requires_grad)
        return node


def save_object(obj: Any, path: str | os.PathLike) -> None:
    """Write a tree of dicts, lists, tuples, Tensors, ndarrays, numbers and strings to ``path``.

    The format is documented in the module docstring and in ``docs/security.md``; no pickle.

    Raises
    ------
    TypeError
        For a value of another type (the message gives its path in the tree, e.g.
        ``obj['optimizer']['state'][0]``), or a dict key that is not a plain value.
    ValueError
        For a cycle, nesting deeper than 64 levels, more than a million values, or a string
        over 2**20 characters (the limits a reader enforces).
    """
    encoder = _Encoder()
    tree = encoder.node(obj, "obj")
    document = {"format": FORMAT, "version": VERSION, "convlens_version": __version__,
                "tree": tree}
    write_archive(path, OBJECT, document, encoder.arrays)


class _Decoder:
    """Rebuilds the tree from a parsed NODE, iteratively, checking every budget."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.loaded: dict[str, Any] = {}
        self.items = 0

    def error(self, where: str | tuple[str, int], message: str):
        if isinstance(where, tuple):  # (container, index): spelled out only when it fails
            where = f"{where[0]}[{where[1]}]"
        return self.archive.error(f"{OBJECT} at {where}: {message}")

    def leaf(self, node: Any, where: str | tuple[str, int]) -> Any:
        """A value without children, or raise; returns ``_CONTAINER`` for containers."""
        self.items += 1
        if self.items > MAX_TREE_ITEMS:
            raise self.error(where, f"the tree holds more than {MAX_TREE_ITEMS} values")
        if isinstance(node, str):
            if len(node) > MAX_STRING:
                raise self.error(where, f"a string of {len(node)} characters (at most "
                                        f"{MAX_STRING})")
            return node
        if node is None or isinstance(node, bool | int | float):
            return node
        if isinstance(node, list):
            return _CONTAINER
        if not isinstance(node, dict) or len(node) not in (1, 2):
            raise self.error(where, f"expected a value or a tagged object; got {_short(node)}")
        tags = [key for key in node if key in _ALL_TAGS]
        tag = tags[0] if len(tags) == 1 else None  # the one tag, wherever it stands
        if tag in _CONTAINER_TAGS and len(node) == 1:
            return _CONTAINER
        if tag == "float" and len(node) == 1 and isinstance(node[tag], str) \
                and node[tag] in _NON_FINITE:
            return _NON_FINITE[node[tag]]
        if tag in _ARRAY_TAGS:
            return self.array(node, tag, where)
        raise self.error(where, f"unknown or malformed tagged object {_short(node)}")

    def array(self, node: dict[str, Any], tag: str, where: str | tuple[str, int]) -> Any:
        key = node[tag]
        is_tensor = tag in ("tensor", "parameter")
        expected = {tag, "requires_grad"} if is_tensor else {tag}
        if set(node) != expected or not isinstance(key, str) or (
                is_tensor and not isinstance(node["requires_grad"], bool)):
            raise self.error(where, f"malformed {tag} reference {_short(node)}")
        if key not in self.archive.arrays:
            raise self.error(where, f"refers to array {key!r}, which the file does not hold")
        cache_key = f"{tag}:{key}"
        if cache_key not in self.loaded:
            self.loaded[cache_key] = self.rebuild_array(key, tag, node.get("requires_grad"),
                                                        where)
        return self.loaded[cache_key]

    def rebuild_array(self, key: str, tag: str, requires_grad: bool | None,
                      where: str | tuple[str, int]) -> Any:
        shape, dtype = self.archive.header(key)
        array = self.archive.read_array(key)
        if tag == "ndarray":
            return array
        if tag == "scalar":
            if shape != ():
                raise self.error(where, f"a scalar must be a 0-d array; got shape {shape}")
            return array[()]
        if requires_grad and dtype.kind != "f":
            raise self.error(where, f"requires_grad needs a float array; got {dtype}")
        if tag == "parameter":
            from ..nn.parameter import Parameter

            return Parameter(array, requires_grad=requires_grad)
        return Tensor(array, requires_grad=requires_grad)

    def tree(self, root: Any) -> Any:
        """Rebuild without recursion: one frame per open container, children appended in turn.

        Memory stays near the parsed JSON itself: a frame per nesting level, the lists being
        built, and no per-value bookkeeping (places in the tree are spelled out only in errors).
        """
        value = self.leaf(root, "obj")
        if value is not _CONTAINER:
            return value
        frames = [self.open(root, "obj", 0)]
        while True:
            kind, children, built, where, depth = frames[-1]
            index = len(built)
            if index == len(children) * (2 if kind in _PAIRS else 1):
                frames.pop()
                value = self.finish(built, kind, where)
                if not frames:
                    return value
                frames[-1][2].append(value)
                continue
            if kind not in _PAIRS and type(children[index]) in _NUMBERS:
                index = self.numbers(children, index, built, where)
                continue
            child = children[index // 2][index % 2] if kind in _PAIRS else children[index]
            value = self.leaf(child, (where, index))
            if value is _CONTAINER:
                frames.append(self.open(child, f"{where}[{index}]", depth + 1))
            else:
                built.append(value)

    def numbers(self, children: list[Any], index: int, built: list[Any], where: str) -> int:
        """Take the run of plain numbers from ``children[index:]`` at once (the common case:
        lists of floats in a scheduler's state); returns the index after it."""
        end = index
        while end < len(children) and type(children[end]) in _NUMBERS:
            end += 1
        self.items += end - index
        if self.items > MAX_TREE_ITEMS:
            raise self.error((where, end - 1), f"the tree holds more than {MAX_TREE_ITEMS} "
                                               "values")
        built.extend(children[index:end])
        return end

    def open(self, node: Any, where: str, depth: int) -> tuple:
        """A frame for container ``node``: (kind, children, built so far, where, depth)."""
        if depth >= MAX_TREE_DEPTH:
            raise self.error(where, f"containers are nested deeper than {MAX_TREE_DEPTH} "
                                    "levels")
        kind = "list" if isinstance(node, list) else next(iter(node))
        children = node if kind == "list" else node[kind]
        if not isinstance(children, list) or (kind in _PAIRS and not all(
                isinstance(pair, list) and len(pair) == 2 for pair in children)):
            raise self.error(where, f"a {kind} must hold a list"
                                    + (" of [key, value] pairs" if kind in _PAIRS else ""))
        return kind, children, [], where, depth

    def finish(self, built: list[Any], kind: str, where: str) -> Any:
        if kind == "list":
            return built
        if kind == "tuple":
            return tuple(built)
        keys = built[0::2]
        for key in keys:
            parts = key if isinstance(key, tuple) else (key,)
            if not all(isinstance(part, _LEAVES) for part in parts):
                raise self.error(where, f"a dict key must be a plain value or a tuple of "
                                        f"them; got {_short(key)}")
        result = (OrderedDict if kind == "odict" else dict)(zip(keys, built[1::2]))
        if len(result) != len(keys):
            raise self.error(where, "a dict holds the same key twice")
        return result


_CONTAINER = object()


def load_object(archive: Archive, document: Any) -> Any:
    """Rebuild the tree of an opened object file (see :func:`save_object`)."""
    if not isinstance(document, dict) or document.get("format") != FORMAT \
            or "tree" not in document:
        raise archive.error(f"{OBJECT} is not a convlens object description")
    if document.get("version") != VERSION:
        raise archive.error(f"unsupported object file version {_short(document.get('version'))}"
                            f"; this convlens reads version {VERSION}")
    decoder = _Decoder(archive)
    tree = decoder.tree(document["tree"])
    used = {key.split(":", 1)[1] for key in decoder.loaded}
    unused = sorted(set(archive.arrays) - used)
    if unused:
        raise archive.error(f"it holds arrays the tree never refers to: {unused[:10]}")
    return tree


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
