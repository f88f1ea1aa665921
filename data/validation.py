"""Validating a built dataset: per-shard scans, merged into the ``validation`` section.

A scan (``scan_shard``) reads one shard and checks every record: it parses, its image
decodes with the declared channels and 8-bit depth, its label is in range (regression:
the target is finite). It keeps per record only the key, a 64-bit exact hash and two
64-bit difference hashes (null for an image smaller than their grid), plus a label
histogram; the caller writes it as JSON. ``merge`` combines the scans of all shards into
the ``validation`` section of dataset_info.json: duplicate keys, keys in several splits,
classes missing from train, exact duplicate images within and across splits, and groups
of near-duplicates. ``passed`` decides whether the build fails and writes the summary
lines.

Hashes:

- exact: the first 64 bits of a SHA-1. For PNG, of the pixels (with mode and size), so
  two encodings of the same pixels match. For JPEG, of the encoded bytes (identical
  files), unless ``full_decode=True`` asks for the pixels: a re-encoded JPEG differs in
  its pixels anyway, which is what the near-duplicate search is for. Every valid image
  gets one, whatever its size: exact duplicates are checked everywhere.
- dHash: greyscale, box-resized to 9x8, one bit per pair of horizontally adjacent
  cells (1 where the right one is brighter); and its vertical twin (8x9, 1 where the
  lower cell is brighter), which only confirms candidates: two unrelated smooth images
  (sky, plain gradients) often agree on the horizontal bits but rarely on both. A
  JPEG's greyscale is its luma, decoded at the smallest DCT scale that keeps 72x72
  (unless ``full_decode``). Only images at least as large as the grid (``DHASH_GRID``,
  width >= 9 and height >= 8) get one: a smaller image would be enlarged, and the 64
  bits of a 3x3 patch compare a handful of pixel values repeated, so unrelated patches
  match by the hundred thousand. Such images are checked for exact duplicates only;
  the section says so per split (``near_duplicates.method``) and why.

Near-duplicates (horizontal dHashes within Hamming distance d, vertical ones within 2d:
on photo-like scenes this loses about 1% of the planted copies the horizontal hash
finds, and drops over 99% of the unrelated pairs of smooth images it would report; see
bench/validation.py) are grouped, not listed in pairs: images are nodes, such a pair an
edge, and a group is a connected component (union-find). Candidates come
from multi-index hashing: the 64 bits are cut into d + 1 bands, and by the pigeonhole
principle two hashes within distance d agree exactly on at least one band. For each band
the images are sorted by (band, hash rotated so that the next band leads), and each is
compared with the next images of its bucket (same band value) only, at most
``BUCKET_CAP`` of them; close pairs are joined by union-find. A bucket of at most
``BUCKET_CAP + 1`` images is thus searched completely; in a larger one (many similar
images) each image still meets its ``BUCKET_CAP`` nearest neighbours in hash order, so
the work is at most (d + 1) * ``BUCKET_CAP`` comparisons per image, linear in the
dataset's size, and the number of images in capped buckets is reported
(``search.capped_records``). Hashes with at most d bits set, or at most d bits clear
(blank images, plain horizontal gradients), say nothing about the picture and would all
match each other: they are left out of the search and counted.

Reporting is capped, totals are not: every group is counted (per split pair, held-out
images with a near-duplicate in train), and the ``NUM_GROUPS`` largest are listed with
up to ``NUM_EXAMPLES`` keys per split.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from data import format as fmt
from data.decoding import parse_example
from data.images import JPEG_SIGNATURE, PNG_SIGNATURE
from data.types import REGRESSION, SINGLE_LABEL, Features

NUM_EXAMPLES = 5
HELD_OUT_SPLITS = ("test", "dev-test", "validation")
NEAR_DUPLICATE_DISTANCE = 4
# The dHash's grid (width, height): smaller images get no dHash, exact checks only.
DHASH_GRID = (9, 8)
# Each image is compared with at most this many others of its bucket, per band.
BUCKET_CAP = 64
# Groups of near-duplicates listed in the section (all are counted).
NUM_GROUPS = 10
# Bumped when a scan's content changes: the caller keeps scans under this version, so a
# rebuild reads its shards back instead of merging scans of an older kind.
SCAN_VERSION = 2
# Records whose key cannot be read are named "<shard>#<record index>".
RECORD_PROBLEMS = ("undecodable", "wrong_channels", "label_out_of_range")
# About 10 int64 arrays of this length live at once: 80 MB, whatever the dataset size.
_CANDIDATES_PER_CHUNK = 1 << 20


# --- Scanning one shard -----------------------------------------------------------


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

    def to_json(self) -> dict:
        return {name: _problem_entry(self.counts[name], self.examples[name]) for name in RECORD_PROBLEMS}


def _problem_entry(count: int, examples: list[tuple[str, str]]) -> dict:
    chosen = sorted(examples)[:NUM_EXAMPLES]
    return {"count": count, "examples": [k for k, _ in chosen], "reasons": [r for _, r in chosen]}


def _sha64(*parts: bytes) -> str:
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part)
    return digest.hexdigest()[:16]


# The least size a JPEG is decoded at for its dHashes: 8x the 9x8 and 8x9 grids.
_DRAFT_SIZE = (72, 72)


def _dhash(image: Image.Image) -> tuple[int, int]:
    horizontal, vertical = _dhashes(image, 1)
    return horizontal[0], vertical[0]


def _dhashes(image: Image.Image, count: int) -> tuple[list[int], list[int]]:
    """dHashes of ``count`` equal-sized images stacked vertically in ``image``: the
    horizontal ones (9x8 grid, right cell brighter) and the vertical ones (8x9 grid,
    lower cell brighter), which confirm the candidates the horizontal ones find.

    The box resize is done as two explicit passes, horizontal then vertical: then each
    output row of the stack depends on its own image's rows only, so one resize of a
    stack gives exactly the per-image values (PIL's one-call resize picks its own pass
    order, which depends on the sizes). About 10x faster per small image than one
    resize each.
    """
    grey = image if image.mode == "L" else image.convert("L")
    width, height = grey.size
    small = grey.resize((9, height), Image.Resampling.BOX).resize((9, 8 * count), Image.Resampling.BOX)
    cells = np.frombuffer(small.tobytes(), np.uint8).reshape(count, 8, 9)
    horizontal = np.packbits((cells[:, :, 1:] > cells[:, :, :-1]).reshape(count, 64), axis=1)
    small = grey.resize((8, height), Image.Resampling.BOX).resize((8, 9 * count), Image.Resampling.BOX)
    cells = np.frombuffer(small.tobytes(), np.uint8).reshape(count, 9, 8)
    vertical = np.packbits((cells[:, 1:, :] > cells[:, :-1, :]).reshape(count, 64), axis=1)
    return horizontal.view(">u8").ravel().tolist(), vertical.view(">u8").ravel().tolist()


def decode(data: bytes) -> Image.Image:
    """Decode stored image bytes fully (conversion decodes a passed-through image once,
    for statistics and hashes alike)."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def has_dhash(width: int, height: int) -> bool:
    """Whether an image of this size gets a dHash (it is at least as large as the grid)."""
    return width >= DHASH_GRID[0] and height >= DHASH_GRID[1]


def _image_hashes(data: bytes, mode: str, full_decode: bool, image: Image.Image | None = None
                  ) -> tuple[str, tuple[int, int] | None, tuple[int, int]]:
    """(exact hash, (horizontal, vertical) dHashes or None when the image is smaller
    than the grid, size) of a stored image, ``image`` its decoding when at hand; raises
    _Invalid when it is not valid."""
    is_png = data.startswith(PNG_SIGNATURE)
    if not is_png and not data.startswith(JPEG_SIGNATURE):
        raise _Invalid("undecodable", f"neither PNG nor JPEG (starts {data[:8].hex()})")
    reduced = not is_png and not full_decode and image is None
    if image is None:
        image = Image.open(io.BytesIO(data))
    if image.format not in ("PNG", "JPEG"):
        raise _Invalid("undecodable", f"{image.format} data behind a PNG/JPEG signature")
    if image.mode != mode:
        raise _Invalid("wrong_channels", f"mode {image.mode}, expected {mode}")
    # PIL opens 16-bit RGB PNGs as "RGB"; the IHDR bit depth (byte 24) tells.
    if is_png and data[24:25] != b"\x08":
        raise _Invalid("wrong_channels", f"PNG bit depth {data[24]}, expected 8")
    size = image.size
    if is_png or full_decode:
        image.load()
        header = f"{image.mode} {image.size[0]}x{image.size[1]}".encode()
        return _sha64(header, image.tobytes()), _dhash(image) if has_dhash(*size) else None, size
    if not has_dhash(*size):
        return _sha64(data), None, size
    if reduced:
        # The JPEG's own reduced-scale decoding of its luma (no chroma, a fraction of
        # the inverse DCTs), kept at 8x the grids or more so the box averages match a
        # full decode's within a bit or two.
        width, height = image.size
        image.draft("L", (min(width, _DRAFT_SIZE[0]), min(height, _DRAFT_SIZE[1])))
        image.load()
    return _sha64(data), _dhash(image), size


class _Invalid(ValueError):
    def __init__(self, problem: str, reason: str):
        super().__init__(reason)
        self.problem = problem


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


def _stacked_dhashes(stack: np.ndarray) -> tuple[list[int], list[int]]:
    """dHashes of a stack of equal-shaped uint8 images, (N, H, W) or (N, H, W, 3), in one
    resize."""
    count, height, width = stack.shape[:3]
    kind = "L" if stack.ndim == 3 else "RGB"
    values = np.ascontiguousarray(stack).reshape(-1)
    image = Image.frombuffer(kind, (width, height * count), values, "raw", kind, 0, 1)
    return _dhashes(image, count)


class ShardScan:
    """The scan of one shard, built record by record (see ``scan_shard``).

    Conversion feeds it as it writes, from the pixels at hand where it encoded them
    itself (raw sources: the PNG is lossless, so hashing the pixels equals hashing the
    decoded PNG) and from the stored bytes otherwise; ``scan_shard`` feeds it from a
    file read back.
    """

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

    def _sized(self, width: int, height: int, count: int = 1) -> None:
        if not has_dhash(width, height):
            self.small_images += count
        if self.smallest is None or (width * height, width) < (self.smallest[0] * self.smallest[1],
                                                               self.smallest[0]):
            self.smallest = (width, height)

    def unreadable(self, reason: str, framed: bool = True) -> None:
        """A record whose key cannot be read, named "<shard>#<record index>"; one whose
        framing is lost (``framed=False``) is not counted as a record."""
        self.problems.add("undecodable", f"{self.name}#{self.num_records}", reason)
        self.num_records += framed

    def add(self, key: str, labels: dict, images: list[bytes], decoded: Image.Image | None = None) -> None:
        """One record: ``labels`` maps label feature names to their values (as parsed);
        ``decoded`` is the decoding of a passed-through image, when at hand."""
        self._add_record(key, labels)
        try:
            if len(images) != 1:
                raise _Invalid("undecodable", f"{len(images)} images, expected 1")
            self.exact[-1], hashes, size = _image_hashes(images[0], self.mode, self.full_decode, decoded)
            if hashes is not None:
                self.dhashes[-1], self.vertical[-1] = hashes
            self._sized(*size)
        except _Invalid as error:
            self.problems.add(error.problem, key, str(error))
        except Exception as error:
            self.problems.add("undecodable", key, f"{type(error).__name__}: {error}")

    def add_stack(self, keys: list[str], labels: list[dict], stack: np.ndarray) -> None:
        """Records whose PNGs conversion wrote from ``stack``, their pixels, (N, H, W) or
        (N, H, W, 3): the PNG is lossless, so hashing these pixels equals hashing the
        decoded PNG, and all their dHashes come from one resize."""
        count, height, width = stack.shape[:3]
        kind = "L" if stack.ndim == 3 else "RGB"
        for key, record_labels in zip(keys, labels, strict=True):
            self._add_record(key, record_labels)
        if kind != self.mode:
            for key in keys:
                self.problems.add("wrong_channels", key, f"mode {kind}, expected {self.mode}")
            return
        header = f"{kind} {width}x{height}".encode()
        pixels = np.ascontiguousarray(stack).reshape(count, -1)
        self.exact[-count:] = [_sha64(header, image.data) for image in pixels]
        self._sized(width, height, count)
        if has_dhash(width, height):
            self.dhashes[-count:], self.vertical[-count:] = _stacked_dhashes(stack)

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

    def to_json(self) -> dict:
        return {
            "shard": self.name,
            "split": self.split,
            "num_records": self.num_records,
            "keys": self.keys,
            "exact": self.exact,
            "dhash": self.dhashes,
            "dhash_v": self.vertical,
            "label_counts": self.label_counts,
            "version": SCAN_VERSION,
            "small_images": self.small_images,
            "smallest": list(self.smallest) if self.smallest else None,
            **self.problems.to_json(),
        }


def scan_shard(path: Path, split: str, features: Features, full_decode: bool = False) -> dict:
    """Read one shard back and check every record; return the JSON-serializable scan.

    Returns ``{"shard", "split", "num_records", "keys", "exact", "dhash", "dhash_v",
    "label_counts", "version", "small_images", "smallest", "undecodable",
    "wrong_channels", "label_out_of_range"}``: ``keys``, ``exact`` (16 hex digits),
    ``dhash`` and ``dhash_v`` (ints: the horizontal and vertical dHashes) are parallel
    lists over the records whose key could be read, hashes null when the image is
    invalid, the dHashes also null when the image is smaller than ``DHASH_GRID``
    (``small_images`` counts those, ``smallest`` is the smallest [width, height] seen);
    ``label_counts`` counts, per class, the records carrying it (empty for regression);
    each problem is ``{"count", "examples", "reasons"}`` with up to five examples, the
    smallest keys.
    """
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
                parsed = parse_example(record)
                key = parsed[fmt.KEY][0].decode("utf-8")
            except Exception as error:
                scan.unreadable(f"bad example: {error!r}")
                continue
            scan.add(key, parsed, parsed.get(fmt.IMAGE) or [])
    return scan.to_json()


# --- Merging the scans ------------------------------------------------------------


_PER_RECORD = ("keys", "exact", "dhash", "dhash_v")


class _Records:
    """All scanned records as parallel arrays: split, hashes, where the record's key is.

    Scans are loaded one at a time and reduced to fixed-size columns (about 40 bytes a
    record) plus a summary without the per-record lists, so merging a dataset of any
    size holds no key strings; the few keys a report names are looked up afterwards
    (``keys_of``), one more pass over the scans that hold them.
    """

    def __init__(self, scans: dict[str, list[dict | Path]]):
        self.splits = sorted(scans)
        self.sources: list[dict | Path] = []
        self.summaries: dict[str, list[dict]] = {}
        columns: dict[str, list[np.ndarray]] = {name: [] for name in
                                                ("split_id", "exact", "dhash", "dhash_v", "valid", "hashed", "key_hash",
                                                 "key_order", "source", "position")}
        for split_id, split in enumerate(self.splits):
            for scan in scans[split]:
                data = _load(scan)
                count = len(data["keys"])
                columns["split_id"].append(np.full(count, split_id, dtype=np.int8))
                columns["valid"].append(np.array([h is not None for h in data["exact"]], dtype=bool))
                columns["exact"].append(np.array([int(h, 16) if h is not None else 0 for h in data["exact"]],
                                                 dtype=np.uint64))
                columns["dhash"].append(np.array([h if h is not None else 0 for h in data["dhash"]],
                                                 dtype=np.uint64))
                # A scan without vertical hashes (older, or made by hand) confirms nothing away.
                vertical = data.get("dhash_v") or [None] * count
                columns["dhash_v"].append(np.array([h if h is not None else 0 for h in vertical], dtype=np.uint64))
                columns["hashed"].append(np.array([h is not None for h in data["dhash"]], dtype=bool))
                # A hash of the key that is the same in every process: the canonical order
                # of the records, so the search does not depend on the order of the shards.
                columns["key_order"].append(np.array(
                    [int.from_bytes(hashlib.blake2b(k.encode(), digest_size=8).digest(), "big") for k in data["keys"]],
                    dtype=np.uint64))
                # Python's string hash: equal keys hash equal within this process; equal
                # hashes are confirmed on the keys themselves.
                columns["key_hash"].append(np.array([hash(k) for k in data["keys"]], dtype=np.int64))
                columns["source"].append(np.full(count, len(self.sources), dtype=np.int32))
                columns["position"].append(np.arange(count, dtype=np.int32))
                self.sources.append(scan)
                self.summaries.setdefault(split, []).append(
                    {name: value for name, value in data.items() if name not in _PER_RECORD})
        empty = {"split_id": np.int8, "exact": np.uint64, "dhash": np.uint64, "dhash_v": np.uint64,
                 "valid": bool, "hashed": bool,
                 "key_hash": np.int64, "key_order": np.uint64, "source": np.int32, "position": np.int32}
        for name, parts in columns.items():
            setattr(self, name, np.concatenate(parts) if parts else np.zeros(0, empty[name]))

    def keys_of(self, indices) -> dict[int, str]:
        """The keys of the records at ``indices``."""
        wanted: dict[int, list[int]] = defaultdict(list)
        for index in set(np.asarray(indices, dtype=np.int64).tolist()):
            wanted[int(self.source[index])].append(index)
        found = {}
        for source, members in wanted.items():
            keys = _load(self.sources[source])["keys"]
            for index in members:
                found[index] = keys[self.position[index]]
        return found


def _load(scan: dict | Path) -> dict:
    return scan if isinstance(scan, dict) else json.loads(Path(scan).read_text())


def merge(
    scans: dict[str, list[dict | Path]],
    features: Features,
    near_duplicate_distance: int = NEAR_DUPLICATE_DISTANCE,
    held_out_splits: tuple[str, ...] = HELD_OUT_SPLITS,
) -> dict:
    """The ``validation`` section from the scans of every shard (dicts, or paths of their
    JSON files, read one at a time), keyed by split.

    Deterministic: the same records give the same section whatever the order of the
    shards; example keys are the smallest ones, groups come in a fixed order.
    """
    if not 0 <= near_duplicate_distance < 32:
        raise ValueError(f"near_duplicate_distance must be in [0, 32), not {near_duplicate_distance}")
    records = _Records(scans)
    summaries = records.summaries
    section: dict = {
        "num_records": {split: sum(s["num_records"] for s in summaries.get(split, []))
                        for split in records.splits}
    }
    for problem in RECORD_PROBLEMS:
        found = [
            (key, reason)
            for split in records.splits
            for scan in summaries.get(split, [])
            for key, reason in zip(scan[problem]["examples"], scan[problem]["reasons"], strict=True)
        ]
        count = sum(scan[problem]["count"] for split in records.splits for scan in summaries.get(split, []))
        section[problem] = _problem_entry(count, found)
    section["duplicate_keys"] = _duplicate_keys(records)
    section["classes_missing_from_train"] = _missing_classes(summaries, features)
    within, across = _exact_duplicates(records)
    section["exact_duplicates_within_split"] = within
    section["exact_duplicates_across_splits"] = across
    section["near_duplicates"] = _near_duplicates(records, near_duplicate_distance, held_out_splits)
    return section


def _duplicate_keys(records: _Records) -> dict:
    occurrences: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    candidates = [members for members in _groups(records.key_hash)]
    keys = records.keys_of(np.concatenate(candidates)) if candidates else {}
    for members in candidates:
        for index in members.tolist():
            occurrences[keys[index]][records.splits[records.split_id[index]]] += 1
    repeated = {key for key, by_split in occurrences.items() if sum(by_split.values()) > 1}
    within = sum(1 for key in repeated if max(occurrences[key].values()) > 1)
    across = sum(1 for key in repeated if len(occurrences[key]) > 1)
    return {
        "count": len(repeated),
        "within_split": within,
        "across_splits": across,
        "examples": [
            {"key": key, "occurrences": dict(sorted(occurrences[key].items()))}
            for key in sorted(repeated)[:NUM_EXAMPLES]
        ],
    }


def _missing_classes(scans: dict[str, list[dict]], features: Features) -> dict | None:
    """``scans``: the per-shard summaries (label counts) by split."""
    if features.task == REGRESSION or "train" not in scans:
        return None
    names = features.class_names or features.label_vocabulary
    totals = np.zeros(len(names), dtype=np.int64)
    for scan in scans["train"]:
        totals += np.asarray(scan["label_counts"], dtype=np.int64)
    missing = [names[i] for i in np.flatnonzero(totals == 0).tolist()]
    return {"count": len(missing), "names": missing}


def _groups(values: np.ndarray) -> list[np.ndarray]:
    """Index arrays of the runs of equal values with more than one member."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[starts, len(ordered)])
    return [order[s : s + n] for s, n in zip(starts.tolist(), sizes.tolist(), strict=True) if n > 1]


def _exact_duplicates(records: _Records) -> tuple[dict, dict]:
    valid = np.flatnonzero(records.valid)
    within_by_split: dict[str, int] = defaultdict(int)
    across_by_pair: dict[str, int] = defaultdict(int)
    within_examples: list[dict] = []
    across_examples: list[dict] = []
    groups = [valid[members] for members in _groups(records.exact[valid])]
    key_of = records.keys_of(np.concatenate(groups)) if groups else {}
    for members in groups:
        by_split: dict[str, list[str]] = defaultdict(list)
        for index in members.tolist():
            by_split[records.splits[records.split_id[index]]].append(key_of[index])
        example = {split: sorted(keys)[:NUM_EXAMPLES] for split, keys in sorted(by_split.items())}
        for split, keys in by_split.items():
            if len(keys) > 1:
                within_by_split[split] += len(keys) - 1
        if any(len(keys) > 1 for keys in by_split.values()):
            within_examples.append(example)
        if len(by_split) > 1:
            names = sorted(by_split)
            for i, first in enumerate(names):
                for second in names[i + 1 :]:
                    across_by_pair[f"{first}/{second}"] += 1
            across_examples.append(example)
    order = lambda example: sorted(k for keys in example.values() for k in keys)  # noqa: E731
    within = {
        "count": sum(within_by_split.values()),
        "by_split": dict(sorted(within_by_split.items())),
        "examples": sorted(within_examples, key=order)[:NUM_EXAMPLES],
    }
    across = {
        "count": len(across_examples),
        "by_split_pair": dict(sorted(across_by_pair.items())),
        "examples": sorted(across_examples, key=order)[:NUM_EXAMPLES],
    }
    return within, across


def _popcount(values: np.ndarray) -> np.ndarray:
    return np.bitwise_count(values).astype(np.int64)


def _bands(distance: int) -> list[tuple[int, int]]:
    """(shift, mask) of ``distance + 1`` bands covering the 64 bits."""
    count = distance + 1
    edges = [64 * i // count for i in range(count + 1)]
    return [(lo, (1 << (hi - lo)) - 1) for lo, hi in zip(edges, edges[1:], strict=False)]


def _find(parent: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """The roots of ``nodes`` in the union-find forest ``parent``, compressing their paths."""
    roots = parent[nodes]
    while True:
        up = parent[roots]
        if np.array_equal(up, roots):
            break
        roots = up
    parent[nodes] = roots
    return roots


def _union(parent: np.ndarray, first: np.ndarray, second: np.ndarray) -> bool:
    """Join the trees of every pair (first[k], second[k]); a root always points to a
    smaller index, so the forest never has a cycle. Whether any trees were joined."""
    joined = False
    while len(first):
        a, b = _find(parent, first), _find(parent, second)
        apart = a != b
        first, second, a, b = first[apart], second[apart], a[apart], b[apart]
        joined |= bool(len(first))
        # Each larger root is hooked below the smallest root it must join this round;
        # pairs it leaves apart are joined in the next rounds.
        np.minimum.at(parent, np.maximum(a, b), np.minimum(a, b))
        if len(first) * 8 > len(parent):
            _flatten(parent)  # many hooks make long chains: point every node at its root
    return joined


def _flatten(parent: np.ndarray) -> None:
    """Point every node at its root, by pointer jumping (log2(depth) passes)."""
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            return
        parent[:] = grand


class SearchStats:
    """What a search did: the pairs whose hashes it compared (its work, bounded by
    (d + 1) * cap per image), and the buckets too large to be searched completely."""

    def __init__(self):
        self.comparisons = 0
        self.capped_buckets = 0
        self.capped_records = 0

    def to_json(self) -> dict:
        return {"comparisons": self.comparisons, "capped_buckets": self.capped_buckets,
                "capped_records": self.capped_records}


def near_duplicate_groups(hashes: np.ndarray, distance: int, cap: int = BUCKET_CAP,
                          stats: SearchStats | None = None, confirm: np.ndarray | None = None,
                          confirm_distance: int = 64) -> np.ndarray:
    """Connected components of the graph "Hamming distance <= ``distance``" over
    ``hashes``: for each hash, the smallest index of its component.

    Multi-index hashing: in each of ``distance + 1`` bands, the hashes are sorted by
    (band value, hash rotated to start with the next band) and each is compared with at most ``cap`` following hashes of its
    bucket (equal band value). Complete (every pair within
    ``distance`` is joined) when no bucket holds more than ``cap + 1`` hashes; otherwise
    a hash meets its ``cap`` neighbours in hash order, and ``stats`` counts the capped
    buckets. Work: at most ``(distance + 1) * cap * len(hashes)`` comparisons. With
    ``confirm`` (a second hash per item), a pair is an edge only if those are also within
    ``confirm_distance``.
    """
    hashes = np.asarray(hashes, dtype=np.uint64)
    stats = stats if stats is not None else SearchStats()
    count = len(hashes)
    parent = np.arange(count, dtype=np.int64)
    if count < 2:
        return parent
    capped = np.zeros(count, dtype=bool)
    bands = _bands(distance)
    for number, (shift, mask) in enumerate(bands):
        band = (hashes >> np.uint64(shift)) & np.uint64(mask)
        # Within a bucket, the hashes rotated so that the next band leads: a pair that
        # agrees on both bands is adjacent even in a bucket too large to search fully.
        next_shift, next_mask = bands[(number + 1) % len(bands)]
        turn = (next_shift + next_mask.bit_length()) % 64
        rotated = (hashes >> np.uint64(turn)) | (hashes << np.uint64((64 - turn) % 64)) if turn else hashes
        order = np.lexsort((rotated, band))
        ordered = band[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        sizes = np.diff(np.r_[starts, count])
        large = sizes > cap + 1
        stats.capped_buckets += int(large.sum())
        capped[order[np.repeat(large, sizes)]] = True
        # In sorted order, each hash against the one ``offset`` places on, as whole
        # shifted slices (sequential memory, where gathering the pairs would be random
        # access); only pairs within one bucket count, and only close ones are joined.
        ordered_hashes = hashes[order]
        ordered_confirm = confirm[order] if confirm is not None else None
        roots = None  # the roots in sorted order, while no union has changed them
        for offset in range(1, min(cap, count - 1) + 1):
            same = ordered[:-offset] == ordered[offset:]
            pairs = int(np.count_nonzero(same))
            if not pairs:
                break  # no bucket holds more than ``offset`` hashes
            stats.comparisons += pairs
            close = same & (np.bitwise_count(ordered_hashes[:-offset] ^ ordered_hashes[offset:]) <= distance)
            if ordered_confirm is not None:
                close &= np.bitwise_count(ordered_confirm[:-offset] ^ ordered_confirm[offset:]) <= confirm_distance
            positions = np.flatnonzero(close)
            if len(positions) * 8 > count:
                # Many close pairs (many similar images): most are joined already, which
                # the roots in sorted order tell in one sequential pass.
                if roots is None:
                    roots = _find(parent, order)
                positions = positions[roots[positions] != roots[positions + offset]]
            if len(positions) and _union(parent, order[positions], order[positions + offset]):
                roots = None
    stats.capped_records += int(capped.sum())
    return _find(parent, np.arange(count, dtype=np.int64))


def _split_method(records: _Records, split: str, usable: np.ndarray) -> dict:
    """How the split's images were checked: "dhash" (near-duplicates and exact), "exact"
    (exact duplicates only: no image has an informative dHash), "dhash+exact" (some
    images exact only) or "none" (no valid image)."""
    in_split = records.valid & (records.split_id == records.splits.index(split))
    hashed = int((in_split & usable).sum())
    small = int((in_split & ~records.hashed).sum())
    low_detail = int((in_split & records.hashed & ~usable).sum())
    if not in_split.any():
        method = "none"  # no valid image to check
    else:
        method = "exact" if not hashed else "dhash" if not small and not low_detail else "dhash+exact"
    smallest = [scan["smallest"] for scan in records.summaries.get(split, []) if scan.get("smallest")]
    return {
        "method": method,
        "dhash_records": hashed,
        "exact_only_small": small,
        "exact_only_low_detail": low_detail,
        "smallest_image": min(smallest, key=lambda size: (size[0] * size[1], size[0])) if smallest else None,
    }


def _exact_only_reason(methods: dict[str, dict], distance: int) -> str | None:
    """Why some images of the dataset were checked for exact duplicates only."""
    small = sum(m["exact_only_small"] for m in methods.values())
    low = sum(m["exact_only_low_detail"] for m in methods.values())
    if not small and not low:
        return None
    parts = []
    if small:
        sizes = [m["smallest_image"] for m in methods.values() if m["smallest_image"]]
        smallest = min(sizes, key=lambda size: (size[0] * size[1], size[0])) if sizes else None
        everything = all(m["method"] == "exact" for m in methods.values())
        parts.append(
            f"{'all ' if everything else ''}{small} images are smaller than the "
            f"{DHASH_GRID[0]}x{DHASH_GRID[1]} dHash grid"
            + (f" (smallest {smallest[0]}x{smallest[1]})" if smallest else "") + ": their 64 bits "
            "would compare a few repeated pixels, so unrelated images would match")
    if low:
        parts.append(f"{low} images have at most {distance} dHash bits set or clear (blank or "
                     "plain gradients), which would match every other such image")
    return "; ".join(parts) + ": exact duplicates only for them"


def _near_duplicates(records: _Records, distance: int, held_out_splits: tuple[str, ...]) -> dict:
    present = [s for s in held_out_splits if s in records.splits]
    bits = _popcount(records.dhash)
    usable = records.valid & records.hashed & (bits > distance) & (bits < 64 - distance)
    methods = {split: _split_method(records, split, usable) for split in records.splits}
    stats = SearchStats()
    candidates = np.flatnonzero(usable)
    # The canonical order: the search's result and its work do not depend on the shards' order.
    candidates = candidates[np.lexsort((records.dhash[candidates], records.key_order[candidates]))]
    roots = near_duplicate_groups(records.dhash[candidates], distance, BUCKET_CAP, stats,
                                  confirm=records.dhash_v[candidates], confirm_distance=2 * distance)
    members = _groups(roots)
    # A group whose images are all pixel-identical is an exact duplicate, reported as such.
    members = [candidates[m] for m in members if len(np.unique(records.exact[candidates[m]])) > 1]
    train_id = records.splits.index("train") if "train" in records.splits else -1
    held_out_ids = {records.splits.index(s) for s in present}
    by_pair: dict[str, int] = defaultdict(int)
    held_out_records: dict[str, int] = dict.fromkeys(present, 0)
    leaking = within = 0
    summaries = []
    for group in members:
        split_ids = records.split_id[group]
        in_splits = sorted(set(split_ids.tolist()))
        names = [records.splits[i] for i in in_splits]
        for i, first in enumerate(names):
            for second in names[i + 1:]:
                by_pair[f"{first}/{second}"] += 1
        leaks = train_id in in_splits and bool(held_out_ids & set(in_splits))
        if leaks:
            leaking += 1
            for split_id in held_out_ids & set(in_splits):
                held_out_records[records.splits[split_id]] += int((split_ids == split_id).sum())
        within += len(in_splits) == 1
        # Listed first: groups that leak, then larger ones, then a fixed tie-break.
        summaries.append(((not leaks, -len(group), int(records.key_order[group].min())), group))
    summaries.sort(key=lambda item: item[0])
    shown = [group for _, group in summaries[:NUM_GROUPS]]
    key_of = records.keys_of(np.concatenate(shown)) if shown else {}
    examples = []
    for group in shown:
        by_split: dict[str, list[str]] = defaultdict(list)
        for index in group.tolist():
            by_split[records.splits[records.split_id[index]]].append(key_of[index])
        examples.append({
            "size": len(group),
            "by_split": {split: len(keys) for split, keys in sorted(by_split.items())},
            "keys": {split: sorted(keys)[:NUM_EXAMPLES] for split, keys in sorted(by_split.items())},
        })
    return {
        "signature": f"dhash64 ({DHASH_GRID[0]}x{DHASH_GRID[1]} grid), confirmed by a vertical "
                     f"dhash64 ({DHASH_GRID[1]}x{DHASH_GRID[0]}) within {2 * distance} bits",
        "distance": distance,
        "method": methods,
        "exact_only_reason": _exact_only_reason(methods, distance),
        "held_out_splits": present,
        "count": leaking,
        "held_out_records": sum(held_out_records.values()),
        "held_out_records_by_split": held_out_records,
        "groups": len(members),
        "groups_within_split": within,
        "records_in_groups": int(sum(len(group) for group in members)),
        "by_split_pair": dict(sorted(by_pair.items())),
        "search": {"bucket_cap": BUCKET_CAP, **stats.to_json()},
        "examples": examples,
    }


# --- The verdict --------------------------------------------------------------------


def passed(section: dict, leakage_fails: bool) -> tuple[bool, list[str]]:
    """Whether the build may complete, and the lines for the build summary.

    Invalid records, duplicate keys and keys in several splits always fail; leakage
    (exact duplicates across splits, groups of near-duplicates spanning train and a
    held-out split) fails only when ``leakage_fails``; duplicates within a split and classes missing
    from train are warnings.
    """
    errors: list[str] = []
    warnings_: list[str] = []
    for problem in RECORD_PROBLEMS:
        entry = section[problem]
        if entry["count"]:
            pairs = zip(entry["examples"], entry["reasons"], strict=True)
            examples = "; ".join(f"{k!r}: {r}" for k, r in pairs)
            errors.append(f"{entry['count']} records {problem.replace('_', ' ')}, e.g. {examples}")
    keys = section["duplicate_keys"]
    if keys["within_split"]:
        errors.append(f"{keys['within_split']} keys repeated within a split, e.g. {_keys_of(keys)}")
    if keys["across_splits"]:
        errors.append(
            f"{keys['across_splits']} keys in several splits (splits overlap), e.g. {_keys_of(keys)}"
        )
    missing = section.get("classes_missing_from_train")
    if missing and missing["count"]:
        names = ", ".join(missing["names"][:10]) + (", ..." if missing["count"] > 10 else "")
        warnings_.append(f"{missing['count']} classes never occur in train: {names}")
    within = section["exact_duplicates_within_split"]
    if within["count"]:
        by_split = ", ".join(f"{s}: {n}" for s, n in within["by_split"].items())
        warnings_.append(
            f"{within['count']} images repeat an earlier image of their split ({by_split}), "
            f"e.g. {_group_text(within['examples'][0])}"
        )
    leakage: list[str] = []
    across = section["exact_duplicates_across_splits"]
    if across["count"]:
        by_pair = ", ".join(f"{p}: {n}" for p, n in across["by_split_pair"].items())
        leakage.append(
            f"{across['count']} images occur in several splits ({by_pair}), "
            f"e.g. {_group_text(across['examples'][0])}"
        )
    near = section["near_duplicates"]
    if near["count"]:
        by_split = ", ".join(f"{s}: {n}" for s, n in near["held_out_records_by_split"].items() if n)
        leakage.append(
            f"{near['count']} near-duplicate groups span train and held-out splits "
            f"({near['held_out_records']} held-out images have a near-duplicate in train: {by_split}; "
            f"dHash distance <= {near['distance']}), e.g. {_group_text(near['examples'][0]['keys'])}"
        )
    (errors if leakage_fails else warnings_).extend(leakage)
    total = sum(section["num_records"].values())
    lines = [f"{total} records in {len(section['num_records'])} splits"]
    lines += [f"ERROR: {line}" for line in errors]
    lines += [f"WARNING: {line}" for line in warnings_]
    if not errors and not warnings_:
        lines[0] += ", no problems found"
    return not errors, lines


def _keys_of(entry: dict) -> str:
    return ", ".join(f"{e['key']!r} {e['occurrences']}" for e in entry["examples"][:3])


def _group_text(example: dict) -> str:
    return " = ".join(f"{split} {keys}" for split, keys in example.items())
