"""The container both model files and checkpoints use: a zip of one JSON document plus ``.npy``.

The file is a valid ``.npz`` (``np.load(path)`` lists the arrays), written atomically: a
temporary file in the same directory, fsync, then ``os.replace``. Arrays are stored
uncompressed, so every size a reader allocates is bounded by the size of the file itself.

Reading trusts nothing in the file, and bounds what it *decompresses and allocates*, not
what a header declares. Before any array is allocated, :class:`Archive` checks that the file
is a zip; that members are few, uniquely named and lie one after another without overlapping
(so no two entries alias the same bytes and the arrays together never exceed the file); that
the JSON document is stored or deflated (never bzip2 or lzma, whose decoders cannot be
bounded), is read through a hard cap of :data:`MAX_JSON_BYTES` decompressed bytes, holds at
most :data:`MAX_JSON_CONTAINERS` objects and arrays, and is shallow; and that each ``.npy``
header declares a plain numeric dtype (never ``object``) whose byte count matches the stored
member exactly. Arrays are read with ``allow_pickle=False``; the zip CRC of every member is
verified.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any, BinaryIO

import numpy as np

from .._atomic import atomic_write
from .errors import ModelFileError

MAX_JSON_BYTES = 8 * 2**20  # decompressed bytes of the JSON member (parsed: ~12x at worst)
MAX_JSON_CONTAINERS = 200_000  # objects and arrays in it (a bound on what parsing allocates)
MAX_JSON_DEPTH = 200
_LOCAL_HEADER = 30  # fixed part of a zip local file header
MAX_MEMBERS = 100_000
MAX_NPY_HEADER = 10_000
MAX_NDIM = 32
NUMERIC_KINDS = "biuf"
_NPY = ".npy"
# What a broken or hostile zip can raise while being parsed or read.
CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, UnicodeDecodeError,
           ValueError, KeyError, IndexError, OverflowError, RecursionError, OSError)


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads`` hook: a key given twice is an error (parsers disagree on which wins)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise ValueError(f"the key {twice!r:.80} appears twice in one object")
    return result


def check_key(key: object) -> str:
    """An array name must be a non-empty str without NUL, backslash or a leading '/'."""
    if not isinstance(key, str) or not key or len(key) > 1000 or "\0" in key or "\\" in key \
            or key.startswith("/"):
        raise ValueError(f"array names must be non-empty strings (at most 1000 characters) "
                         f"without NUL, backslash or a leading '/'; got {key!r}")
    return key


def write_archive(path: str | os.PathLike, json_name: str, document: Any,
                  arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``document`` as ``json_name`` and each array as ``<key>.npy``, atomically."""
    text = json.dumps(document, allow_nan=False, separators=(",", ":")).encode("utf-8")
    with atomic_write(path) as f, zipfile.ZipFile(f, "w", allowZip64=True) as archive:
        archive.writestr(zipfile.ZipInfo(json_name), text, zipfile.ZIP_DEFLATED)
        for key, array in arrays.items():
            _write_npy(archive, check_key(key) + _NPY, array)


def _write_npy(archive: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    array = np.asarray(array, order="C")  # not ascontiguousarray: it turns 0-d into 1-d
    if array.dtype.kind not in NUMERIC_KINDS or array.dtype.fields is not None:
        raise TypeError(f"array {name[:-len(_NPY)]!r} must be numeric (bool, int or float); "
                        f"got dtype {array.dtype}")
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    with archive.open(info, "w", force_zip64=array.nbytes > 2**30) as member:
        np.lib.format.write_array(member, array, allow_pickle=False)


def _depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a leaf counts one level), without recursion.

    Only containers go on the stack (at most :data:`MAX_JSON_CONTAINERS` of them), so
    checking a document of a million numbers allocates nothing per number.
    """
    deepest, stack = 1, [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_JSON_DEPTH:
            break
        children = item.values() if isinstance(item, dict) else item
        if children:
            deepest = max(deepest, level + 1)
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _npy_header(member: BinaryIO) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(
            member, max_header_size=MAX_NPY_HEADER)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(
            member, max_header_size=MAX_NPY_HEADER)
    else:
        raise ValueError(f"unsupported .npy format version {version}")
    return shape, fortran, dtype, member.tell()


def _hint(names: list[str]) -> str:
    if any(name == "data.pkl" or name.endswith("/data.pkl") for name in names):
        return (" (it is a PyTorch torch.save file, which holds a pickle, and convlens never "
                "unpickles; where you trust the file, convert it: sd = torch.load(path, "
                "weights_only=True), then safetensors.torch.save_file(sd, "
                "'weights.safetensors') and read that with "
                "convlens.interop.load_state_dict_file)")
    if "architecture.json" in names:
        return " (it is a model file: read it with convlens.load)"
    if "object.json" in names:
        return " (it was written by convlens.save: read it with convlens.load)"
    if "checkpoint.json" in names:
        return " (it is a checkpoint: read it with convlens.io.load_checkpoint)"
    return ""


class Archive:
    """A convlens zip opened for safe reading; use as a context manager.

    Parameters
    ----------
    path : str or PathLike
    json_name : str or tuple of str
        The one JSON member the file must hold (e.g. "architecture.json"), or the names it
        may hold one of; :attr:`json_name` is then the one found.
    what : str
        How to call the file in error messages ("model file", "checkpoint").
    """

    def __init__(self, path: str | os.PathLike, json_name: str | tuple[str, ...],
                 what: str) -> None:
        self.path = os.fspath(path)
        self.json_names = (json_name,) if isinstance(json_name, str) else tuple(json_name)
        self.json_name = self.json_names[0]
        self.what = what
        self._file = open(self.path, "rb")  # noqa: SIM115 - closed in close()
        try:
            self._open()
        except ModelFileError:
            self.close()
            raise
        except CORRUPT as error:
            self.close()
            raise self.error(f"it is not a readable zip archive ({error})") from None

    def error(self, message: str) -> ModelFileError:
        return ModelFileError(f"{self.path}: not a valid convlens {self.what}: {message}")

    def _open(self) -> None:
        self.size = os.fstat(self._file.fileno()).st_size
        magic = self._file.read(4)
        self._file.seek(0)
        if magic[:1] == b"\x80" or magic[:1] in (b"(", b"c", b"]", b"}"):
            raise self.error("it looks like a pickle, and convlens never unpickles")
        if magic not in (b"PK\x03\x04", b"PK\x05\x06"):
            raise self.error(f"it does not start like a zip archive (first bytes {magic!r})")
        self.zip = zipfile.ZipFile(self._file)
        infos = self.zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise self.error(f"it has {len(infos)} members, more than {MAX_MEMBERS}")
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise self.error("it has duplicate member names")
        found = [name for name in self.json_names if name in names]
        if len(found) != 1:
            raise self.error(f"it has no {' or '.join(self.json_names)}{_hint(names)}"
                             if not found else f"it holds both {found[0]} and {found[1]}")
        self.json_name = found[0]
        if any(info.flag_bits & 0x1 for info in infos):
            raise self.error("it has encrypted members")
        self._check_layout(infos)
        self.arrays = {}
        for info in infos:
            if info.filename == self.json_name:
                continue
            if not info.filename.endswith(_NPY):
                raise self.error(f"unexpected member {info.filename!r}")
            if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size \
                    or info.header_offset + info.compress_size > self.size:
                raise self.error(f"member {info.filename!r} is compressed or its declared "
                                 f"size ({info.file_size} bytes) does not fit in the file")
            self.arrays[info.filename[:-len(_NPY)]] = info

    def _check_layout(self, infos: list[zipfile.ZipInfo]) -> None:
        """Members must lie one after another inside the file: no aliasing, no overlap.

        Each member's extent (local header, name, extra field, data) is read from its own
        local header, so two central-directory entries pointing at one member, or at bytes
        inside another member, are refused before anything is decompressed or allocated.
        """
        end_of_previous, previous = 0, None
        for info in sorted(infos, key=lambda item: item.header_offset):
            start = info.header_offset
            if start < end_of_previous:
                raise self.error(f"members {previous!r} and {info.filename!r} overlap (no "
                                 "two entries may share bytes)")
            self._file.seek(start)
            header = self._file.read(_LOCAL_HEADER)
            if len(header) != _LOCAL_HEADER or header[:4] != b"PK\x03\x04":
                raise self.error(f"member {info.filename!r} has no local header at byte "
                                 f"{start}")
            name_length = int.from_bytes(header[26:28], "little")
            extra_length = int.from_bytes(header[28:30], "little")
            end_of_previous = start + _LOCAL_HEADER + name_length + extra_length \
                + info.compress_size
            if end_of_previous > self.size:
                raise self.error(f"member {info.filename!r} declares {info.compress_size} "
                                 f"bytes, which run past the end of the file")
            previous = info.filename
        self._file.seek(0)

    def read_json(self) -> Any:
        """Parse the JSON member, decompressing at most :data:`MAX_JSON_BYTES`; bound its size."""
        info = self.zip.getinfo(self.json_name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise self.error(f"{self.json_name} is compressed with method "
                             f"{info.compress_type}; only stored or deflated JSON is read "
                             "(other decoders cannot be bounded)")
        if info.file_size > MAX_JSON_BYTES:
            raise self.error(f"{self.json_name} declares {info.file_size} bytes, more than "
                             f"the limit of {MAX_JSON_BYTES}")
        try:
            # Inflate at most the declared size (zipfile stops there and checks the CRC), in
            # bounded steps, whatever the stream would expand to.
            with self.zip.open(info) as member:
                text = member.read(info.file_size + 1)
            containers = text.count(b"{") + text.count(b"[")
            if containers > MAX_JSON_CONTAINERS:
                raise self.error(f"{self.json_name} holds more than {MAX_JSON_CONTAINERS} "
                                 "objects and arrays")
            document = json.loads(text.decode("utf-8"), object_pairs_hook=unique_keys)
        except RecursionError:
            raise self.error(f"{self.json_name} is nested too deeply") from None
        except CORRUPT as error:
            raise self.error(f"{self.json_name} is unreadable ({error})") from None
        if _depth(document) > MAX_JSON_DEPTH:
            raise self.error(f"{self.json_name} is nested deeper than {MAX_JSON_DEPTH} levels")
        return document

    def array_nbytes(self) -> int:
        """Total declared bytes of the array members (all bounded by the file size)."""
        return sum(info.file_size for info in self.arrays.values())

    def header(self, key: str) -> tuple[tuple[int, ...], np.dtype]:
        """Check and return the shape and dtype that array ``key`` declares."""
        info = self.arrays[key]
        try:
            with self.zip.open(info) as member:
                shape, _, dtype, offset = _npy_header(member)
        except CORRUPT as error:
            raise self.error(f"array {key!r} has an unreadable .npy header ({error})") from None
        if dtype.hasobject or dtype.kind not in NUMERIC_KINDS or dtype.fields is not None \
                or dtype.subdtype is not None:
            raise self.error(f"array {key!r} has dtype {dtype}; only bool, int and float "
                             "arrays are allowed")
        if len(shape) > MAX_NDIM or any(not isinstance(n, int) or n < 0 for n in shape):
            raise self.error(f"array {key!r} declares an invalid shape {shape}")
        if offset + math.prod(shape) * dtype.itemsize != info.file_size:
            raise self.error(f"array {key!r} declares shape {shape} and dtype {dtype}, which "
                             f"does not match its stored size of {info.file_size} bytes")
        return tuple(shape), dtype

    def read_array(self, key: str) -> np.ndarray:
        """Read array ``key`` (call :meth:`header` first); the CRC is verified."""
        try:
            with self.zip.open(self.arrays[key]) as member:
                array = np.lib.format.read_array(member, allow_pickle=False,
                                                 max_header_size=MAX_NPY_HEADER)
                if member.read(1):  # reaching the end also makes zipfile check the CRC
                    raise ValueError("trailing bytes after the array data")
        except CORRUPT as error:
            raise self.error(f"array {key!r} is corrupt ({error})") from None
        return array

    def close(self) -> None:
        zip_file = self.__dict__.get("zip")
        if zip_file is not None:
            zip_file.close()
        self._file.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
