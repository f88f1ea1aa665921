"""Unix ``compress`` (.Z, LZW) streams: a decoder for sources published that way (VisTex's
``.tar.Z`` archives), and an encoder for their fixtures.

The format: magic ``1f 9d``, a flags byte (low five bits: the largest code width, 9-16;
bit 7: "block mode", where code 256 clears the table), then little-endian variable-width
codes starting at 9 bits. ``compress`` reads and writes codes in groups of eight (one
group is ``width`` bytes); when the width grows, or after a clear, the rest of the
current group is padding and is skipped. That padding is the part generic LZW decoders
get wrong, so both directions here follow it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import BinaryIO

MAGIC = b"\x1f\x9d"
_CLEAR = 256
_CHUNK = 1 << 20


def open_z(source: BinaryIO | bytes) -> BinaryIO:
    """A readable binary stream of the decompressed content, decoded as it is read."""
    data = source if isinstance(source, bytes) else b"".join(iter(lambda: source.read(_CHUNK), b""))
    return io.BufferedReader(_ChunkReader(decode(data)), buffer_size=_CHUNK)


def decode(data: bytes) -> Iterator[bytes]:
    """The decompressed content of a whole .Z file, in chunks of about a megabyte."""
    if len(data) < 3 or data[:2] != MAGIC:
        raise ValueError(f"not a .Z (compress) stream: starts with {data[:3].hex()}")
    max_bits, block_mode = data[2] & 0x1F, bool(data[2] & 0x80)
    if not 10 <= max_bits <= 16:
        # 9-bit streams (compress -b9) are decoded inconsistently by the tools themselves.
        raise ValueError(f".Z stream declares {max_bits}-bit codes; 10 to 16 are supported")
    max_max_code = 1 << max_bits
    table = [bytes([i]) for i in range(256)] + [b""] * (max_max_code - 256)
    # Codes widen once the table passes 2**bits entries (compress's off-by-one included).
    bits, widen_above = 9, 511
    free = 257 if block_mode else 256
    offset, previous, out = 3, None, bytearray()
    while offset < len(data):
        group = data[offset : offset + bits]
        offset += len(group)
        value, mask = int.from_bytes(group, "little"), (1 << bits) - 1
        for index in range(len(group) * 8 // bits):
            code = (value >> (index * bits)) & mask
            if previous is None:
                if code > 255:
                    raise ValueError(f".Z stream starts with code {code}, not a literal")
                previous = code
                out += table[code]
                continue
            if code == _CLEAR and block_mode:
                # The entry the next code adds lands on 256 and is never used.
                free, bits, widen_above = 256, 9, 511
                break
            if code < free:
                string = table[code]
            elif code == free:
                string = table[previous] + table[previous][:1]
            else:
                raise ValueError(f"corrupt .Z stream: code {code} before entry {free} exists")
            out += string
            if free < max_max_code:
                table[free] = table[previous] + string[:1]
                free += 1
            previous = code
            if free > widen_above:
                bits += 1
                widen_above = max_max_code if bits == max_bits else (1 << bits) - 1
                break
        if len(out) >= _CHUNK:
            yield bytes(out)
            out.clear()
    if out:
        yield bytes(out)


def encode(data: bytes, max_bits: int = 16) -> bytes:
    """``data`` as a block-mode .Z stream (no table clears: fixtures are small)."""
    table = {bytes([i]): i for i in range(256)}
    free, bits = 257, 9
    out, group = bytearray(MAGIC + bytes([0x80 | max_bits])), []

    def flush(whole: bool) -> None:
        value = sum(code << (i * bits) for i, code in enumerate(group))
        size = bits if whole else (len(group) * bits + 7) // 8
        out.extend(value.to_bytes(bits, "little")[:size])
        group.clear()

    current = b""
    for byte in data:
        candidate = current + bytes([byte])
        if candidate in table:
            current = candidate
            continue
        group.append(table[current])
        if free < 1 << max_bits:
            table[candidate] = free
            free += 1
        if free > 1 << bits and bits < max_bits:
            flush(whole=True)  # a wider code starts a new group; this one is padded
            bits += 1
        elif len(group) == 8:
            flush(whole=True)
        current = bytes([byte])
    if current:
        group.append(table[current])
    if group:
        flush(whole=False)
    return bytes(out)


class _ChunkReader(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]):
        self._chunks, self._pending = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            self._pending = next(self._chunks, None)
            if self._pending is None:
                self._pending = b""
                return 0
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count
