"""Converting one shard: staged records in, one TFRecord file out, atomically.

Conversion feeds every record it writes to a list of observers (data/observers.py): the
image statistics (data/stats.py) and, when asked for, the validation scan
(data/validation/scan.py). It knows nothing of what they compute.
"""

from __future__ import annotations

import hashlib
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from data import format as fmt
from data import images, staging, stats, validation
from data.atomic import atomic_path, write_json_atomic
from data.encoded_pngs import EncodedPngs, JpegHashes
from data.images import ImageError
from data.observers import ConversionObserver, StoredImage
from data.ownership import remove_partials
from data.types import Features


class ConversionError(ValueError):
    """An example that cannot be converted; names the dataset, shard and key."""


_LABEL_FEATURE = {"single_label": fmt.LABEL, "multi_label": fmt.MULTI_LABEL, "regression": fmt.TARGET}


# Records are converted in batches: a run of raw images of one size is encoded, hashed
# and counted as one stack (see images.pngs_from_stack), and written with one call.
_BATCH_RECORDS, _BATCH_BYTES = 256, 8 << 20


def _runs(batch: list[tuple[dict, bytes, object]]):
    """(start, stop) of the batch's runs: consecutive raw records of one size, or one
    encoded record."""
    start = 0
    while start < len(batch):
        header = batch[start][0]
        stop = start + 1
        if header["t"] == staging.RAW:
            while stop < len(batch) and batch[stop][0]["t"] == staging.RAW and batch[stop][0]["s"] == header["s"]:
                stop += 1
        yield start, stop
        start = stop


def _convert_batch(batch: list[tuple[dict, bytes, object]], features: Features, max_pixels: int,
                   observers: list[ConversionObserver], name: str,
                   encoded: EncodedPngs | None = None, hashed: JpegHashes | None = None) -> list[bytes]:
    """The serialized Examples of a batch of (header, payload, label), in order; every
    run of records is shown to every observer."""
    label_feature = _LABEL_FEATURE[features.task]
    # An image that cannot be decoded fails the shard unless an observer reports it.
    tolerant = any(observer.reports_undecodable for observer in observers)
    stored: list[bytes] = []
    for start, stop in _runs(batch):
        run = batch[start:stop]
        keys = [header["k"] for header, _, _ in run]
        labels = [{label_feature: label if isinstance(label, list) else [label]} for _, _, label in run]
        try:
            if run[0][0]["t"] == staging.RAW:
                stack = staging.raw_stack(run, features.channels)
                # The PNGs planning encoded (data/encoded_pngs.py), else encoded here.
                pngs = encoded.get([header["o"] for header, _, _ in run]) if encoded else None
                stored += pngs if pngs is not None else images.pngs_from_stack(stack)
                for observer in observers:
                    observer.observe_stack(keys, labels, stack)
            else:
                head = images.passed_jpeg(run[0][1], features.channels, max_pixels)
                image = (StoredImage(run[0][1], None, head, hashed.get(run[0][0]["o"]) if hashed else None)
                         if head is not None
                         else StoredImage(*images.stored_image(run[0][1], features.channels, max_pixels)))
                stored.append(image.data)
                for observer in observers:
                    try:
                        observer.observe_encoded(keys[0], labels[0], image)
                    except ImageError:
                        if not tolerant:
                            raise
        except (ImageError, staging.PlanError) as error:
            raise ConversionError(f"{name}: example {keys[0]!r}: {error}") from error
    return [
        fmt.serialize_image_example(image, header["k"].encode("utf-8"), label_feature, label)
        for image, (header, _, label) in zip(stored, batch, strict=True)
    ]


def _batches(records: staging.StagedRecords, rows, labels):
    """Lists of (header, payload, label) in row order, of bounded count and size."""
    batch: list[tuple[dict, bytes, object]] = []
    size = 0
    for (_, offset, length), label in zip(rows, labels, strict=True):
        header, payload = records.read(offset, length)
        header["o"] = int(offset)
        batch.append((header, payload, label))
        size += len(payload)
        if len(batch) >= _BATCH_RECORDS or size >= _BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


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
    ``scan_path``, the validation scan of the records (see data/validation/) is built
    while converting and written before the sidecar; the written file is read back for
    its framing (both CRCs of every record) before it is renamed into place.
    """
    plan = staging.read_plan(staging_dir)
    rows, labels = staging.shard_rows(staging_dir, plan, split, shard, count)
    for final in (output, sidecar, scan_path):
        if final is not None:
            remove_partials(final)  # a killed converter's, or nothing if one is live
    digest = hashlib.sha256()
    num_bytes = done = 0
    histogram: Counter = Counter()
    image_stats = stats.ImageStats(features.channels,
                                   stats.pixel_sample_stride(plan["splits"][split]["num_examples"], split))
    scan = validation.ShardScan(output.name, split, features, full_decode) if scan_path else None
    # The JPEG hashes planning's helpers computed serve the scan (never a full decode's).
    hashed = JpegHashes(staging_dir) if scan is not None and not full_decode else None
    observers: list[ConversionObserver] = [image_stats] + ([scan] if scan is not None else [])
    with (
        staging.StagedRecords(staging_dir / plan["records"]) as records,
        EncodedPngs(staging_dir) as encoded,
        atomic_path(output, writeback=True) as temporary,
    ):
        with open(temporary, "wb", buffering=0) as out, warnings.catch_warnings():
            # Images were accepted under the build's own pixel limit; PIL's warning is noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            for batch in _batches(records, rows, labels):
                data = b"".join(map(fmt.frame_record, _convert_batch(
                    batch, features, max_pixels, observers, output.name, encoded, hashed)))
                out.write(data)
                digest.update(data)
                num_bytes += len(data)
                if features.task == "multi_label":
                    histogram.update(value for _, _, label in batch for value in label)
                elif features.task != "regression":
                    histogram.update(label for _, _, label in batch)
                done += len(batch)
                progress(done, len(rows))
            progress(len(rows), len(rows))
        if scan is not None:
            _check_framing(temporary, len(rows), output.name)
            write_json_atomic(scan_path, scan.to_json(), compact=True)
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


def describe_shard(path) -> dict:
    """Rehash and recount a shard file (a path, or a URL streamed from object storage) in
    one read; ``num_examples`` is an error string if unreadable."""
    from data.location import open_file

    digest = hashlib.sha256()
    count: int | str = 0
    with open_file(path) as raw:
        stream = _Hashing(raw, digest)
        try:
            for _ in fmt.iter_records(stream):
                count += 1
        except fmt.CorruptRecordError as error:
            count = f"unreadable ({error})"
        while stream.read(1 << 20):
            pass  # a corrupt record stops the count, not the digest
    return {
        "file": str(path).replace("\\", "/").rsplit("/", 1)[-1],
        "num_examples": count,
        "num_bytes": stream.size,
        "sha256": digest.hexdigest(),
    }


class _Hashing:
    """A read-only stream that feeds every byte read to ``digest`` and counts them."""

    def __init__(self, raw, digest):
        self.raw, self.digest, self.size = raw, digest, 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data
