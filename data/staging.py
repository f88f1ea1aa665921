"""The intermediate between reading a source once and converting it in parallel.

Planning iterates a handler once (each compressed archive is decompressed once per
build) and appends every example to one ``records.bin``: a small JSON header (key,
labels, image kind) and the image payload (encoded bytes as found, or raw 8-bit
pixels). Per split it then writes ``<split>.index.npy``: (hash of key, offset,
length) rows sorted by the hash, which is the deterministic global shuffle. Shard
``i`` of ``n`` converts rows ``[i*N//n, (i+1)*N//n)`` with random-access reads, so
shards are independent and nothing is decompressed twice. Memory holds keys, labels
and 24 bytes per example, never images.
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
from data.types import Example, Features

RECORDS_FILE = "records.bin"
PLAN_FILE = "plan.json"
ENCODED = "encoded"
RAW = "raw"

SplitRule = Callable[[Sequence[str], Sequence[object]], Sequence[str]]


class PlanError(ValueError):
    """The examples a handler produced break the contract (keys, labels, splits)."""


def _record(example: Example, features: Features) -> bytes:
    header = {"k": example.key}
    if example.label is not None:
        header["l"] = int(example.label)
    if example.multi_label is not None:
        header["m"] = sorted({int(v) for v in example.multi_label})
    if example.target is not None:
        header["r"] = float(example.target)
    if isinstance(example.image, bytes):
        header["t"] = ENCODED
        payload = example.image
    elif isinstance(example.image, Image.Image):
        image = images.normalize(example.image, features.channels)
        header["t"] = RAW
        header["s"] = list(image.size)
        payload = image.tobytes()
    else:
        raise PlanError(f"example {example.key!r}: image must be PIL.Image or bytes")
    encoded_header = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<I", len(encoded_header)) + encoded_header + payload


def _check_labels(example: Example, features: Features) -> None:
    if features.task == "regression":
        if example.target is None or not math.isfinite(example.target):
            raise PlanError(f"example {example.key!r}: target {example.target!r} is not a finite number")
    elif features.task == "single_label":
        if example.label is None or not 0 <= example.label < features.num_classes:
            raise PlanError(
                f"example {example.key!r}: label {example.label!r} is not in "
                f"[0, {features.num_classes})"
            )
    else:
        labels = example.multi_label
        if labels is None or any(not 0 <= v < features.num_classes for v in labels):
            raise PlanError(
                f"example {example.key!r}: multi_label {labels!r} has values outside "
                f"[0, {features.num_classes})"
            )


def num_shards(num_examples: int, payload_bytes: int, target_bytes: int, min_shards: int) -> int:
    """Enough shards to keep each near ``target_bytes``, at least ``min_shards``, none empty."""
    wanted = max(math.ceil(payload_bytes / max(target_bytes, 1)), min_shards, 1)
    return max(1, min(wanted, num_examples))


def stage(
    examples: Iterable[Example],
    features: Features,
    directory: Path,
    split_rule: SplitRule | None,
    target_shard_bytes: int,
    min_shards: int,
    progress: Callable[[int], None] = lambda count: None,
) -> dict:
    """Write records.bin and the split indexes; return the plan (see ``write_plan``)."""
    directory.mkdir(parents=True, exist_ok=True)
    keys: list[str] = []
    labels: list[object] = []
    splits: list[str | None] = []
    offsets: list[int] = []
    lengths: list[int] = []
    offset = 0
    with atomic_path(directory / RECORDS_FILE) as temporary, open(temporary, "wb") as out:
        for example in examples:
            _check_labels(example, features)
            record = _record(example, features)
            out.write(record)
            keys.append(example.key)
            labels.append(next(
                (v for v in (example.label, example.multi_label, example.target) if v is not None),
                None,
            ))
            splits.append(example.split)
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
    splits = _assign_missing_splits(keys, labels, splits, split_rule)

    plan_splits = {}
    for split in sorted(set(splits)):
        members = [i for i, s in enumerate(splits) if s == split]
        index = np.array(
            [(key_hash(keys[i], "shuffle"), offsets[i], lengths[i]) for i in members],
            dtype=np.uint64,
        )
        index = index[np.lexsort((index[:, 1], index[:, 0]))]
        index_file = f"{split}.index.npy"
        with atomic_path(directory / index_file) as temporary, open(temporary, "wb") as out:
            np.save(out, index)
        payload_bytes = int(index[:, 2].sum())
        plan_splits[split] = {
            "num_examples": len(members),
            "num_shards": num_shards(len(members), payload_bytes, target_shard_bytes, min_shards),
            "index": index_file,
        }
    return {"records": RECORDS_FILE, "splits": plan_splits}


def write_plan(directory: Path, plan: dict) -> None:
    """Written last, atomically: its presence means the staging is complete."""
    write_json_atomic(directory / PLAN_FILE, plan)


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


def shard_rows(directory: Path, plan: dict, split: str, shard: int, count: int) -> np.ndarray:
    """The index rows (hash, offset, length) that shard ``shard`` of ``count`` converts."""
    index = np.load(directory / plan["splits"][split]["index"], mmap_mode="r")
    total = len(index)
    return np.array(index[shard * total // count : (shard + 1) * total // count])


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


def image_bytes(header: dict, payload: bytes, channels: int, max_pixels: int) -> bytes:
    """The stored image bytes for one staged record (pass-through or PNG)."""
    if header["t"] == RAW:
        width, height = header["s"]
        image = Image.frombytes(images.mode_for(channels), (width, height), payload)
        return images.encode_png(image)
    return images.stored_bytes(payload, channels, max_pixels)
