"""Image hashes for validation: an exact hash and two 64-bit difference hashes (dHash).

- exact: the first 64 bits of a SHA-1. For PNG, of the pixels (with mode and size), so
  two encodings of the same pixels match. For JPEG, of the encoded bytes (identical
  files), unless ``full_decode=True`` asks for the pixels: a re-encoded JPEG differs in
  its pixels anyway, which is what the near-duplicate search is for. Every valid image
  gets one, whatever its size: exact duplicates are checked everywhere.
- dHash: greyscale, box-resized to 9x8, one bit per pair of horizontally adjacent
  cells (1 where the right one is brighter); and its vertical twin (8x9, 1 where the
  lower cell is brighter), which only confirms candidates: two unrelated smooth images
  (sky, plain gradients) often agree on the horizontal bits but rarely on both. A
  JPEG's greyscale is its luma, decoded at the smallest DCT scale that keeps 32x32
  (unless ``full_decode``): 1/8 for photos, the blocks' DC coefficients with no inverse
  DCT. Against 1/4 (72x72, used before) it costs 18% less per photo (346 against 420 us
  with the hashing, 160-400 px) and found as many planted copies among JPEG photos
  (82.6% against 82.5% of 1,260, precision 100% both: ``python -m bench.validation
  --quality``, "JPEG 1/8" lines). Only images at least as large as the grid (``DHASH_GRID``,
  width >= 9 and height >= 8) get one: a smaller image would be enlarged, and the 64
  bits of a 3x3 patch compare a handful of pixel values repeated, so unrelated patches
  match by the hundred thousand. Such images are checked for exact duplicates only.

Also here: which stored images are valid (PNG or JPEG, the declared mode, 8 bits);
``InvalidImage`` says which check failed.
"""

from __future__ import annotations

import functools
import hashlib
import io

import numpy as np
from PIL import Image

from data import jpeg
from data.images import JPEG_SIGNATURE, PNG_SIGNATURE

# The dHash's grid (width, height): smaller images get no dHash, exact checks only.
DHASH_GRID = (9, 8)
# The least size a JPEG is decoded at for its dHashes: over 3x the 9x8 and 8x9 grids,
# so each cell still averages several 8x8 blocks.
_DRAFT_SIZE = (32, 32)


class InvalidImage(ValueError):
    """A stored image that fails a check; ``problem`` is the check (a RECORD_PROBLEMS name)."""

    def __init__(self, problem: str, reason: str):
        super().__init__(reason)
        self.problem = problem


def sha64(*parts: bytes) -> str:
    """The exact hash: 16 hex digits of a SHA-1 of ``parts``."""
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part)
    return digest.hexdigest()[:16]


def pixel_hash(mode: str, width: int, height: int, pixels: bytes) -> str:
    """The exact hash of decoded pixels: equal for any two encodings of them."""
    digest = _pixel_hasher(mode, width, height).copy()
    digest.update(pixels)
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=64)
def _pixel_hasher(mode: str, width: int, height: int):
    """``pixel_hash``'s SHA-1 after the size line (copied: a microsecond less per small image)."""
    return hashlib.sha1(f"{mode} {width}x{height}".encode())


def has_dhash(width: int, height: int) -> bool:
    """Whether an image of this size gets a dHash (it is at least as large as the grid)."""
    return width >= DHASH_GRID[0] and height >= DHASH_GRID[1]


def dhash(image: Image.Image) -> tuple[int, int]:
    """(horizontal, vertical) dHashes of one image: ``dhashes`` of a stack of one, to the
    bit, through the imaging core's own calls (a third of the time, for the one image
    each passed-through photo is: 28 against 68 us)."""
    core = (image if image.mode == "L" else image.convert("L")).im
    width, height = core.size
    whole = (0, 0, width, height)
    cells = np.frombuffer(bytes(core.resize((9, height), _BOX, whole).resize((9, 8), _BOX, (0, 0, 9, height))),
                          np.uint8).reshape(8, 9)
    horizontal = np.packbits(cells[:, 1:] > cells[:, :-1])
    cells = np.frombuffer(bytes(core.resize((8, height), _BOX, whole).resize((8, 9), _BOX, (0, 0, 8, height))),
                          np.uint8).reshape(9, 8)
    vertical = np.packbits(cells[1:, :] > cells[:-1, :])
    return int.from_bytes(horizontal.tobytes(), "big"), int.from_bytes(vertical.tobytes(), "big")


_BOX = Image.Resampling.BOX


def dhashes(image: Image.Image, count: int) -> tuple[list[int], list[int]]:
    """dHashes of ``count`` equal-sized images stacked vertically in ``image``: the
    horizontal ones (9x8 grid, right cell brighter) and the vertical ones (8x9 grid,
    lower cell brighter), which confirm the candidates the horizontal ones find.

    The box resize is done as two explicit passes, horizontal then vertical: then each
    output row of the stack depends on its own image's rows only, so one resize of a
    stack gives exactly the per-image values (PIL's one-call resize picks its own pass
    order, which depends on the sizes). About 10x faster per small image than one
    resize each.
    """
    grey = image if image.mode == "L" else image.convert("L")
    width, height = grey.size
    small = grey.resize((9, height), Image.Resampling.BOX).resize((9, 8 * count), Image.Resampling.BOX)
    cells = np.frombuffer(small.tobytes(), np.uint8).reshape(count, 8, 9)
    horizontal = np.packbits((cells[:, :, 1:] > cells[:, :, :-1]).reshape(count, 64), axis=1)
    small = grey.resize((8, height), Image.Resampling.BOX).resize((8, 9 * count), Image.Resampling.BOX)
    cells = np.frombuffer(small.tobytes(), np.uint8).reshape(count, 9, 8)
    vertical = np.packbits((cells[:, 1:, :] > cells[:, :-1, :]).reshape(count, 64), axis=1)
    return horizontal.view(">u8").ravel().tolist(), vertical.view(">u8").ravel().tolist()


def stacked_dhashes(stack: np.ndarray) -> tuple[list[int], list[int]]:
    """dHashes of a stack of equal-shaped uint8 images, (N, H, W) or (N, H, W, 3), in one
    resize."""
    count, height, width = stack.shape[:3]
    kind = "L" if stack.ndim == 3 else "RGB"
    values = np.ascontiguousarray(stack).reshape(-1)
    image = Image.frombuffer(kind, (width, height * count), values, "raw", kind, 0, 1)
    return dhashes(image, count)


def jpeg_hashes(data: bytes, mode: str, head: jpeg.JpegHeader | None = None
                 ) -> tuple[str, tuple[int, int] | None, tuple[int, int]] | None:
    """``image_hashes`` of a plain JPEG without PIL's file parser: its header read by
    data/jpeg.py, its luma decoded by the same libjpeg call at the same scale PIL's draft
    would make, so the hashes are the same; None to take PIL's route (another kind of
    JPEG, or one that does not decode: PIL's route says why)."""
    head = head or jpeg.header(data)
    if head is None:
        return None
    size = (head.width, head.height)
    if head.mode != mode:
        raise InvalidImage("wrong_channels", f"mode {head.mode}, expected {mode}")
    if not has_dhash(*size):
        return sha64(data), None, size
    wanted = (min(size[0], _DRAFT_SIZE[0]), min(size[1], _DRAFT_SIZE[1]))
    try:
        small = jpeg.decode(data, head, "L", jpeg.draft_scale(size, wanted))
    except Exception:  # noqa: BLE001 - PIL's route decides, and says why (a Pillow without the call too)
        return None
    return sha64(data), dhash(small), size


def image_hashes(data: bytes, mode: str, full_decode: bool, image: Image.Image | None = None,
                 header: jpeg.JpegHeader | None = None) -> tuple[str, tuple[int, int] | None, tuple[int, int]]:
    """(exact hash, (horizontal, vertical) dHashes or None when the image is smaller
    than the grid, size) of a stored image, ``image`` its decoding when at hand; raises
    InvalidImage when it is not valid."""
    is_png = data.startswith(PNG_SIGNATURE)
    if not is_png and not data.startswith(JPEG_SIGNATURE):
        raise InvalidImage("undecodable", f"neither PNG nor JPEG (starts {data[:8].hex()})")
    reduced = not is_png and not full_decode and image is None
    if reduced:
        found = jpeg_hashes(data, mode, header)
        if found is not None:
            return found
    if image is None:
        image = Image.open(io.BytesIO(data))
    if image.format not in ("PNG", "JPEG"):
        raise InvalidImage("undecodable", f"{image.format} data behind a PNG/JPEG signature")
    if image.mode != mode:
        raise InvalidImage("wrong_channels", f"mode {image.mode}, expected {mode}")
    # PIL opens 16-bit RGB PNGs as "RGB"; the IHDR bit depth (byte 24) tells.
    if is_png and data[24:25] != b"\x08":
        raise InvalidImage("wrong_channels", f"PNG bit depth {data[24]}, expected 8")
    size = image.size
    if is_png or full_decode:
        image.load()
        exact = pixel_hash(image.mode, image.size[0], image.size[1], image.tobytes())
        return exact, dhash(image) if has_dhash(*size) else None, size
    if not has_dhash(*size):
        return sha64(data), None, size
    if reduced:
        # The JPEG's own reduced-scale decoding of its luma (no chroma, a fraction of
        # the inverse DCTs), kept at 8x the grids or more so the box averages match a
        # full decode's within a bit or two.
        width, height = image.size
        image.draft("L", (min(width, _DRAFT_SIZE[0]), min(height, _DRAFT_SIZE[1])))
        image.load()
    return sha64(data), dhash(image), size
