"""JPEG headers read without the imaging library's file parser, and its decoder called
directly.

Opening a JPEG through PIL parses every marker segment in Python (its quantization and
Huffman tables included): about 150 us for a photo, as much as a sixth of its decode at
reduced scale, and conversion and validation opened each passed-through photo once each.
``header`` walks the marker segments up to the frame header (SOF) instead, reading only
lengths, and gives size and components; ``decode`` hands the bytes to the very libjpeg
decoder PIL would use, with the same parameters, so its pixels are PIL's to the bit.

Only plain 8-bit JPEGs with 1 or 3 components and no ICC profile get a header here
(what conversion passes through as it is); anything else (CMYK, 12-bit, lossless,
arithmetic coding, ICC-tagged, multi-picture) answers None, and the caller takes PIL's
route, which decides those cases as before.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from PIL import Image

# Frame headers of the DCT processes libjpeg decodes with Huffman coding: baseline,
# extended sequential, progressive.
_SOF = {0xC0, 0xC1, 0xC2}
# Markers that stand alone (no length): TEM, RSTn.
_STANDALONE = {0x01, *range(0xD0, 0xD8)}


class JpegHeader(NamedTuple):
    width: int
    height: int
    components: int  # 1 (greyscale, PIL mode L) or 3 (colour, PIL mode RGB)

    @property
    def mode(self) -> str:
        return "L" if self.components == 1 else "RGB"


def header(data: bytes) -> JpegHeader | None:
    """(width, height, components) of a plain 8-bit JPEG, from its frame header, or None
    when PIL's own parsing must decide (see the module docstring)."""
    if not data.startswith(b"\xff\xd8"):
        return None
    position, end = 2, len(data)
    while position + 4 <= end:
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in _STANDALONE:
            position += 2
            continue
        (length,) = struct.unpack_from(">H", data, position + 2)
        segment = position + 4
        if length < 2 or position + 2 + length > end:
            return None
        if marker == 0xE2 and data.startswith((b"ICC_PROFILE\x00", b"MPF\x00"), segment):
            return None  # PIL keeps the profile (not passed through) / opens it as MPO
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if marker not in _SOF or length < 8:
                return None
            bits, height, width, components = struct.unpack_from(">BHHB", data, segment)
            if bits != 8 or components not in (1, 3) or not width or not height:
                return None
            return JpegHeader(width, height, components)
        if marker == 0xDA:  # start of scan before any frame header
            return None
        position += 2 + length
    return None


def draft_scale(size: tuple[int, int], wanted: tuple[int, int]) -> int:
    """The DCT scale (1, 2, 4 or 8) PIL's ``draft`` picks to give at least ``wanted``."""
    scale = min(size[0] // wanted[0], size[1] // wanted[1])
    return next(s for s in (8, 4, 2, 1) if scale >= s)


def decode(data: bytes, head: JpegHeader, mode: str, scale: int = 1) -> Image.Image:
    """The image decoded by PIL's libjpeg decoder at 1/``scale`` (as ``draft`` asks for
    it), in ``mode`` (L from a colour JPEG decodes its luma only); raises OSError when the
    data does not decode, as ``Image.load`` would."""
    size = ((head.width + scale - 1) // scale, (head.height + scale - 1) // scale)
    rawmode = mode if head.mode == "RGB" else "L"
    image = Image.core.new(mode, size)
    decoder = Image._getdecoder(mode, "jpeg", (rawmode, ""), (scale, 0))
    decoder.setimage(image, (0, 0) + size)
    try:
        consumed, error = decoder.decode(data)
        if consumed >= 0:  # wants more data than there is
            raise OSError(f"image file is truncated ({len(data) - consumed} bytes not processed)")
        if error < 0:
            raise OSError(f"JPEG does not decode (decoder error {error})")
    finally:
        decoder.cleanup()
    return Image.Image()._new(image)
