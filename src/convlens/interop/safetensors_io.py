"""Read and write safetensors files with NumPy alone (no torch, no ``safetensors`` package).

The format (https://github.com/huggingface/safetensors): 8 bytes giving the header length N
(unsigned, little-endian), N bytes of JSON mapping each tensor name to its ``dtype``,
``shape`` and ``data_offsets`` [begin, end) into the data that follows (plus an optional
``"__metadata__"`` map of strings), then the raw little-endian data. Every field is checked
before any tensor memory is allocated, and the data is read only once the header has proved
consistent with the file's size.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._atomic import atomic_write
from ..io.archive import unique_keys
from ..nn.state import as_state_array
from .errors import ModelFileError

DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
          "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?"}
_NAMES = {np.dtype(code).newbyteorder("="): name for name, code in DTYPES.items()}
MAX_HEADER = 100 * 1024 * 1024  # the official reader's limit
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle", ".tar")
_CONVERT = ("convlens never unpickles, because unpickling can run arbitrary code. If you "
            "trust the file, convert it yourself in PyTorch: "
            "sd = torch.load(path, weights_only=True); "
            "safetensors.torch.save_file(sd, 'weights.safetensors'), then load that file")


def _written_by_convlens(path: str) -> bool:
    """True for a zip whose members are the ones ``cl.save`` writes (JSON and ``.npy`` only)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False
    documents = {"architecture.json", "object.json", "checkpoint.json"}
    return bool(documents & set(names)) and all(
        name in documents or name.endswith(".npy") for name in names)


def _refuse_pickle(path: str, head: bytes) -> None:
    """Raise the conversion advice for a pickle-based file (by suffix, or by its first bytes)."""
    zipped = head.startswith(b"PK\x03\x04")  # torch.save's zip container holds a pickle
    pickled = head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")
    if zipped and _written_by_convlens(path):
        raise ModelFileError(f"{path!r} is a convlens file (cl.save writes a zip with no "
                             "pickle in it), not safetensors: load it with cl.load(path)")
    if path.lower().endswith(PICKLE_SUFFIXES) or zipped or pickled:
        raise ModelFileError(f"{path!r} looks like a pickle-based PyTorch file. {_CONVERT}.")


def _entry(name: str, info: Any, data_size: int) -> tuple[np.dtype, tuple[int, ...], int, int]:
    """Check one header entry; returns (dtype, shape, begin, end)."""
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        raise ModelFileError(f"tensor {name!r}: a header entry must have exactly dtype, shape "
                             f"and data_offsets; got {info!r:.200}")
    if not isinstance(info["dtype"], str) or info["dtype"] not in DTYPES:
        raise ModelFileError(f"tensor {name!r} has dtype {info['dtype']!r:.40}; convlens "
                             f"reads {sorted(DTYPES)}")
    shape, offsets = info["shape"], info["data_offsets"]
    if not isinstance(shape, list) or len(shape) > 32 or not all(
            type(n) is int and n >= 0 for n in shape):
        raise ModelFileError(f"tensor {name!r} has invalid shape {shape!r:.200}")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(
            type(n) is int for n in offsets) or not 0 <= offsets[0] <= offsets[1] <= data_size:
        raise ModelFileError(f"tensor {name!r} has data_offsets {offsets!r:.200} outside the "
                             f"{data_size} data bytes of the file")
    dtype = np.dtype(DTYPES[info["dtype"]])
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes != offsets[1] - offsets[0]:
        raise ModelFileError(f"tensor {name!r} of shape {shape} and dtype {info['dtype']} needs "
                             f"{nbytes} bytes; its data_offsets span {offsets[1] - offsets[0]}")
    return dtype, tuple(shape), offsets[0], offsets[1]


def _parse_header(raw: bytes, data_size: int) -> dict[str, tuple]:
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=unique_keys)
    except (ValueError, RecursionError) as error:  # incl. ints over Python's 4300 digits
        raise ModelFileError(f"the safetensors header is not valid JSON: {error}") from None
    if not isinstance(header, dict):
        raise ModelFileError("the safetensors header must be a JSON object")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ModelFileError("__metadata__ must map strings to strings")
    entries = {name: _entry(name, info, data_size) for name, info in header.items()}
    spans = sorted((begin, end, name) for name, (_, _, begin, end) in entries.items())
    position = 0
    for begin, end, name in spans:
        if begin != position:
            problem = "overlaps another tensor" if begin < position else "leaves a gap before it"
            raise ModelFileError(f"tensor {name!r} (data_offsets [{begin}, {end}]) {problem}; "
                                 "the data must be covered exactly once")
        position = end
    if position != data_size:
        raise ModelFileError(f"the tensors cover {position} data bytes but the file holds "
                             f"{data_size}")
    return entries


def load_state_dict_file(path: str | os.PathLike, max_bytes: int = 2**34) -> dict[str, np.ndarray]:
    """Read a safetensors file into a dict of ndarrays, without torch.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.safetensors`` file, e.g. from ``safetensors.torch.save_file(model.state_dict(),
        path)``.
    max_bytes : int, default 2**34 (16 GiB)
        Refuse larger files.

    Returns
    -------
    dict of str to ndarray
        In the file's key order; pass it to ``model.load_state_dict``.

    Raises
    ------
    ModelFileError
        For a pickle-based file (``.pt``, ``.pth``, ... : refused with how to convert it, and
        never unpickled), or a malformed one: truncated, header too long or not JSON, unknown
        dtype, offsets out of range, overlapping or leaving gaps, shape not matching the bytes.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from convlens import interop
    >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
    >>> interop.save_state_dict_file({"weight": np.eye(2, dtype=np.float32)}, path)
    >>> interop.load_state_dict_file(path)["weight"].tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    path = os.fspath(path)
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        head = stream.read(8)
        if path.lower().endswith(PICKLE_SUFFIXES):
            _refuse_pickle(path, head)
        if size > max_bytes:
            raise ModelFileError(f"{path!r} has {size} bytes, more than max_bytes={max_bytes}")
        header_size = int.from_bytes(head, "little")
        if len(head) < 8 or header_size > min(MAX_HEADER, size - 8):
            _refuse_pickle(path, head)  # only a file that fails as safetensors is sniffed
            raise ModelFileError(f"{path!r} is not a safetensors file: its header length "
                                 f"field declares {header_size} bytes but the file holds "
                                 f"{max(size - 8, 0)} after it (limit {MAX_HEADER})")
        raw = stream.read(header_size)
        if not raw.startswith(b"{"):
            _refuse_pickle(path, head)
        entries = _parse_header(raw, size - 8 - header_size)
        data = stream.read()
    return {name: np.frombuffer(data, dtype, count=math.prod(shape), offset=begin)
            .reshape(shape).astype(dtype.newbyteorder("="), copy=True)
            for name, (dtype, shape, begin, _) in entries.items()}


def save_state_dict_file(state_dict: Mapping[str, Any], path: str | os.PathLike,
                         metadata: Mapping[str, str] | None = None) -> None:
    """Write ``state_dict`` (Tensors, ndarrays) as a safetensors file, atomically.

    Readable by ``safetensors.torch.load_file`` and by :func:`load_state_dict_file`.

    Raises
    ------
    TypeError
        For a non-string key, metadata that is not strings, or a dtype safetensors lacks.
    """
    header: dict[str, Any] = {}
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("metadata must map strings to strings")
        header["__metadata__"] = dict(metadata)
    blobs, offset = [], 0
    for key, value in state_dict.items():
        if not isinstance(key, str):
            raise TypeError(f"state_dict keys must be strings; got {key!r}")
        array = as_state_array(value, key)
        name = _NAMES.get(array.dtype.newbyteorder("="))
        if name is None:
            raise TypeError(f"state_dict[{key!r}] has dtype {array.dtype}, which safetensors "
                            f"cannot store")
        blob = np.ascontiguousarray(array, DTYPES[name]).tobytes()
        header[key] = {"dtype": name, "shape": list(array.shape),
                       "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # align the data to 8 bytes, as the reference writer does
    _write(os.fspath(path), [len(text).to_bytes(8, "little"), text, *blobs])


def _write(path: str, chunks: list[bytes]) -> None:
    with atomic_write(path) as stream:
        for chunk in chunks:
            stream.write(chunk)
