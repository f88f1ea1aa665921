"""GIF bytes for fixtures of datasets published as .gif files (shapes, texture plates)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def gif_bytes(array: np.ndarray, binary: bool = False) -> bytes:
    """A GIF of an (H, W) uint8 array: 256 grey levels, or black/white when ``binary``."""
    image = Image.fromarray(np.ascontiguousarray(array, np.uint8), "L")
    buffer = io.BytesIO()
    (image.convert("1") if binary else image).save(buffer, format="GIF")
    return buffer.getvalue()
