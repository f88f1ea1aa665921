"""Binary PPM (P6) bytes for fixtures of datasets published as .ppm files (traffic signs)."""

from __future__ import annotations

import numpy as np


def ppm_bytes(array: np.ndarray) -> bytes:
    """A binary (P6) PPM of an (H, W, 3) uint8 array."""
    height, width, channels = array.shape
    if channels != 3:
        raise ValueError(f"PPM needs 3 channels, not {channels}")
    return f"P6\n{width} {height}\n255\n".encode() + np.ascontiguousarray(array, np.uint8).tobytes()
