"""The intermediate between reading a source once and converting it in parallel.

Planning iterates a handler once (each compressed archive is decompressed once per
build) and appends every example to one ``records.bin``: a small JSON header (key,
image kind) and the image payload (encoded bytes as found, or raw 8-bit pixels).
Labels are kept in memory until the stream ends, because a source may state them
after the images (``Annotation``); then, per split, it writes ``<split>.index.npy``:
(hash of key, offset, length) rows sorted by the hash, which is the deterministic
global shuffle, and ``<split>.labels.json`` aligned with those rows. Shard ``i`` of
``n`` converts rows ``[i*N//n, (i+1)*N//n)`` with random-access reads, so shards are
independent and nothing is decompressed twice. Memory holds keys, labels and 24 bytes
per example, never images.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from data import images
from data.atomic import atomic_path, write_json_atomic
from data.hashing import key_hash
from data.types import Annotation, Example, Features

RECORDS_FILE = "records.bin"
PLAN_FILE = "plan.json"
ENCODED = "encoded"
RAW = "raw"

SplitRule = Callable[[Sequence[str], Sequence[object]], Sequence[str]]


class PlanError(ValueError):
    """The examples a handler produced break the contract (keys, labels, splits)."""


def _record(example: Example, features: Features) -> bytes:
    header = {"k": example.key}
    if isinstance(example.image, bytes):
        header["t"] = ENCODED
        payload = example.image
    elif isinstance(example.image, np.ndarray) and _is_stored_layout(example.image, features):
        header["t"] = RAW
        header["s"] = [example.image.shape[1], example.image.shape[0]]
        payload = np.ascontiguousarray(example.image).tobytes()
    elif isinstance(example.image, (Image.Image, np.ndarray)):
        source = example.image
        if isinstance(source, np.ndarray):
            source = Image.fromarray(source.squeeze(-1) if source.ndim == 3 and source.shape[2] == 1 else source)
        image = images.normalize(source, features.channels)
        header["t"] = RAW
        header["s"] = list(image.size)
        payload = image.tobytes()
    else:
        raise PlanError(f"example {example.key!r}: image must be a PIL image, a uint8 array or bytes")
    encoded_header = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<I", len(encoded_header)) + encoded_header + payload


def _is_stored_layout(array: np.ndarray, features: Features) -> bool:
    """True for uint8 arrays already shaped as stored: (H, W) grey or (H, W, 3) colour."""
    if array.dtype != np.uint8:
        return False
    if features.channels == 1:
        return array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 1)
    return array.ndim == 3 and array.shape[2] == 3


def _label_of(item: Example | Annotation, features: Features):
    """The one label value the task needs (int, sorted int list, or float), or None."""
    if features.task == "single_label":
        return None if item.label is None else int(item.label)
    if features.task == "multi_label":
        return None if item.multi_label is None else sorted({int(v) for v in item.multi_label})
    return None if item.target is None else float(item.target)


def _check_label(key: str, value, features: Features) -> None:
    if value is None:
        raise PlanError(f"example {key!r} has no {features.task} label and no annotation gave one")
    if features.task == "regression":
        if not math.isfinite(value):
            raise PlanError(f"example {key!r}: target {value!r} is not a finite number")
    elif any(not 0 <= v < features.num_classes for v in (value if isinstance(value, list) else [value])):
        raise PlanError(
            f"example {key!r}: label {value!r} is outside [0, {features.num_classes})"
        )


def num_shards(num_examples: int, payload_bytes: int, target_bytes: int, min_shards: int) -> int:
    """Enough shards to keep each near ``target_bytes``, at least ``min_shards``, none empty."""
    wanted = max(math.ceil(payload_bytes / max(target_bytes, 1)), min_shards, 1)
    return max(1, min(wanted, num_examples))


def stage(
    examples: Iterable[Example | Annotation],
    features: Features,
    directory: Path,
    split_rule: SplitRule | None,
    target_shard_bytes: int,
    min_shards: int,
    progress: Callable[[int], None] = lambda count: None,
) -> dict:
    """Write records.bin, the split indexes and labels; return the plan (see ``write_plan``)."""
    directory.mkdir(parents=True, exist_ok=True)
    keys: list[str] = []
    labels: list[object] = []
    splits: list[str | None] = []
    offsets: list[int] = []
    lengths: list[int] = []
    annotations: dict[str, Annotation] = {}
    offset = 0
    with atomic_path(directory / RECORDS_FILE) as temporary, open(temporary, "wb") as out:
        for item in examples:
            if isinstance(item, Annotation):
                if item.key in annotations:
                    raise PlanError(f"two annotations for {item.key!r}")
                annotations[item.key] = item
                continue
            record = _record(item, features)
            out.write(record)
            keys.append(item.key)
            labels.append(_label_of(item, features))
            splits.append(item.split)
            offsets.append(offset)
            lengths.append(len(record))
            offset += len(record)
            if len(keys) % 1000 == 0:
                progress(len(keys))
    if not keys:
        raise PlanError("the handler produced no examples")
    duplicates = [key for key, count in Counter(keys).items() if count > 1]
    if duplicates:
        raise PlanError(f"{len(duplicates)} duplicate keys, e.g. {duplicates[:3]}")
    _apply_annotations(keys, labels, splits, annotations, features)
    for key, value in zip(keys, labels, strict=True):
        _check_label(key, value, features)
    splits = _assign_missing_splits(keys, labels, splits, split_rule)

    plan_splits = {}
    for split in sorted(set(splits)):
        members = [i for i, s in enumerate(splits) if s == split]
        index = np.array(
            [(key_hash(keys[i], "shuffle"), offsets[i], lengths[i]) for i in members],
            dtype=np.uint64,
        )
        order = np.lexsort((index[:, 1], index[:, 0]))
        index = index[order]
        index_file, labels_file = f"{split}.index.npy", f"{split}.labels.json"
        with atomic_path(directory / index_file) as temporary, open(temporary, "wb") as out:
            np.save(out, index)
        write_json_atomic(directory / labels_file, [labels[members[i]] for i in order])
        payload_bytes = int(index[:, 2].sum())
        plan_splits[split] = {
            "num_examples": len(members),
            "num_shards": num_shards(len(members), payload_bytes, target_shard_bytes, min_shards),
            "index": index_file,
            "labels": labels_file,
        }
    return {"records": RECORDS_FILE, "splits": plan_splits}


def write_plan(directory: Path, plan: dict) -> None:
    """Written last, atomically: its presence means the staging is complete."""
    write_json_atomic(directory / PLAN_FILE, plan)


def _apply_annotations(keys, labels, splits, annotations, features) -> None:
    """Fill in what examples left None from annotations; conflicting facts are errors."""
    if not annotations:
        return
    for i, key in enumerate(keys):
        note = annotations.pop(key, None)
        if note is None:
            continue
        value = _label_of(note, features)
        if value is not None:
            if labels[i] is not None and labels[i] != value:
                raise PlanError(f"example {key!r}: label {labels[i]!r} but annotation says {value!r}")
            labels[i] = value
        if note.split is not None:
            if splits[i] is not None and splits[i] != note.split:
                raise PlanError(f"example {key!r}: split {splits[i]!r} but annotation says {note.split!r}")
            splits[i] = note.split
    if annotations:
        orphans = sorted(annotations)
        raise PlanError(
            f"{len(orphans)} annotations name examples the source does not contain, "
            f"e.g. {orphans[:3]}"
        )


def _assign_missing_splits(keys, labels, splits, split_rule) -> list[str]:
    missing = [i for i, split in enumerate(splits) if split is None]
    if not missing:
        return splits
    if split_rule is None:
        raise PlanError(
            f"{len(missing)} examples have no split (e.g. {keys[missing[0]]!r}) and the "
            "dataset declares no split rule"
        )
    assigned = split_rule([keys[i] for i in missing], [labels[i] for i in missing])
    splits = list(splits)
    for i, split in zip(missing, assigned, strict=True):
        splits[i] = split
    return splits


def read_plan(directory: Path) -> dict:
    return json.loads((directory / PLAN_FILE).read_text())


def shard_rows(directory: Path, plan: dict, split: str, shard: int, count: int):
    """(index rows (hash, offset, length), labels) that shard ``shard`` of ``count`` converts."""
    entry = plan["splits"][split]
    index = np.load(directory / entry["index"], mmap_mode="r")
    total = len(index)
    lo, hi = shard * total // count, (shard + 1) * total // count
    labels = json.loads((directory / entry["labels"]).read_text())
    return np.array(index[lo:hi]), labels[lo:hi]


class StagedRecords:
    """Random-access reader of records.bin."""

    def __init__(self, path: Path):
        self._fd = os.open(path, os.O_RDONLY)

    def read(self, offset: int, length: int) -> tuple[dict, bytes]:
        record = os.pread(self._fd, int(length), int(offset))
        if len(record) != length:
            raise PlanError(f"staged records are truncated at offset {offset}; rerun planning")
        (header_length,) = struct.unpack_from("<I", record)
        header = json.loads(record[4 : 4 + header_length])
        return header, record[4 + header_length :]

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def raw_pixels(header: dict, payload: bytes, channels: int) -> np.ndarray:
    """The pixels of a record staged raw, as a (H, W) or (H, W, 3) uint8 view."""
    width, height = header["s"]
    shape = (height, width) if channels == 1 else (height, width, channels)
    return np.frombuffer(payload, dtype=np.uint8).reshape(shape)


def image_bytes(header: dict, payload: bytes, channels: int, max_pixels: int) -> bytes:
    """The stored image bytes for one staged record (pass-through or PNG)."""
    if header["t"] == RAW:
        return images.png_from_array(raw_pixels(header, payload, channels))
    return images.stored_bytes(payload, channels, max_pixels)
