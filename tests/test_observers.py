"""Conversion's observers (data/observers.py): statistics and the validation scan see
every record through one interface, share one decode, and an image that cannot be
decoded fails the shard only when no observer reports it."""

from __future__ import annotations

import numpy as np
import pytest

from data import images, shards, staging, stats, validation
from data.observers import StoredImage
from data.types import Features

FEATURES = Features(channels=3, class_names=("a", "b"))


def _png(seed: int) -> bytes:
    return images.png_from_array(np.random.default_rng(seed).integers(0, 256, (32, 32, 3), dtype=np.uint8))


def _broken_png() -> bytes:
    """A PNG whose header opens (so it is passed through) but whose pixels do not decode."""
    png = _png(1)
    return png[:60] + bytes(b ^ 0xFF for b in png[60:80]) + png[80:]


def _batch(*payloads: bytes) -> list[tuple[dict, bytes, int]]:
    return [({"k": f"k{i}", "t": staging.ENCODED, "s": [32, 32]}, payload, i % 2)
            for i, payload in enumerate(payloads)]


def test_a_stored_image_is_decoded_once_for_every_observer():
    image = StoredImage(*images.stored_image(_png(0), 3, 10**6))
    assert image.opened is not None and not image.is_jpeg  # passed through
    assert image.decoded() is image.decoded() and image.size == (32, 32)


def test_undecodable_image_fails_the_shard_without_a_scan():
    with pytest.raises(shards.ConversionError, match="'k1': cannot decode the stored image"):
        shards._convert_batch(_batch(_png(0), _broken_png()), FEATURES, 10**6, [stats.ImageStats(3)], "s")


def test_undecodable_image_is_reported_by_the_scan_and_left_out_of_statistics():
    image_stats, scan = stats.ImageStats(3), validation.ShardScan("s", "train", FEATURES)
    written = shards._convert_batch(_batch(_png(0), _broken_png()), FEATURES, 10**6, [image_stats, scan], "s")
    assert len(written) == 2
    assert image_stats.num_images == 1
    result = scan.to_json()
    assert result["keys"] == ["k0", "k1"] and result["exact"][1] is None
    assert result["undecodable"]["count"] == 1 and result["undecodable"]["examples"] == ["k1"]
