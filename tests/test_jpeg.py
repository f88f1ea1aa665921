"""JPEG headers and decodes without PIL's file parser: the same answers as PIL's route."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from data import images, jpeg
from data.observers import StoredImage
from data.validation import hashing


def _jpeg(shape, mode="RGB", **options) -> bytes:
    pixels = (np.random.default_rng(sum(shape)).random(shape) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).convert(mode).save(buffer, "JPEG", **options)
    return buffer.getvalue()


PLAIN = [
    _jpeg((120, 97, 3)),
    _jpeg((64, 64, 3), progressive=True),
    _jpeg((50, 300, 3), subsampling=0, quality=95),
    _jpeg((33, 41), mode="L"),
    _jpeg((7, 5, 3)),  # smaller than the dHash grid
]


@pytest.mark.parametrize("data", PLAIN)
def test_header_and_decodes_match_pil(data):
    head = jpeg.header(data)
    with Image.open(io.BytesIO(data)) as image:
        assert (head.width, head.height, head.mode) == (*image.size, image.mode)
        image.load()
        assert jpeg.decode(data, head, head.mode).tobytes() == image.tobytes()
    for wanted in ((72, 72), (9, 8), (1, 1)):
        wanted = (min(head.width, wanted[0]), min(head.height, wanted[1]))
        with Image.open(io.BytesIO(data)) as image:
            image.draft("L", wanted)
            image.load()
            small = jpeg.decode(data, head, "L", jpeg.draft_scale((head.width, head.height), wanted))
            assert (small.size, small.mode, small.tobytes()) == (image.size, image.mode, image.tobytes())


@pytest.mark.parametrize("data", PLAIN)
def test_validation_hashes_are_those_of_pils_draft(data):
    mode = jpeg.header(data).mode
    fast = hashing.image_hashes(data, mode, False)
    with Image.open(io.BytesIO(data)) as image:
        size = image.size
        image.draft("L", (min(size[0], hashing._DRAFT_SIZE[0]), min(size[1], hashing._DRAFT_SIZE[1])))
        image.load()
        expected = hashing.dhash(image) if hashing.has_dhash(*size) else None
    assert fast == (hashing.sha64(data), expected, size)


def _with_segment(data: bytes, segment: bytes) -> bytes:
    return data[:2] + segment + data[2:]


def test_what_pil_must_decide_has_no_header():
    colour = PLAIN[0]
    icc = _with_segment(colour, b"\xff\xe2\x00\x12ICC_PROFILE\x00\x01\x01ab")
    cmyk = io.BytesIO()
    Image.new("CMYK", (20, 20), (1, 2, 3, 4)).save(cmyk, "JPEG")
    for data in (icc, cmyk.getvalue(), b"\xff\xd8\xff\xe0\x00", b"GIF89a", colour[:40]):
        assert jpeg.header(data) is None
    # PIL agrees those are not passed through as they are.
    assert images.stored_image(icc, 3, 10**8)[1] is None


def test_pass_through_decision_equals_pils():
    for data in PLAIN:
        for channels in (1, 3):
            head = images.passed_jpeg(data, channels, 10**8)
            passed = images.stored_image(data, channels, 10**8)[1] is not None
            assert (head is not None) == passed
    cut = PLAIN[0][:-600]  # no end marker: decoded to find out, not passed through
    assert images.passed_jpeg(cut, 3, 10**8) is None
    assert images.passed_jpeg(PLAIN[0], 3, 100) is None  # over the pixel limit: PIL's error


def test_a_truncated_jpeg_fails_to_decode_like_pil():
    data = PLAIN[0][: len(PLAIN[0]) // 2]
    with pytest.raises(OSError, match="truncated"):
        jpeg.decode(data, jpeg.header(data), "RGB")
    stored = StoredImage(data, None, jpeg.header(data))
    with pytest.raises(OSError, match="truncated"):
        stored.decoded()
    assert stored.size == (97, 120)
