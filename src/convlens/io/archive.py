"""The container both model files and checkpoints use: a zip of one JSON document plus ``.npy``.

The file is a valid ``.npz`` (``np.load(path)`` lists the arrays), written atomically: a
temporary file in the same directory, fsync, then ``os.replace``. Arrays are stored
uncompressed, so every size a reader allocates is bounded by the size of the file itself.

Reading trusts nothing in the file. Before any array is allocated, :class:`Archive` checks
that the file is a zip, that members are few and uniquely named, that the JSON document is
small and shallow, and that each ``.npy`` header declares a plain numeric dtype (never
``object``) whose byte count matches the stored member exactly. Arrays are read with
``allow_pickle=False``; the zip CRC of every member is verified.
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

MAX_JSON_BYTES = 16 * 2**20
MAX_JSON_DEPTH = 200
MAX_MEMBERS = 100_000
MAX_NPY_HEADER = 10_000
MAX_NDIM = 32
NUMERIC_KINDS = "biuf"
_NPY = ".npy"
# What a broken or hostile zip can raise while being parsed or read.
CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, UnicodeDecodeError,
           ValueError, KeyError, IndexError, OverflowError, RecursionError, OSError)


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
    """Nesting depth of a parsed JSON value, computed without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_JSON_DEPTH:
            break
        children = item.values() if isinstance(item, dict) else item if isinstance(
            item, list) else ()
        stack.extend((child, level + 1) for child in children)
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
    if "architecture.json" in names:
        return " (it is a model file: read it with convlens.load)"
    if "checkpoint.json" in names:
        return " (it is a checkpoint: read it with convlens.io.load_checkpoint)"
    return ""


class Archive:
    """A convlens zip opened for safe reading; use as a context manager.

    Parameters
    ----------
    path : str or PathLike
    json_name : str
        The one JSON member the file must hold (e.g. "architecture.json").
    what : str
        How to call the file in error messages ("model file", "checkpoint").
    """

    def __init__(self, path: str | os.PathLike, json_name: str, what: str) -> None:
        self.path = os.fspath(path)
        self.json_name = json_name
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
        if self.json_name not in names:
            raise self.error(f"it has no {self.json_name}{_hint(names)}")
        if any(info.flag_bits & 0x1 for info in infos):
            raise self.error("it has encrypted members")
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

    def read_json(self) -> Any:
        """Parse the JSON member after checking its declared size; bound its depth."""
        info = self.zip.getinfo(self.json_name)
        if info.file_size > MAX_JSON_BYTES or info.compress_size > self.size:
            raise self.error(f"{self.json_name} declares {info.file_size} bytes, more than "
                             f"the limit of {MAX_JSON_BYTES}")
        try:
            document = json.loads(self.zip.read(info).decode("utf-8"))
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
