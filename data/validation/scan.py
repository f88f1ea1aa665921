"""Scanning one shard: every record checked, reduced to a small typed record.

A scan checks that each record parses, that its image decodes with the declared channels
and 8-bit depth (hashing.py) and that its label is in range (regression: the target is
finite). It keeps per record only the key, the exact hash and the two dHashes, plus a
label histogram and per-problem counts with examples: ``ShardScanFile``, which the
caller writes as JSON and ``merging.merge`` reads back.

``ShardScan`` builds one record by record: conversion feeds it as one of its observers
(data/observers.py) while writing, and ``scan_shard`` feeds it from a file read back;
both give the same scan.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from data import format as fmt
from data.observers import StoredImage
from data.types import REGRESSION, SINGLE_LABEL, Features
from data.validation.hashing import (
    InvalidImage,
    has_dhash,
    image_hashes,
    pixel_hash,
    stacked_dhashes,
)
from data.validation.section import ProblemEntry

# Bumped when a scan's content changes: the caller keeps scans under this version, so a
# rebuild reads its shards back instead of merging scans of an older kind.
SCAN_VERSION = 3  # 3: JPEG dHashes from luma at 1/8 scale
# Records whose key cannot be read are named "<shard>#<record index>".
RECORD_PROBLEMS = ("undecodable", "wrong_channels", "label_out_of_range")
NUM_EXAMPLES = 5


def problem_entry(count: int, examples: list[tuple[str, str]]) -> ProblemEntry:
    """The entry of ``count`` problems, with the NUM_EXAMPLES smallest (key, reason)s."""
    chosen = sorted(examples)[:NUM_EXAMPLES]
    return {"count": count, "examples": [k for k, _ in chosen], "reasons": [r for _, r in chosen]}


@dataclass
class ScanSummary:
    """A scan without its per-record lists: what merging keeps of each shard."""
    shard: str
    split: str
    num_records: int
    label_counts: list[int]  # per class, the records carrying it (empty for regression)
    small_images: int  # valid images too small for a dHash
    smallest: list[int] | None  # the smallest [width, height] seen
    problems: dict[str, ProblemEntry]  # by RECORD_PROBLEMS name


@dataclass
class ShardScanFile:
    """The scan of one shard, as written to its JSON file (``to_json``, flat).

    ``keys``, ``exact`` (16 hex digits), ``dhash`` and ``dhash_v`` (ints: horizontal and
    vertical dHashes) are parallel lists over the records whose key could be read; hashes
    are None when the image is invalid, the dHashes also when it is smaller than the
    grid. A scan without vertical hashes (older, or made by hand) has ``dhash_v`` None.
    """
    summary: ScanSummary
    keys: list[str] = field(default_factory=list)
    exact: list[str | None] = field(default_factory=list)
    dhash: list[int | None] = field(default_factory=list)
    dhash_v: list[int | None] | None = None

    def to_json(self) -> dict:
        s = self.summary
        return {
            "shard": s.shard, "split": s.split, "num_records": s.num_records, "keys": self.keys,
            "exact": self.exact, "dhash": self.dhash, "dhash_v": self.dhash_v,
            "label_counts": s.label_counts, "version": SCAN_VERSION, "small_images": s.small_images,
            "smallest": s.smallest, **s.problems,
        }

    @classmethod
    def from_json(cls, data: dict) -> ShardScanFile:
        summary = ScanSummary(
            shard=data["shard"], split=data["split"], num_records=data["num_records"],
            label_counts=data["label_counts"], small_images=data.get("small_images", 0),
            smallest=data.get("smallest"), problems={name: data[name] for name in RECORD_PROBLEMS})
        return cls(summary, data["keys"], data["exact"], data["dhash"], data.get("dhash_v"))


class _Problems:
    """Counts per problem and the examples with the smallest keys (order-independent)."""

    def __init__(self):
        self.counts = dict.fromkeys(RECORD_PROBLEMS, 0)
        self.examples: dict[str, list[tuple[str, str]]] = {name: [] for name in RECORD_PROBLEMS}

    def add(self, problem: str, key: str, reason: str) -> None:
        self.counts[problem] += 1
        examples = self.examples[problem]
        examples.append((key, reason))
        if len(examples) > 4 * NUM_EXAMPLES:
            examples.sort()
            del examples[NUM_EXAMPLES:]

    def entries(self) -> dict[str, ProblemEntry]:
        return {name: problem_entry(self.counts[name], self.examples[name]) for name in RECORD_PROBLEMS}


def _label_problem(parsed: dict, features: Features, counts: list[int]) -> str | None:
    """Why the record's label is invalid, or None (and the histogram is updated)."""
    task = features.task
    if task == REGRESSION:
        values = parsed.get(fmt.TARGET)
        if not values or len(values) != 1:
            return f"{fmt.TARGET} has {len(values or [])} values, expected 1"
        return None if math.isfinite(values[0]) else f"{fmt.TARGET} is {values[0]}"
    name = fmt.LABEL if task == SINGLE_LABEL else fmt.MULTI_LABEL
    values = parsed.get(name)
    if values is None:
        return f"no {name} feature"
    if task == SINGLE_LABEL and len(values) != 1:
        return f"{name} has {len(values)} values, expected 1"
    bad = [v for v in values if not isinstance(v, int) or not 0 <= v < len(counts)]
    if bad:
        return f"{name} {bad[0]!r} not in [0, {len(counts)})"
    for value in set(values):
        counts[value] += 1
    return None


class ShardScan:
    """The scan of one shard, built record by record (see the module docstring).

    As a conversion observer it hashes raw images from the pixels at hand (the PNG is
    lossless, so hashing the pixels equals hashing the decoded PNG) and encoded ones
    from the stored bytes, sharing conversion's decoding of a PNG.
    """

    reports_undecodable = True

    def __init__(self, name: str, split: str, features: Features, full_decode: bool = False):
        self.name, self.split, self.features, self.full_decode = name, split, features, full_decode
        self.mode = "L" if features.channels == 1 else "RGB"
        self.problems = _Problems()
        self.label_counts = [0] * features.num_classes
        self.keys: list[str] = []
        self.exact: list[str | None] = []
        self.dhashes: list[int | None] = []
        self.vertical: list[int | None] = []
        self.num_records = 0
        # Valid images too small for a dHash, and the smallest size seen (width, height).
        self.small_images = 0
        self.smallest: tuple[int, int] | None = None

    def observe_stack(self, keys: list[str], labels: list[dict], stack: np.ndarray) -> None:
        self.add_stack(keys, labels, stack)

    def observe_encoded(self, key: str, labels: dict, image: StoredImage) -> None:
        if image.planned_hashes is not None and not self.full_decode:
            # What ``add`` would find (hashing.jpeg_hashes, run by a planning helper).
            self._add_record(key, labels)
            self.exact[-1], hashes, size = image.planned_hashes
            if hashes is not None:
                self.dhashes[-1], self.vertical[-1] = hashes
            self._sized(*size)
            return
        decoded = None
        if not image.is_jpeg:  # a JPEG is hashed at reduced scale, from its bytes
            try:
                decoded = image.decoded()
            except Exception:
                decoded = None  # ``add`` decodes it again and reports why it fails
        self.add(key, labels, [image.data], decoded=decoded, header=image.header)

    def unreadable(self, reason: str, framed: bool = True) -> None:
        """A record whose key cannot be read, named "<shard>#<record index>"; one whose
        framing is lost (``framed=False``) is not counted as a record."""
        self.problems.add("undecodable", f"{self.name}#{self.num_records}", reason)
        self.num_records += framed

    def add(self, key: str, labels: dict, images: list[bytes], decoded: Image.Image | None = None,
            header=None) -> None:
        """One record: ``labels`` maps label feature names to their values (as parsed);
        ``decoded`` is the decoding of a passed-through image, when at hand, ``header`` a
        passed-through JPEG's (data/jpeg.py)."""
        self._add_record(key, labels)
        try:
            if len(images) != 1:
                raise InvalidImage("undecodable", f"{len(images)} images, expected 1")
            self.exact[-1], hashes, size = image_hashes(images[0], self.mode, self.full_decode, decoded, header)
            if hashes is not None:
                self.dhashes[-1], self.vertical[-1] = hashes
            self._sized(*size)
        except InvalidImage as error:
            self.problems.add(error.problem, key, str(error))
        except Exception as error:
            self.problems.add("undecodable", key, f"{type(error).__name__}: {error}")

    def add_stack(self, keys: list[str], labels: list[dict], stack: np.ndarray) -> None:
        """Records whose PNGs conversion wrote from ``stack``, their pixels, (N, H, W) or
        (N, H, W, 3): all their dHashes come from one resize."""
        count, height, width = stack.shape[:3]
        kind = "L" if stack.ndim == 3 else "RGB"
        for key, record_labels in zip(keys, labels, strict=True):
            self._add_record(key, record_labels)
        if kind != self.mode:
            for key in keys:
                self.problems.add("wrong_channels", key, f"mode {kind}, expected {self.mode}")
            return
        pixels = np.ascontiguousarray(stack).reshape(count, -1)
        self.exact[-count:] = [pixel_hash(kind, width, height, image.data) for image in pixels]
        self._sized(width, height, count)
        if has_dhash(width, height):
            self.dhashes[-count:], self.vertical[-count:] = stacked_dhashes(stack)

    def _sized(self, width: int, height: int, count: int = 1) -> None:
        if not has_dhash(width, height):
            self.small_images += count
        if self.smallest is None or (width * height, width) < (self.smallest[0] * self.smallest[1],
                                                               self.smallest[0]):
            self.smallest = (width, height)

    def _add_record(self, key: str, labels: dict) -> None:
        """The record's key and label checks, its hashes None until they are known."""
        self.num_records += 1
        self.keys.append(key)
        label_problem = _label_problem(labels, self.features, self.label_counts)
        if label_problem:
            self.problems.add("label_out_of_range", key, label_problem)
        self.exact.append(None)
        self.dhashes.append(None)
        self.vertical.append(None)

    def result(self) -> ShardScanFile:
        summary = ScanSummary(self.name, self.split, self.num_records, self.label_counts, self.small_images,
                              list(self.smallest) if self.smallest else None, self.problems.entries())
        return ShardScanFile(summary, self.keys, self.exact, self.dhashes, self.vertical)

    def to_json(self) -> dict:
        return self.result().to_json()


def scan_shard(path: Path, split: str, features: Features, full_decode: bool = False) -> dict:
    """Read one shard back and check every record; return the scan as JSON
    (``ShardScanFile.to_json``)."""
    path = Path(path)
    scan = ShardScan(path.name, split, features, full_decode)
    with open(path, "rb") as stream, warnings.catch_warnings():
        # The images were accepted under the build's own pixel limit; PIL's warning is noise.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        records = fmt.iter_records(stream)
        while True:
            try:
                record = next(records)
            except StopIteration:
                break
            except fmt.CorruptRecordError as error:
                # The framing is lost: nothing after this point can be read.
                scan.unreadable(f"corrupt shard: {error}", framed=False)
                break
            try:
                parsed = fmt.parse_example(record)
                key = parsed[fmt.KEY][0].decode("utf-8")
            except Exception as error:
                scan.unreadable(f"bad example: {error!r}")
                continue
            scan.add(key, parsed, parsed.get(fmt.IMAGE) or [])
    return scan.to_json()
