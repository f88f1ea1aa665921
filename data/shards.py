"""Converting one shard: staged records in, one TFRecord file out, atomically."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from data import format as fmt
from data import images, staging, stats
from data.atomic import atomic_path, remove_partials, write_json_atomic
from data.images import ImageError
from data.types import Features


class ConversionError(ValueError):
    """An example that cannot be converted; names the dataset, shard and key."""


_LABEL_FEATURE = {"single_label": fmt.LABEL, "multi_label": fmt.MULTI_LABEL, "regression": fmt.TARGET}


def example_bytes(header: dict, payload: bytes, label, features: Features, max_pixels: int,
                  image_stats: stats.ImageStats | None = None) -> bytes:
    """The serialized Example of one staged record; adds its image to ``image_stats``."""
    if header["t"] == staging.RAW:
        pixels = staging.raw_pixels(header, payload, features.channels)
        image = images.png_from_array(pixels)
        if image_stats is not None:
            image_stats.add_pixels(pixels)  # the pixels are at hand: no decode
    else:
        image = images.stored_bytes(payload, features.channels, max_pixels)
        if image_stats is not None:
            image_stats.add_image(image)
    return fmt.serialize_example({
        fmt.IMAGE: image,
        fmt.KEY: header["k"].encode("utf-8"),
        _LABEL_FEATURE[features.task]: label,
    })


def convert_shard(
    staging_dir: Path,
    split: str,
    shard: int,
    count: int,
    features: Features,
    output: Path,
    sidecar: Path,
    max_pixels: int,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> dict:
    """Write shard ``shard`` of ``count`` of ``split`` and its sidecar; return the entry.

    The sidecar (count, size, sha256, label histogram) is written just before the shard
    is renamed into place, so a shard under its final name always has one.
    """
    plan = staging.read_plan(staging_dir)
    rows, labels = staging.shard_rows(staging_dir, plan, split, shard, count)
    remove_partials(output)
    remove_partials(sidecar)
    digest = hashlib.sha256()
    num_bytes = 0
    histogram: Counter = Counter()
    image_stats = stats.ImageStats(features.channels)
    with (
        staging.StagedRecords(staging_dir / plan["records"]) as records,
        atomic_path(output) as temporary,
        open(temporary, "wb") as out,
    ):
        for done, ((_, offset, length), label) in enumerate(zip(rows, labels, strict=True), 1):
            header, payload = records.read(offset, length)
            try:
                data = fmt.frame_record(
                    example_bytes(header, payload, label, features, max_pixels, image_stats))
            except ImageError as error:
                raise ConversionError(
                    f"{output.name}: example {header['k']!r}: {error}"
                ) from error
            out.write(data)
            digest.update(data)
            num_bytes += len(data)
            if features.task != "regression":
                histogram.update(label if isinstance(label, list) else [label])
            if done % 500 == 0:
                progress(done, len(rows))
        progress(len(rows), len(rows))
        out.flush()
        entry = {
            "file": output.name,
            "num_examples": len(rows),
            "num_bytes": num_bytes,
            "sha256": digest.hexdigest(),
            "label_counts": {str(label): n for label, n in sorted(histogram.items())},
            "image_stats": image_stats.to_json(),
        }
        write_json_atomic(sidecar, entry)
    return entry


def describe_shard(path: Path) -> dict:
    """Rehash and recount a shard file; ``num_examples`` is an error string if unreadable."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    count: int | str = 0
    with open(path, "rb") as stream:
        try:
            for _ in fmt.iter_records(stream):
                count += 1
        except fmt.CorruptRecordError as error:
            count = f"unreadable ({error})"
    return {
        "file": path.name,
        "num_examples": count,
        "num_bytes": path.stat().st_size,
        "sha256": digest.hexdigest(),
    }
