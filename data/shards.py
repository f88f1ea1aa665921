"""Converting one shard: staged records in, one TFRecord file out, atomically."""

from __future__ import annotations

import hashlib
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from data import format as fmt
from data import images, staging, stats, validation
from data.atomic import atomic_path, remove_partials, write_json_atomic
from data.images import ImageError
from data.types import Features


class ConversionError(ValueError):
    """An example that cannot be converted; names the dataset, shard and key."""


_LABEL_FEATURE = {"single_label": fmt.LABEL, "multi_label": fmt.MULTI_LABEL, "regression": fmt.TARGET}


def example_bytes(header: dict, payload: bytes, label, features: Features, max_pixels: int,
                  image_stats: stats.ImageStats | None = None,
                  scan: validation.ShardScan | None = None) -> bytes:
    """The serialized Example of one staged record; adds its image to ``image_stats`` and
    the record to ``scan``, from the pixels at hand or from one decode of the stored image."""
    pixels = decoded = None
    if header["t"] == staging.RAW:
        pixels = staging.raw_pixels(header, payload, features.channels)
        image = images.png_from_array(pixels)
        if image_stats is not None:
            image_stats.add_pixels(pixels)
    else:
        image = images.stored_bytes(payload, features.channels, max_pixels)
        if image_stats is not None or scan is not None:
            try:
                decoded = validation.decode(image)
            except Exception as error:
                if scan is None:
                    raise ImageError(f"cannot decode the stored image: {error}") from error
            if image_stats is not None and decoded is not None:
                image_stats.add_decoded(decoded)
    label_feature = _LABEL_FEATURE[features.task]
    if scan is not None:
        scan.add(header["k"], {label_feature: label if isinstance(label, list) else [label]},
                 [image], pixels=pixels, decoded=decoded)
    return fmt.serialize_example({
        fmt.IMAGE: image,
        fmt.KEY: header["k"].encode("utf-8"),
        label_feature: label,
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
    scan_path: Path | None = None,
    full_decode: bool = False,
) -> dict:
    """Write shard ``shard`` of ``count`` of ``split`` and its sidecar; return the entry.

    The sidecar (count, size, sha256, label histogram) is written just before the shard
    is renamed into place, so a shard under its final name always has one. With
    ``scan_path``, the validation scan of the records (see data/validation.py) is built
    while converting and written before the sidecar; the written file is read back for
    its framing (both CRCs of every record) before it is renamed into place.
    """
    plan = staging.read_plan(staging_dir)
    rows, labels = staging.shard_rows(staging_dir, plan, split, shard, count)
    remove_partials(output)
    remove_partials(sidecar)
    digest = hashlib.sha256()
    num_bytes = 0
    histogram: Counter = Counter()
    image_stats = stats.ImageStats(features.channels)
    scan = validation.ShardScan(output.name, split, features, full_decode) if scan_path else None
    with (
        staging.StagedRecords(staging_dir / plan["records"]) as records,
        atomic_path(output) as temporary,
    ):
        with open(temporary, "wb", buffering=1 << 20) as out, warnings.catch_warnings():
            # Images were accepted under the build's own pixel limit; PIL's warning is noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            for done, ((_, offset, length), label) in enumerate(zip(rows, labels, strict=True), 1):
                header, payload = records.read(offset, length)
                try:
                    data = fmt.frame_record(
                        example_bytes(header, payload, label, features, max_pixels, image_stats, scan))
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
        if scan is not None:
            _check_framing(temporary, len(rows), output.name)
            write_json_atomic(scan_path, scan.to_json())
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


def _check_framing(path: Path, expected: int, name: str) -> None:
    """Read the written file back: every record's CRCs, and the count."""
    found = 0
    with open(path, "rb", buffering=1 << 20) as stream:
        try:
            for _ in fmt.iter_records(stream):
                found += 1
        except fmt.CorruptRecordError as error:
            raise ConversionError(f"{name}: the file read back is corrupt after {found} records: {error}") from error
    if found != expected:
        raise ConversionError(f"{name}: {found} records read back, {expected} written")


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
