"""Building hostile zips by hand, and measuring what reading one costs.

``zipfile`` can only write honest archives, so the attacks (a compressed member that declares
a small size, central-directory entries that alias one member) are assembled here from raw
local headers and central-directory records (APPNOTE.TXT, sections 4.3.7 and 4.3.12).
"""

import struct
import tracemalloc
import zlib
from dataclasses import dataclass

_LOCAL = struct.Struct("<4s5H3I2H")
_CENTRAL = struct.Struct("<4s6H3I5H2I")
_END = struct.Struct("<4s4H2IH")


@dataclass
class Member:
    """One zip member: its stored (possibly compressed) bytes and what it declares."""

    name: str
    stored: bytes
    method: int = 0  # 0 stored, 8 deflate, 12 bzip2, 14 lzma
    declared_size: int | None = None  # uncompressed size written in the headers
    crc: int | None = None


def build_zip(members, aliases=()):
    """Bytes of a zip holding ``members``; each ``(alias, target)`` in ``aliases`` adds a
    central-directory entry named ``alias`` that points at member ``target``'s bytes."""
    body, offsets, central = b"", {}, []
    for member in members:
        name = member.name.encode()
        size = len(member.stored) if member.declared_size is None else member.declared_size
        crc = zlib.crc32(member.stored) if member.crc is None else member.crc
        offsets[member.name] = (len(body), member, size, crc)
        body += _LOCAL.pack(b"PK\x03\x04", 20, 0, member.method, 0, 0x21, crc,
                            len(member.stored), size, len(name), 0) + name + member.stored
    entries = [(m.name, m.name) for m in members] + list(aliases)
    for name, target in entries:
        offset, member, size, crc = offsets[target]
        encoded = name.encode()
        central.append(_CENTRAL.pack(b"PK\x01\x02", 20, 20, 0, member.method, 0, 0x21, crc,
                                     len(member.stored), size, len(encoded), 0, 0, 0, 0, 0,
                                     offset) + encoded)
    directory = b"".join(central)
    end = _END.pack(b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory),
                    len(body), 0)
    return body + directory + end


def peak_of(call):
    """Run ``call()``; return (its exception or None, peak bytes tracemalloc saw)."""
    tracemalloc.start()
    try:
        try:
            call()
            error = None
        except Exception as raised:  # noqa: BLE001 - the caller checks the type
            error = raised
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return error, peak


def compressed(name, data, method, declared_size=None):
    """A :class:`Member` holding ``data`` compressed by ``zipfile`` with ``method``."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr(name, data)
    with zipfile.ZipFile(buffer) as archive:
        info = archive.getinfo(name)
    raw = buffer.getvalue()
    start = info.header_offset + 30 + len(name) + int.from_bytes(
        raw[info.header_offset + 28:info.header_offset + 30], "little")
    return Member(name, raw[start:start + info.compress_size], method,
                  len(data) if declared_size is None else declared_size, zlib.crc32(data))
