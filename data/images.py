"""Turning whatever a source holds into the stored image bytes.

Sources hold palette, CMYK, 16-bit, alpha and ICC-tagged images; the stored format is
8-bit PNG (or untouched JPEG/PNG bytes) with exactly the declared channels, so every
reader decodes every dataset the same way.
"""

from __future__ import annotations

import contextlib
import io
import re
import struct
import warnings
import zlib

import deflate
import numpy as np
from PIL import Image

from data import jpeg

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
# ISA-L's levels are 0-3; fixed, because the shards must be reproducible.
PNG_COMPRESS_LEVEL = 1

_MODE_FOR_CHANNELS = {1: "L", 3: "RGB"}


class ImageError(ValueError):
    """An image that cannot be stored: corrupt, truncated, or too large."""


def mode_for(channels: int) -> str:
    return _MODE_FOR_CHANNELS[channels]


def normalize(image: Image.Image, channels: int) -> Image.Image:
    """Return an 8-bit image with the declared channels and no ICC profile."""
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        # 16-bit greyscale: keep the high byte, as an 8-bit viewer would show it.
        image = _scale_16bit(image)
    elif mode in ("I", "F"):
        image = _scale_wide(image)
    elif mode in ("P", "PA"):
        image = image.convert("RGBA" if "transparency" in image.info or mode == "PA" else "RGB")
    elif mode == "1":
        image = image.convert("L")
    target = mode_for(channels)
    if image.mode != target:
        # RGBA/LA drop their alpha; CMYK and YCbCr convert; RGB->L uses ITU-R 601 luma.
        image = image.convert("RGB" if image.mode == "CMYK" and target == "L" else target)
        if image.mode != target:
            image = image.convert(target)
    image.info.pop("icc_profile", None)
    return image


def _scale_16bit(image: Image.Image) -> Image.Image:
    array = np.asarray(image, dtype=np.uint16)
    return Image.fromarray((array >> 8).astype(np.uint8))


def _scale_wide(image: Image.Image) -> Image.Image:
    """32-bit int or float images: values above 255 mean a 16-bit range, else 8-bit."""
    array = np.asarray(image)
    if array.max(initial=0) > 255:
        array = array.astype(np.float64) / 257.0
    return Image.fromarray(np.clip(np.rint(array), 0, 255).astype(np.uint8))


def encode_png(image: Image.Image) -> bytes:
    """A standard 8-bit PNG of an L or RGB image (see ``png_from_array``)."""
    return png_from_array(np.asarray(image))


def _chunk(kind: bytes, body: bytes) -> bytes:
    return b"".join((
        struct.pack(">I", len(body)), kind, body,
        struct.pack(">I", zlib.crc32(body, zlib.crc32(kind))),
    ))


_COLOUR_TYPE = {1: 0, 3: 2}  # PNG colour types: greyscale, truecolour
_IEND = _chunk(b"IEND", b"")
_IDAT_CRC = zlib.crc32(b"IDAT")


def png_from_array(array: np.ndarray) -> bytes:
    """PNG bytes of a uint8 (H, W) or (H, W, 3) array (see ``pngs_from_stack``)."""
    return pngs_from_stack(np.asarray(array)[np.newaxis])[0]


def pngs_from_stack(stack: np.ndarray) -> list[bytes]:
    """PNG bytes of each image of a uint8 stack (N, H, W) or (N, H, W, 3), written
    without PIL's overhead.

    One filter per image, none, sub or average, whichever leaves the fewest non-zero
    bytes, average's count taken at 95% (on noisy photos all three leave nearly every
    byte non-zero and average deflates best); then deflate by libdeflate at level 1.
    Measured with ``python -m bench --only png`` (bench/png_tradeoff.py) on CIFAR-size
    photos: sub alone left the PNGs 9% larger than PIL's default (zlib 6 behind its
    per-row adaptive filter), this 2.5% (average's first row by sub) at a third of
    PIL's time and 1.15x the time of sub alone; paeth would reach PIL's size but its numpy filtering costs as much as
    the rest of the encoder; higher ISA-L levels gained nothing on images this small,
    zlib was larger and slower. On digit-like images with empty backgrounds none or
    sub still wins (2% below PIL). The filtering and its choice are numpy operations
    over the whole stack, so their cost per small image is a fraction of a call each.
    An image's bytes do not depend on the others in the stack, nor on the process:
    ISA-L's deflate (used here before, as fast and as small at level 1: 22.0 against
    23.5 us, 2,318 against 2,318 bytes) gave two builds of the same artifacts different
    bytes for the same filtered rows, once in a few hundred images, depending on the
    process; libdeflate's output depends on its input and version only.
    """
    count, height, width = stack.shape[:3]
    channels = 1 if stack.ndim == 3 else stack.shape[3]
    line = width * channels
    rows = np.ascontiguousarray(stack, dtype=np.uint8).reshape(count, height, line)
    candidates = (rows, _sub(rows, channels), _average(rows, channels))
    # Counted over contiguous buffers (fast); in twentieths, average's at 19.
    nonzero = np.stack([np.count_nonzero(c.reshape(count, -1), axis=1) * weight
                        for c, weight in zip(candidates, (20, 20, 19), strict=True)])
    choice = np.argmin(nonzero, axis=0)  # the first of equal scores: the simpler filter
    filtered = np.empty((count, height, line + 1), dtype=np.uint8)
    for number, (kinds, candidate) in enumerate(zip(_ROW_FILTERS, candidates, strict=True)):
        chosen = choice == number
        if chosen.any():
            filtered[chosen, :, 0] = kinds(height)
            filtered[chosen, :, 1:] = candidate[chosen]
    head = PNG_SIGNATURE + _chunk(b"IHDR", struct.pack(
        ">IIBBBBB", width, height, 8, _COLOUR_TYPE[channels], 0, 0, 0))
    pngs = []
    for image in filtered:
        idat = deflate.zlib_compress(image, PNG_COMPRESS_LEVEL)
        pngs.append(b"".join((head, struct.pack(">I", len(idat)), b"IDAT", idat,
                              struct.pack(">I", zlib.crc32(idat, _IDAT_CRC)), _IEND)))
    return pngs


def govern_pixel_limit(max_pixels: int | None = None) -> int:
    """Make ``max_pixels`` (default: the ``[convert] max_image_pixels`` setting) the limit
    PIL itself enforces, in this process, wherever an image is opened (handlers, staging,
    conversion, validation, reading back): PIL refuses above twice its MAX_IMAGE_PIXELS,
    so that is set to half the setting (its warning below that is silenced). Without
    this, PIL's default (about 179 million pixels) would refuse images a raised setting
    allows. Returns the limit in force."""
    if max_pixels is None:
        from data.settings import max_image_pixels

        max_pixels = max_image_pixels()
    Image.MAX_IMAGE_PIXELS = max_pixels / 2
    return max_pixels


def _too_large(prefix: str, pixels: str, max_pixels: int) -> ImageError:
    return ImageError(
        f"{prefix}image is {pixels} pixels, above the limit of {max_pixels} (decompression-bomb "
        "guard, checked from its header before decoding); raise [convert] max_image_pixels in "
        "luigi.cfg if this source is trusted"
    )


def explained(error: BaseException, where: str) -> BaseException:
    """PIL's own refusal of an image opened outside ``open_encoded`` (by a handler, while
    planning) as the project's message, which names the setting; other errors as they are."""
    if not isinstance(error, Image.DecompressionBombError):
        return error
    size = re.search(r"\((\d+) pixels\)", str(error))
    limit = int(round(Image.MAX_IMAGE_PIXELS * 2)) if Image.MAX_IMAGE_PIXELS else 0
    return _too_large(f"{where}: ", size.group(1) if size else "more", limit)


def _sub(rows: np.ndarray, channels: int) -> np.ndarray:
    """PNG's sub filter of (N, H, L) rows: each byte minus the one a pixel to its left."""
    out = np.empty_like(rows)
    # uint8 arithmetic wraps modulo 256, as PNG's filters want.
    np.subtract(rows[:, :, channels:], rows[:, :, :-channels], out=out[:, :, channels:])
    out[:, :, :channels] = rows[:, :, :channels]
    return out


def _average(rows: np.ndarray, channels: int) -> np.ndarray:
    """PNG's average filter of (N, H, L) rows but the first: each byte minus the floor of
    the mean of its left and upper neighbours (0 outside the image), in uint8 without
    widening: floor((a + b) / 2) = (a & b) + ((a ^ b) >> 1). The first row, which has no
    upper neighbour, gets sub (filters are chosen per row): average would predict half the
    left byte there, and those bytes alone left CIFAR-size PNGs 2% larger."""
    out = np.empty_like(rows)
    a, b = rows[:, 1:, :-channels], rows[:, :-1, channels:]
    mean = a & b
    mean += (a ^ b) >> 1
    np.subtract(rows[:, 1:, channels:], mean, out=out[:, 1:, channels:])
    np.subtract(rows[:, 0, channels:], rows[:, 0, :-channels], out=out[:, 0, channels:])
    np.subtract(rows[:, 1:, :channels], rows[:, :-1, :channels] >> 1, out=out[:, 1:, :channels])
    out[:, 0, :channels] = rows[:, 0, :channels]
    return out


def _average_rows(height: int) -> np.ndarray:
    """The filter byte of each row ``_average`` writes: sub (1) for the first, average (3)."""
    kinds = np.full(height, 3, dtype=np.uint8)
    kinds[0] = 1
    return kinds


# The per-row filter bytes of none, sub and average (pngs_from_stack's candidates, in order).
_ROW_FILTERS = (lambda height: 0, lambda height: 1, _average_rows)


def open_encoded(data: bytes, max_pixels: int, where: str = "") -> Image.Image:
    """Open encoded bytes lazily, refusing images over ``max_pixels`` before decoding.

    ``where`` (e.g. "dataset x, artifact y.zip, member z.png") prefixes error messages.
    """
    prefix = f"{where}: " if where else ""
    # PIL's own check, at this limit for this call (its warning is silenced at import).
    in_force, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, max_pixels / 2
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:
        # PIL's check, now at our limit: "Image size (N pixels) exceeds limit of ...".
        size = re.search(r"\((\d+) pixels\)", str(error))
        raise _too_large(prefix, size.group(1) if size else "more", max_pixels) from error
    except Exception as error:
        raise ImageError(
            f"{prefix}cannot identify image ({len(data)} bytes, starting "
            f"{data[:8].hex()}): {error}"
        ) from error
    finally:
        Image.MAX_IMAGE_PIXELS = in_force
    width, height = image.size
    if width * height > max_pixels:  # formats whose plugins skip PIL's check
        raise _too_large(prefix, f"{width}x{height} = {width * height}", max_pixels)
    return image


def can_pass_through(image: Image.Image, data: bytes, channels: int) -> bool:
    """True when the encoded bytes already are what we would store: no decode needed."""
    if image.mode != mode_for(channels) or image.info.get("icc_profile"):
        return False
    # A missing end marker means a truncated file: decode it fully to find out.
    if data.startswith(JPEG_SIGNATURE):
        return image.format == "JPEG" and b"\xff\xd9" in data[-1024:]
    if data.startswith(PNG_SIGNATURE):
        # PIL opens 16-bit RGB PNGs as "RGB"; the IHDR bit depth (byte 24) tells.
        return image.format == "PNG" and data[24:25] == b"\x08" and b"IEND" in data[-64:]
    return False


def passed_jpeg(data: bytes, channels: int, max_pixels: int) -> jpeg.JpegHeader | None:
    """The header of a JPEG stored as it is, read without opening it through PIL, or None
    when PIL must decide (``stored_image``): the same decision ``can_pass_through`` makes
    for a plain 8-bit JPEG of the declared channels, within the pixel limits."""
    head = jpeg.header(data)
    if head is None or head.mode != mode_for(channels):
        return None
    limit = min(max_pixels, 2 * Image.MAX_IMAGE_PIXELS) if Image.MAX_IMAGE_PIXELS else max_pixels
    if head.width * head.height > limit or b"\xff\xd9" not in data[-1024:]:
        return None
    return head


def stored_image(data: bytes, channels: int, max_pixels: int,
                 where: str = "") -> tuple[bytes, Image.Image | None]:
    """(bytes to store, the opened image when those bytes are ``data`` passed through):
    the caller that decodes the stored image anyway loads the opened one, not a second
    parse of the same headers (a tenth of a pass-through's conversion time)."""
    image = open_encoded(data, max_pixels, where)
    if can_pass_through(image, data, channels):
        return data, image
    try:
        image.load()
    except Exception as error:
        prefix = f"{where}: " if where else ""
        raise ImageError(f"{prefix}corrupt or truncated image: {error}") from error
    return encode_png(normalize(image, channels)), None


def stored_bytes(data: bytes, channels: int, max_pixels: int, where: str = "") -> bytes:
    """The bytes to store for an encoded source image: itself, or a normalized PNG."""
    return stored_image(data, channels, max_pixels, where)[0]


# Every process that opens images imports this module: the setting governs from the start
# (a malformed value is reported by the build, which reads the setting again), and PIL's
# warning at half its limit, which would fire below ours, is noise.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
with contextlib.suppress(ValueError):
    govern_pixel_limit()
