"""Image statistics gathered while converting, merged exactly into dataset_info.json.

Each shard's conversion decodes every stored image once (PNG or passed-through JPEG,
with PIL) and keeps integer sums: pixels per channel, their squares, the pixel count,
and histograms of heights and widths. Integers add up exactly in any order, so the
merged mean, standard deviation (over all pixels of a split, not over per-image means)
and median sizes are the same whatever the number of shards or workers.

JPEG images are decoded fully (no PIL draft mode): the histogram is nearly free once
the pixels exist, and draft decoding saves only about a third of the time (entropy
decoding dominates) while making the standard deviation approximate.
"""

from __future__ import annotations

import io
import math
from collections import Counter

import numpy as np
from PIL import Image

from data import format as fmt
from data.decoding import parse_example
from data.images import ImageError

_VALUES = np.arange(256, dtype=np.int64)
_SQUARES = _VALUES * _VALUES


class ImageStats:
    """Running sums over the images of one shard; ``to_json`` is the sidecar entry."""

    def __init__(self, channels: int):
        self.channels = channels
        self.mode = "L" if channels == 1 else "RGB"
        self.num_images = 0
        self.num_pixels = 0
        self.pixel_sum = [0] * channels
        self.pixel_sum_squares = [0] * channels
        self.heights: Counter = Counter()
        self.widths: Counter = Counter()

    def add_example(self, serialized: bytes) -> None:
        """Add the image of one serialized tf.train.Example (as written to the shard)."""
        self.add_image(parse_example(serialized)[fmt.IMAGE][0])

    def add_image(self, encoded: bytes) -> None:
        try:
            with Image.open(io.BytesIO(encoded)) as image:
                if image.mode != self.mode:
                    image = image.convert(self.mode)
                histogram = np.array(image.histogram(), dtype=np.int64).reshape(self.channels, 256)
                width, height = image.size
        except Exception as error:  # the bytes were accepted for storing: should not happen
            raise ImageError(f"cannot decode the stored image for statistics: {error}") from error
        self.num_images += 1
        self.num_pixels += width * height
        for channel in range(self.channels):
            self.pixel_sum[channel] += int(histogram[channel] @ _VALUES)
            self.pixel_sum_squares[channel] += int(histogram[channel] @ _SQUARES)
        self.heights[height] += 1
        self.widths[width] += 1

    def add_pixels(self, pixels: np.ndarray) -> None:
        """Add an image whose uint8 pixels (H, W) or (H, W, C) are at hand: no decode."""
        height, width = pixels.shape[:2]
        flat = pixels.reshape(height * width, self.channels)
        sums = flat.sum(axis=0, dtype=np.int64)
        squares = np.einsum("ij,ij->j", flat.astype(np.int64), flat.astype(np.int64))
        self.num_images += 1
        self.num_pixels += width * height
        for channel in range(self.channels):
            self.pixel_sum[channel] += int(sums[channel])
            self.pixel_sum_squares[channel] += int(squares[channel])
        self.heights[height] += 1
        self.widths[width] += 1

    def to_json(self) -> dict:
        return {
            "num_images": self.num_images,
            "num_pixels": self.num_pixels,
            "pixel_sum": self.pixel_sum,
            "pixel_sum_squares": self.pixel_sum_squares,
            "heights": {str(k): v for k, v in sorted(self.heights.items())},
            "widths": {str(k): v for k, v in sorted(self.widths.items())},
        }


def merge(parts: list[dict]) -> dict:
    """The statistics of a split from its shards' ``ImageStats.to_json`` entries.

    {num_images, num_pixels, pixel_mean [per channel], pixel_std [per channel, over
    pixels], height {min, median, max}, width {min, median, max}}; pixel values 0-255.
    """
    channels = len(parts[0]["pixel_sum"])
    pixels = sum(part["num_pixels"] for part in parts)
    sums = [sum(part["pixel_sum"][c] for part in parts) for c in range(channels)]
    squares = [sum(part["pixel_sum_squares"][c] for part in parts) for c in range(channels)]
    heights: Counter = Counter()
    widths: Counter = Counter()
    for part in parts:
        heights.update({int(k): v for k, v in part["heights"].items()})
        widths.update({int(k): v for k, v in part["widths"].items()})
    return {
        "num_images": sum(part["num_images"] for part in parts),
        "num_pixels": pixels,
        # Exact integers up to the last step: N*sum(x^2) - sum(x)^2 is N^2 * variance.
        "pixel_mean": [s / pixels for s in sums],
        "pixel_std": [math.sqrt(pixels * q - s * s) / pixels for s, q in zip(sums, squares, strict=True)],
        "height": _summary(heights),
        "width": _summary(widths),
    }


def _summary(histogram: Counter) -> dict:
    values = sorted(histogram)
    total = sum(histogram.values())

    def nth(n: int) -> int:  # the n-th smallest value, counting from 0
        seen = 0
        for value in values:
            seen += histogram[value]
            if n < seen:
                return value
        raise IndexError(n)

    if total % 2:
        median: float = nth(total // 2)
    else:
        median = (nth(total // 2 - 1) + nth(total // 2)) / 2
        median = int(median) if median == int(median) else median
    return {"min": values[0], "median": median, "max": values[-1]}
