"""Merging the scans of every shard into the ``validation`` section (section.py).

The checks across records live here: duplicate keys, keys in several splits, classes
missing from train, exact duplicate images within and across splits, and groups of
near-duplicates. Near-duplicates (horizontal dHashes within Hamming distance d, vertical
ones within 2d: on photo-like scenes this loses about 1% of the planted copies the
horizontal hash finds, and drops over 99% of the unrelated pairs of smooth images it
would report; see bench/validation.py) are grouped, not listed in pairs: images are
nodes, such a pair an edge, and a group is a connected component (search.py). Hashes
with at most d bits set, or at most d bits clear (blank images, plain horizontal
gradients), say nothing about the picture and would all match each other: they are
left out of the search and counted, and the section says per split which images were
checked for exact duplicates only and why (``near_duplicates.method``).

Reporting is capped, totals are not: every group is counted (per split pair, held-out
images with a near-duplicate in train), and the ``NUM_GROUPS`` largest are listed with
up to ``NUM_EXAMPLES`` keys per split.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data.hashing import key_hashes
from data.types import REGRESSION, Features
from data.validation.hashing import DHASH_GRID
from data.validation.scan import (
    NUM_EXAMPLES,
    RECORD_PROBLEMS,
    ScanSummary,
    ShardScanFile,
    problem_entry,
)
from data.validation.search import BUCKET_CAP, SearchStats, near_duplicate_groups
from data.validation.section import (
    DuplicateKeys,
    ExactDuplicatesAcross,
    ExactDuplicatesWithin,
    MissingClasses,
    NearDuplicates,
    SplitMethod,
    ValidationSection,
)

HELD_OUT_SPLITS = ("test", "dev-test", "validation")
NEAR_DUPLICATE_DISTANCE = 4
# Groups of near-duplicates listed in the section (all are counted).
NUM_GROUPS = 10
# The purpose of the key hash that orders records canonically (unpersonalized blake2b,
# as scans have always been ordered): the search does not depend on the shards' order.
_KEY_ORDER = ""

Scan = dict | Path  # a scan as JSON, or the path of its file


@dataclass
class Records:
    """All scanned records as parallel columns (one entry per record), and each scan's
    summary.

    Scans are loaded one at a time and reduced to fixed-size columns (about 45 bytes a
    record), so merging a dataset of any size holds no key strings; the few keys a report
    names are looked up afterwards (``keys_of``), one more pass over the scans that hold
    them.
    """
    splits: list[str]
    sources: list[Scan]  # the scans, in the order of ``source``'s indices
    summaries: dict[str, list[ScanSummary]]  # by split
    split_id: np.ndarray  # int8, the index of the record's split in ``splits``
    valid: np.ndarray  # bool: the image is valid (it has an exact hash)
    hashed: np.ndarray  # bool: it has dHashes
    exact: np.ndarray  # uint64, 0 when invalid
    dhash: np.ndarray  # uint64, 0 when not hashed
    dhash_v: np.ndarray  # uint64, 0 when not hashed or the scan has no vertical hashes
    key_hash: np.ndarray  # uint64: the canonical order, and equal keys hash equal
    source: np.ndarray  # int32, the scan the record is in
    position: np.ndarray  # int32, its index in that scan

    @classmethod
    def load(cls, scans: dict[str, list[Scan]]) -> Records:
        splits = sorted(scans)
        sources: list[Scan] = []
        summaries: dict[str, list[ScanSummary]] = {}
        parts: dict[str, list[np.ndarray]] = defaultdict(list)
        for split_id, split in enumerate(splits):
            for scan in scans[split]:
                data = _load(scan)
                count = len(data.keys)
                parts["split_id"].append(np.full(count, split_id, dtype=np.int8))
                parts["valid"].append(np.array([h is not None for h in data.exact], dtype=bool))
                parts["hashed"].append(np.array([h is not None for h in data.dhash], dtype=bool))
                parts["exact"].append(_hex64(data.exact))
                parts["dhash"].append(_uint64(data.dhash))
                # A scan without vertical hashes confirms nothing away.
                parts["dhash_v"].append(_uint64(data.dhash_v or [None] * count))
                parts["key_hash"].append(key_hashes(data.keys, _KEY_ORDER))
                parts["source"].append(np.full(count, len(sources), dtype=np.int32))
                parts["position"].append(np.arange(count, dtype=np.int32))
                sources.append(scan)
                summaries.setdefault(split, []).append(data.summary)
        types = {"split_id": np.int8, "valid": bool, "hashed": bool, "exact": np.uint64, "dhash": np.uint64,
                 "dhash_v": np.uint64, "key_hash": np.uint64, "source": np.int32, "position": np.int32}
        columns = {name: np.concatenate(parts[name]) if parts[name] else np.zeros(0, kind)
                   for name, kind in types.items()}
        return cls(splits, sources, summaries, **columns)

    def keys_of(self, indices) -> dict[int, str]:
        """The keys of the records at ``indices``."""
        wanted: dict[int, list[int]] = defaultdict(list)
        for index in set(np.asarray(indices, dtype=np.int64).tolist()):
            wanted[int(self.source[index])].append(index)
        found = {}
        for source, members in wanted.items():
            keys = _load(self.sources[source]).keys
            for index in members:
                found[index] = keys[self.position[index]]
        return found


def _uint64(values: list) -> np.ndarray:
    """The values (None as 0) as uint64, in one conversion when none is None."""
    if None in values:
        values = [v if v is not None else 0 for v in values]
    return np.array(values, dtype=np.uint64)


def _hex64(values: list) -> np.ndarray:
    """16-digit hex strings (None as 0) as uint64, decoded in one call."""
    if None in values:
        values = [v if v is not None else "0" * 16 for v in values]
    return np.frombuffer(bytes.fromhex("".join(values)), ">u8").astype(np.uint64)


def _load(scan: Scan) -> ShardScanFile:
    return ShardScanFile.from_json(scan if isinstance(scan, dict) else json.loads(Path(scan).read_text()))


def merge(
    scans: dict[str, list[Scan]],
    features: Features,
    near_duplicate_distance: int = NEAR_DUPLICATE_DISTANCE,
    held_out_splits: tuple[str, ...] = HELD_OUT_SPLITS,
) -> ValidationSection:
    """The ``validation`` section from the scans of every shard (dicts, or paths of their
    JSON files, read one at a time), keyed by split.

    Deterministic: the same records give the same section whatever the order of the
    shards; example keys are the smallest ones, groups come in a fixed order.
    """
    if not 0 <= near_duplicate_distance < 32:
        raise ValueError(f"near_duplicate_distance must be in [0, 32), not {near_duplicate_distance}")
    records = Records.load(scans)
    summaries = [s for split in records.splits for s in records.summaries.get(split, [])]
    section: dict = {
        "num_records": {split: sum(s.num_records for s in records.summaries.get(split, []))
                        for split in records.splits}
    }
    for problem in RECORD_PROBLEMS:
        found = [(key, reason) for s in summaries
                 for key, reason in zip(s.problems[problem]["examples"], s.problems[problem]["reasons"], strict=True)]
        section[problem] = problem_entry(sum(s.problems[problem]["count"] for s in summaries), found)
    section["duplicate_keys"] = _duplicate_keys(records)
    section["classes_missing_from_train"] = _missing_classes(records.summaries, features)
    within, across = _exact_duplicates(records)
    section["exact_duplicates_within_split"] = within
    section["exact_duplicates_across_splits"] = across
    section["near_duplicates"] = _near_duplicates(records, near_duplicate_distance, held_out_splits)
    return section  # type: ignore[return-value]


def _duplicate_keys(records: Records) -> DuplicateKeys:
    occurrences: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    candidates = _groups(records.key_hash)
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


def _missing_classes(summaries: dict[str, list[ScanSummary]], features: Features) -> MissingClasses | None:
    if features.task == REGRESSION or "train" not in summaries:
        return None
    names = features.class_names or features.label_vocabulary
    totals = np.zeros(len(names), dtype=np.int64)
    for summary in summaries["train"]:
        totals += np.asarray(summary.label_counts, dtype=np.int64)
    missing = [names[i] for i in np.flatnonzero(totals == 0).tolist()]
    return {"count": len(missing), "names": missing}


def _groups(values: np.ndarray) -> list[np.ndarray]:
    """Index arrays of the runs of equal values with more than one member."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[starts, len(ordered)])
    several = sizes > 1  # the runs worth a Python object: usually a handful of 60,000
    return [order[s : s + n] for s, n in zip(starts[several].tolist(), sizes[several].tolist(), strict=True)]


def _exact_duplicates(records: Records) -> tuple[ExactDuplicatesWithin, ExactDuplicatesAcross]:
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


def _split_method(records: Records, split: str, usable: np.ndarray) -> SplitMethod:
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
    smallest = [s.smallest for s in records.summaries.get(split, []) if s.smallest]
    return {
        "method": method,
        "dhash_records": hashed,
        "exact_only_small": small,
        "exact_only_low_detail": low_detail,
        "smallest_image": min(smallest, key=lambda size: (size[0] * size[1], size[0])) if smallest else None,
    }


def _exact_only_reason(methods: dict[str, SplitMethod], distance: int) -> str | None:
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


def _near_duplicates(records: Records, distance: int, held_out_splits: tuple[str, ...]) -> NearDuplicates:
    present = [s for s in held_out_splits if s in records.splits]
    bits = _popcount(records.dhash)
    usable = records.valid & records.hashed & (bits > distance) & (bits < 64 - distance)
    methods = {split: _split_method(records, split, usable) for split in records.splits}
    stats = SearchStats()
    candidates = np.flatnonzero(usable)
    # The canonical order: the search's result and its work do not depend on the shards' order.
    candidates = candidates[np.lexsort((records.dhash[candidates], records.key_hash[candidates]))]
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
        summaries.append(((not leaks, -len(group), int(records.key_hash[group].min())), group))
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


