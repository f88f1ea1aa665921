"""Image statistics gathered while converting, merged exactly into dataset_info.json.

Each shard's conversion counts every image's height and width, and keeps integer
sums of its pixels per channel and of their squares. Integers add up exactly in any
order, so the merged mean, standard deviation (over all pixels of a split, not over
per-image means) and median sizes are the same whatever the number of shards or workers.

Pixels that conversion has at hand (the images it encodes itself) are all counted.
A passed-through JPEG would have to be decoded for them alone (three quarters of a
pass-through's cost), so in a train split of 2 * PIXEL_SAMPLE images or more their
pixels are counted for a sample: the images whose key hashes into one of ``stride``
buckets (``pixel_sample_stride``), chosen by key, so the sample, too, does not depend
on sharding. Held-out splits, whose figures nobody normalizes with, are sampled at
HELD_OUT_PIXEL_SAMPLE: on the photo replica, their full decodes were a third of the
build's CPU. Sizes still come from every image's header. The merged statistics then
say how many images the pixel figures rest on.

``ImageStats`` is one of conversion's observers (data/observers.py): it sees every
record as conversion writes it.
"""

from __future__ import annotations

import io
import math
from collections import Counter

import numpy as np
from PIL import Image

from data import format as fmt
from data.hashing import key_hash
from data.images import ImageError
from data.observers import StoredImage

# Passed-through images whose pixels a train split's statistics rest on, at least.
PIXEL_SAMPLE = 1024
# The same for every other split, whose pixel figures are for comparison only: on the
# photo replica's test split, samples of 256 gave means within 2.8 levels of 255 of all
# its images', samples of 1,024 within 0.6.
HELD_OUT_PIXEL_SAMPLE = 256

_VALUES = np.arange(256, dtype=np.int64)
_SQUARES = _VALUES * _VALUES


class ImageStats:
    """Running sums over the images of one shard; ``to_json`` is the sidecar entry.

    Pixels at hand are counted a stack at a time (one histogram call rather than numpy
    calls per small image); the sums come from the histograms. As a conversion observer,
    passed-through JPEGs are decoded only when their key is in the pixel sample of 1 in
    ``sample_stride`` (``pixel_sample_stride``).
    """

    reports_undecodable = False

    def __init__(self, channels: int, sample_stride: int = 1):
        self.channels = channels
        self.sample_stride = sample_stride
        self.mode = "L" if channels == 1 else "RGB"
        self.num_images = 0
        self.num_pixels = 0
        self.sampled_images = 0  # images whose pixels are in the histogram
        self.sampled_pixels = 0
        self.histogram = np.zeros(channels * 256, dtype=np.int64)
        self.heights: Counter = Counter()
        self.widths: Counter = Counter()

    def add_example(self, serialized: bytes) -> None:
        """Add the image of one serialized tf.train.Example (as written to the shard)."""
        self.add_image(fmt.parse_example(serialized)[fmt.IMAGE][0])

    def add_image(self, encoded: bytes) -> None:
        try:
            with Image.open(io.BytesIO(encoded)) as image:
                self.add_decoded(image)
        except ImageError:
            raise
        except Exception as error:  # the bytes were accepted for storing: should not happen
            raise ImageError(f"cannot decode the stored image for statistics: {error}") from error

    def add_decoded(self, image: Image.Image) -> None:
        """Add a decoded (or decodable) PIL image."""
        if image.mode != self.mode:
            image = image.convert(self.mode)
        self.histogram += np.array(image.histogram(), dtype=np.int64)
        self._count(*image.size)
        self.sampled_images += 1
        self.sampled_pixels += image.size[0] * image.size[1]

    def add_size(self, width: int, height: int) -> None:
        """Count an image outside the pixel sample: its size only."""
        self._count(width, height)

    def add_stack(self, stack: np.ndarray) -> None:
        """Add equal-sized images whose uint8 pixels are at hand, (N, H, W) or (N, H, W, C):
        no decode, and one histogram call for the whole stack."""
        count, height, width = stack.shape[:3]
        values = np.ascontiguousarray(stack).reshape(-1)
        # All pixels as one row of an image: PIL's histogram counts per channel in one C
        # loop, about 5x faster than numpy's bincount over channel offsets.
        row = Image.frombuffer(self.mode, (len(values) // self.channels, 1), values, "raw", self.mode, 0, 1)
        self.histogram += np.array(row.histogram(), dtype=np.int64)
        self.num_images += count
        self.num_pixels += count * width * height
        self.sampled_images += count
        self.sampled_pixels += count * width * height
        self.heights[height] += count
        self.widths[width] += count

    def observe_stack(self, keys: list[str], labels: list[dict], stack: np.ndarray) -> None:
        self.add_stack(stack)

    def observe_encoded(self, key: str, labels: dict, image: StoredImage) -> None:
        if image.is_jpeg and not in_pixel_sample(key, self.sample_stride):
            self.add_size(*image.size)
            return
        try:
            decoded = image.decoded()
        except Exception as error:
            raise ImageError(f"cannot decode the stored image: {error}") from error
        self.add_decoded(decoded)

    def _count(self, width: int, height: int) -> None:
        self.num_images += 1
        self.num_pixels += width * height
        self.heights[height] += 1
        self.widths[width] += 1

    @property
    def pixel_sum(self) -> list[int]:
        return [int(h @ _VALUES) for h in self.histogram.reshape(self.channels, 256)]

    @property
    def pixel_sum_squares(self) -> list[int]:
        return [int(h @ _SQUARES) for h in self.histogram.reshape(self.channels, 256)]

    def to_json(self) -> dict:
        return {
            "num_images": self.num_images,
            "num_pixels": self.num_pixels,
            "sampled_images": self.sampled_images,
            "sampled_pixels": self.sampled_pixels,
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
    images = sum(part["num_images"] for part in parts)
    # Sidecars from before sampling counted every pixel.
    sampled = sum(part.get("sampled_images", part["num_images"]) for part in parts)
    pixels = sum(part.get("sampled_pixels", part["num_pixels"]) for part in parts)
    sums = [sum(part["pixel_sum"][c] for part in parts) for c in range(channels)]
    squares = [sum(part["pixel_sum_squares"][c] for part in parts) for c in range(channels)]
    heights: Counter = Counter()
    widths: Counter = Counter()
    for part in parts:
        heights.update({int(k): v for k, v in part["heights"].items()})
        widths.update({int(k): v for k, v in part["widths"].items()})
    merged = {
        "num_images": images,
        "num_pixels": sum(part["num_pixels"] for part in parts),
        # Exact integers up to the last step: N*sum(x^2) - sum(x)^2 is N^2 * variance.
        "pixel_mean": [s / pixels for s in sums] if pixels else None,
        "pixel_std": [math.sqrt(pixels * q - s * s) / pixels for s, q in zip(sums, squares, strict=True)]
        if pixels else None,
        "height": _summary(heights),
        "width": _summary(widths),
    }
    if sampled < images:
        merged["pixel_sample_images"] = sampled
    return merged


def pixel_sample_stride(num_examples: int, split: str = "train") -> int:
    """1 in how many passed-through images of a split of ``num_examples`` are decoded
    for the pixel statistics: all up to twice the split's sample (PIXEL_SAMPLE for
    train, HELD_OUT_PIXEL_SAMPLE for the others), then about that sample."""
    return max(1, num_examples // (PIXEL_SAMPLE if split == "train" else HELD_OUT_PIXEL_SAMPLE))


def in_pixel_sample(key: str, stride: int) -> bool:
    return stride == 1 or key_hash(key, "pixel-sample") % stride == 0


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
