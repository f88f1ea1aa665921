"""What conversion tells the code that watches it: the one interface between
``data/shards.py`` and its observers (statistics in data/stats.py, the validation scan in
data/validation/scan.py).

Conversion writes records in runs: a stack of raw images of one shape, whose pixels it
has at hand, or one encoded image. It hands each run to every observer, the encoded
image as a ``StoredImage`` that decodes itself at most once, on the first observer's
request, so statistics and the scan share one decode.
"""

from __future__ import annotations

import io
from typing import Protocol

import numpy as np
from PIL import Image

from data import jpeg
from data.images import JPEG_SIGNATURE


class StoredImage:
    """An image as stored in a shard: its bytes, and ``opened`` (its parsed header) when
    those bytes are the source's own, passed through, or for a JPEG passed through,
    ``header`` (data/jpeg.py: read without PIL)."""

    def __init__(self, data: bytes, opened: Image.Image | None, header: jpeg.JpegHeader | None = None,
                 planned_hashes: tuple | None = None):
        self.data = data
        self.opened = opened
        self.header = header
        # A passed-through JPEG's validation hashes, computed while planning
        # (data/encoded_pngs.py: JpegHashes), or None.
        self.planned_hashes = planned_hashes
        self.is_jpeg = header is not None or (opened is not None and data.startswith(JPEG_SIGNATURE))
        self._decoded: Image.Image | None = None
        self._error: Exception | None = None

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), from the header when it is at hand."""
        if self.header is not None:
            return self.header.width, self.header.height
        return self.opened.size if self.opened is not None else self.decoded().size

    def decoded(self) -> Image.Image:
        """The fully decoded image, decoded once; raises the decoder's error every time."""
        if self._error is not None:
            raise self._error
        if self._decoded is None:
            try:
                if self.header is not None:
                    try:
                        image = jpeg.decode(self.data, self.header, self.header.mode)
                    except Exception:  # noqa: BLE001 - PIL's own route says why, in its words
                        image = Image.open(io.BytesIO(self.data))
                        image.load()
                elif self.opened is None:
                    image = Image.open(io.BytesIO(self.data))
                    image.load()
                else:
                    self.opened.load()
                    image = self.opened
            except Exception as error:
                self._error = error
                raise
            self._decoded = image
        return self._decoded


class ConversionObserver(Protocol):
    """Sees every record conversion writes, in order. ``reports_undecodable``: an image
    that cannot be decoded is reported by this observer, so conversion goes on (without
    any, such an image fails the shard)."""

    reports_undecodable: bool

    def observe_stack(self, keys: list[str], labels: list[dict], stack: np.ndarray) -> None:
        """Records written as PNGs from ``stack``, their pixels: (N, H, W) or (N, H, W, 3).
        ``labels`` maps each record's label feature to its values."""

    def observe_encoded(self, key: str, labels: dict, image: StoredImage) -> None:
        """One record whose stored image is ``image``."""
