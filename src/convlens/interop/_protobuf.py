"""A minimal protocol-buffers codec: only what ONNX files need, every length checked.

Decoding is driven by a schema (field number -> :class:`Field`), so it only builds the
messages the schema names and skips everything else after checking its framing. Nothing in
the input chooses what code runs: the input is bytes, the output dicts, lists, numbers,
strings and ``memoryview`` slices of the input (no copies of tensor data). Every declared
length is checked against the bytes that remain before anything is sliced or allocated, and
repeated fields are capped. On top of that, one :class:`Budget` per file charges every
message, number and string the decoder creates at about what it costs in Python, and refuses
the file once that passes ``DECODE_BASE + DECODE_FACTOR * file size`` bytes, so a small file
of many tiny messages cannot expand hundreds of times. Absent repeated fields are not stored
(a :class:`Message` answers ``[]`` for them), so an empty message costs one small dict.
Wire format: https://protobuf.dev/programming-guides/encoding/.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ModelFileError

VARINT, FIXED64, LEN, FIXED32 = 0, 1, 2, 5
_MASK64 = (1 << 64) - 1
MAX_SCALARS = 1 << 20  # items of one repeated number field in one message
MAX_MESSAGES = 1 << 18  # items of one repeated message field (e.g. graph nodes)
MAX_FLOATS = 1 << 28  # floats of one repeated float field (kept as arrays: 4 bytes each)
DECODE_BASE = 16 * 2**20  # decoded-object bytes any file may use ...
DECODE_FACTOR = 32  # ... plus this many per byte (dense legit graphs measure ~16)
# What decoding charges, in bytes, near CPython's own sizes (dict, int + list slot, str).
MESSAGE_COST, NUMBER_COST, STRING_COST, VIEW_COST = 240, 40, 64, 200


class Budget:
    """Bytes of Python objects one file's decoding may create; :meth:`charge` refuses more."""

    def __init__(self, file_bytes: int) -> None:
        self.limit = DECODE_BASE + DECODE_FACTOR * file_bytes
        self.used = 0

    def charge(self, cost: int, where: str) -> None:
        self.used += cost
        if self.used > self.limit:
            raise ModelFileError(f"decoding {where} would create more than {self.limit} bytes "
                                 f"of objects ({DECODE_FACTOR} per byte of the file plus "
                                 f"{DECODE_BASE}); refusing a file that expands this much")


class Message(dict):
    """A decoded message: a dict whose absent repeated fields read as ``[]`` (not stored)."""

    __slots__ = ("repeated",)

    def __missing__(self, key: str) -> list:
        if key in self.repeated:
            return []
        raise KeyError(key)


_REPEATED: dict[int, frozenset[str]] = {}  # by id() of the (module-level, immortal) schema


def _repeated_names(schema: dict[int, Field]) -> frozenset[str]:
    names = _REPEATED.get(id(schema))
    if names is None:
        names = _REPEATED[id(schema)] = frozenset(
            spec.name for spec in schema.values() if spec.repeated)
    return names


@dataclass(frozen=True)
class Field:
    """How to decode one field: ``kind`` is a scalar kind name or a nested schema dict."""

    name: str
    kind: Any
    repeated: bool = False


def _varint(buf: memoryview, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end:
            raise ModelFileError(f"truncated protobuf: a varint runs past byte {end}")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result & _MASK64, pos
        shift += 7
        if shift >= 70:
            raise ModelFileError(f"malformed protobuf: a varint longer than 10 bytes ends "
                                 f"at byte {pos}")


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def iter_fields(buf: memoryview, where: str):
    """Yield (field number, wire type, value) for each field of the message in ``buf``."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ModelFileError(f"malformed protobuf in {where}: field number 0")
        if wire == VARINT:
            value, pos = _varint(buf, pos, end)
        elif wire in (FIXED64, FIXED32, LEN):
            size = 8 if wire == FIXED64 else 4
            if wire == LEN:
                size, pos = _varint(buf, pos, end)
            if size > end - pos:
                raise ModelFileError(f"truncated protobuf in {where}: field {number} declares "
                                     f"{size} bytes but only {end - pos} remain")
            value, pos = buf[pos:pos + size], pos + size
        else:
            raise ModelFileError(f"malformed protobuf in {where}: field {number} has "
                                 f"unsupported wire type {wire}")
        yield number, wire, value


def _packed_varints(data: memoryview, where: str) -> list[int]:
    out, pos = [], 0
    while pos < len(data):
        value, pos = _varint(data, pos, len(data))
        out.append(_signed(value))
    return out


def _scalar(kind: str, wire: int, value: Any, where: str) -> list:
    """Decode one occurrence of a scalar field (a packed occurrence may hold many)."""
    if kind in ("int", "uint"):
        if wire == VARINT:
            return [value if kind == "uint" else _signed(value)]
        if wire == LEN:
            return _packed_varints(value, where)
    elif kind in ("float", "double"):
        size, code = (4, "<f4") if kind == "float" else (8, "<f8")
        if wire in (FIXED32, FIXED64, LEN) and len(value) % size == 0 and (
                wire == LEN or len(value) == size):
            return np.frombuffer(value, code)  # a view: floats stay as compact as the file
    elif kind in ("string", "bytes") and wire == LEN:
        if kind == "bytes":
            return [value]
        try:
            return [bytes(value).decode("utf-8")]
        except UnicodeDecodeError:
            raise ModelFileError(f"malformed protobuf in {where}: a string field is not "
                                 "valid UTF-8") from None
    raise ModelFileError(f"malformed protobuf in {where}: wire type {wire} does not fit a "
                         f"{kind} field")


def _cost(items: Any) -> int:
    if isinstance(items, np.ndarray):
        return VIEW_COST
    if items and isinstance(items[0], str | memoryview):
        return STRING_COST + len(items[0]) if isinstance(items[0], str) else VIEW_COST
    return NUMBER_COST * len(items)


def decode(buf: memoryview, schema: dict[int, Field], where: str,
           budget: Budget | None = None) -> Message:
    """Decode the message in ``buf``; fields absent from ``schema`` are skipped.

    Repeated fields become lists (absent: read as empty), singular ones keep the last
    occurrence (protobuf's rule) and are missing from the dict when absent. Repeated float and
    double fields are lists of ndarray chunks; join them with :func:`floats`. ``budget``
    (default: one for a file of ``len(buf)`` bytes) is charged for everything created.
    """
    budget = Budget(len(buf)) if budget is None else budget
    budget.charge(MESSAGE_COST, where)
    out = Message()
    out.repeated = _repeated_names(schema)
    for number, wire, value in iter_fields(buf, where):
        spec = schema.get(number)
        if spec is None:
            continue
        inner = f"{where}.{spec.name}"
        if isinstance(spec.kind, dict):
            if wire != LEN:
                raise ModelFileError(f"malformed protobuf in {inner}: expected a message")
            items = [decode(value, spec.kind, inner, budget)]
        else:
            if wire == LEN and spec.kind in ("int", "uint"):  # packed: at most a number a byte
                budget.charge(NUMBER_COST * len(value), inner)
            items = _scalar(spec.kind, wire, value, inner)
            if not (wire == LEN and spec.kind in ("int", "uint")):
                budget.charge(_cost(items), inner)
        if not spec.repeated:
            if len(items) != 1:
                raise ModelFileError(f"malformed protobuf in {inner}: a packed value for a "
                                     "singular field")
            item = items[-1]
            out[spec.name] = item.item() if isinstance(item, np.generic) else item
            continue
        bucket = out.setdefault(spec.name, [])
        cap = MAX_MESSAGES if isinstance(spec.kind, dict) else MAX_SCALARS
        if isinstance(items, np.ndarray):  # float arrays are kept as chunks, not Python floats
            cap, count = MAX_FLOATS, sum(len(chunk) for chunk in bucket) + len(items)
            items = [items]
        else:
            count = len(bucket) + len(items)
        if count > cap:
            raise ModelFileError(f"{inner} has more than {cap} entries; refusing to read it")
        bucket.extend(items)
    return out


def floats(chunks: list[np.ndarray]) -> np.ndarray:
    """Join the chunks of a repeated float or double field (see :func:`decode`)."""
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)


# -- encoding ----------------------------------------------------------------------------
def _encode_varint(value: int) -> bytes:
    value &= _MASK64  # negative int64 values take ten bytes, two's complement
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def int_field(number: int, value: int) -> bytes:
    return _encode_varint(number << 3 | VARINT) + _encode_varint(int(value))


def float_field(number: int, value: float) -> bytes:
    return _encode_varint(number << 3 | FIXED32) + struct.pack("<f", value)


def bytes_field(number: int, data: bytes | str) -> bytes:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return _encode_varint(number << 3 | LEN) + _encode_varint(len(data)) + bytes(data)


def message_field(number: int, parts: list[bytes]) -> bytes:
    return bytes_field(number, b"".join(parts))
