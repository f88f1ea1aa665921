"""Archive members read in place: bytes that remember where in a verified file they lie.

A member of a zip (stored or deflated), of an uncompressed tar, or a plain file can be
read again at any time from its artifact with one ``pread``: staging then records where
it is (``Origin``) instead of a copy of its bytes, and conversion reads it straight from
the artifact (``read_at``). Readers hand such members over as ``MemberBytes``: real
``bytes`` (a handler may inspect, slice or decode them as before; a slice or any value
derived from them is plain bytes and is staged as a copy) that carry their ``origin``.

What cannot be read at random (a member of a tar.gz or rar, a decoded image) carries
no origin and is copied into staging as before.
"""

from __future__ import annotations

import os
import struct
import zlib
from typing import NamedTuple

from isal import isal_zlib

STORED, DEFLATED = 0, 8
# method for a span read as it is, with no CRC to check (plain files, tar members).
PLAIN = 255
_ZIP_LOCAL = struct.Struct("<4s22xHH")  # signature, ..., name length, extra length
_ZIP_LOCAL_MAGIC = b"PK\x03\x04"


class MemberError(ValueError):
    """A member that does not read back as it was recorded: the artifact changed or is corrupt."""


class Origin(NamedTuple):
    """Where a member's bytes lie in ``path``: ``length`` bytes at ``offset`` (the start of
    its data, past any header), ``method`` (STORED, DEFLATED or PLAIN), its CRC-32 when the
    archive records one (else None) and its size once read (inflated)."""

    path: str
    offset: int
    length: int
    size: int
    method: int
    crc: int | None


class MemberBytes(bytes):
    """An archive member's bytes, with ``origin`` saying where to read them again."""

    origin: Origin

    def __new__(cls, data: bytes, origin: Origin):
        value = super().__new__(cls, data)
        value.origin = origin
        return value

    def __reduce__(self):  # pickles as itself (multiprocessing, copies)
        return MemberBytes, (bytes(self), self.origin)


def read_at(fd: int, offset: int, length: int, size: int, method: int, crc: int | None,
            name: str = "member") -> bytes:
    """The member's bytes from an open file: one ``pread``, inflated when deflated, checked
    against its CRC-32 and size. A mismatch is a MemberError naming ``name``."""
    raw = os.pread(fd, length, offset)
    if len(raw) != length:
        raise MemberError(f"{name}: {len(raw)} of {length} bytes at offset {offset}: the file is "
                          "shorter than when it was read")
    if method == DEFLATED:
        inflater = zlib.decompressobj(-15)
        data = inflater.decompress(raw, size + 1)
        if len(data) != size or not inflater.eof:
            raise MemberError(f"{name}: inflates to {'more than ' if len(data) > size else ''}"
                              f"{len(data)} bytes, not the {size} its archive declares")
    elif method in (STORED, PLAIN):
        data = raw
    else:
        raise MemberError(f"{name}: compression method {method} cannot be read in place")
    if crc is not None and isal_zlib.crc32(data) != crc:
        raise MemberError(f"{name}: CRC-32 mismatch; the archive is corrupt or changed")
    return data


def zip_data_offset(fd: int, header_offset: int, name: str = "member") -> int:
    """Where a zip member's data starts: past its local header, whose name and extra
    field lengths may differ from the central directory's."""
    head = os.pread(fd, _ZIP_LOCAL.size, header_offset)
    if len(head) != _ZIP_LOCAL.size:
        raise MemberError(f"{name}: local header at {header_offset} is cut short")
    magic, name_length, extra_length = _ZIP_LOCAL.unpack(head)
    if magic != _ZIP_LOCAL_MAGIC:
        raise MemberError(f"{name}: no local header at offset {header_offset}")
    return header_offset + _ZIP_LOCAL.size + name_length + extra_length


def read(origin: Origin, name: str = "member") -> bytes:
    """``origin``'s bytes, opening its file for this one read (tests, one-off readers)."""
    fd = os.open(origin.path, os.O_RDONLY)
    try:
        return read_at(fd, origin.offset, origin.length, origin.size, origin.method, origin.crc, name)
    finally:
        os.close(fd)
