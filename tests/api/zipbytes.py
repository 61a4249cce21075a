"""Zip archives written byte by byte (PKWARE APPNOTE 4.3), so each header can lie on its own.

:func:`build` writes local file headers, data and the central directory from :class:`Entry`
values; every field that a malformed archive gets wrong (method, CRC, sizes, the name in the local
header, the signature) can be set apart from the data it describes.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass


@dataclass
class Entry:
    """One member; ``None`` fields are computed from ``data``."""

    name: str
    data: bytes
    method: int = 8  # 0 stored, 8 deflated; anything else is written as given
    crc: int | None = None
    compress_size: int | None = None
    file_size: int | None = None  # the size the central directory claims
    local_name: str | None = None  # the name in the local header (default: ``name``)
    local_signature: bytes = b"PK\x03\x04"
    payload: bytes | None = None  # the stored bytes (default: ``data`` compressed by ``method``)


def _payload(entry: Entry) -> bytes:
    if entry.payload is not None:
        return entry.payload
    if entry.method == 8:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        return compressor.compress(entry.data) + compressor.flush()
    return entry.data


def build(entries: list[Entry]) -> bytes:
    """Return the bytes of a zip holding ``entries`` (no data descriptors, no zip64)."""
    out = bytearray()
    central = bytearray()
    for e in entries:
        payload = _payload(e)
        crc = zlib.crc32(e.data) if e.crc is None else e.crc
        csize = len(payload) if e.compress_size is None else e.compress_size
        usize = len(e.data) if e.file_size is None else e.file_size
        name = e.name.encode()
        local = (e.local_name or e.name).encode()
        offset = len(out)
        out += e.local_signature
        out += struct.pack("<HHHHHIIIHH", 20, 0, e.method, 0, 0x21, crc, csize, usize, len(local), 0)
        out += local + payload
        central += b"PK\x01\x02"
        central += struct.pack(
            "<HHHHHHIIIHHHHHII",
            20,
            20,
            0,
            e.method,
            0,
            0x21,
            crc,
            csize,
            usize,
            len(name),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += name
    start = len(out)
    out += central
    out += b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(entries), len(entries), len(central), start, 0)
    return bytes(out)
