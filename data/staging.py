"""The intermediate between reading a source once and converting it in parallel.

Planning iterates a handler once (each compressed archive is decompressed once per
build) and appends every example to one ``records.bin``: a small binary header (image
kind and size), the key, and the image payload (encoded bytes as found, or raw 8-bit
pixels), or, for a member that can be read again in place from a verified artifact (a
``data.members.MemberBytes``: zip members, uncompressed tar members, plain files), a
reference to it (artifact, offset, length, method, CRC) instead of a copy of its bytes.
The artifacts referenced are listed in ``sources.json`` with their size and modification
time; a changed one makes the staging stale (``sources_current``). Labels are kept in memory until the stream ends, because a source may state
them after the images (``Annotation``); then, per split, it writes ``<split>.index.npy``:
(hash of key, offset, length) rows sorted by the hash, which is the deterministic
global shuffle, and ``<split>.labels.json`` aligned with those rows. Shard ``i`` of
``n`` converts rows ``[i*N//n, (i+1)*N//n)`` with random-access reads, so shards are
independent and nothing is decompressed twice. Memory holds about 30 bytes per example
(key hash, offset, length, split, label), never keys or images.

The plan keeps each split's example count and payload bytes, not a shard count: ``n``
follows from them and the [convert] settings of the run that converts
(``shard_counts``), so changing the shard size converts again from the same staging.
"""

from __future__ import annotations

import json
import math
import os
import struct
import zlib
from array import array
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from data import images, members
from data.atomic import atomic_path, write_json_atomic
from data.hashing import key_hash
from data.types import Annotation, Example, Features

RECORDS_FILE = "records.bin"
PLAN_FILE = "plan.json"
SOURCES_FILE = "sources.json"
ENCODED = "encoded"
RAW = "raw"

SplitRule = Callable[[Sequence[str], Sequence[object]], Sequence[str]]


class PlanError(ValueError):
    """The examples a handler produced break the contract (keys, labels, splits)."""


# A record: this header, the UTF-8 key, then the payload. Width and height are 0 for
# encoded images (their bytes say). A reference's payload is _REF: where its encoded
# bytes lie in one of the artifacts listed in sources.json.
_HEADER = struct.Struct("<BHII")  # kind, key length, width, height
_KINDS = (ENCODED, RAW, ENCODED)
_REFERENCE = 2
_REF = struct.Struct("<HQQQBI")  # source index, offset, length, size, method, CRC-32


class _Sources:
    """The artifacts that staged references point into, by path: the index a reference
    names, and each file's size and modification time when it was read."""

    def __init__(self, directory: Path, within: Path | None):
        self.directory = directory
        self.within = None if within is None else os.path.abspath(within) + os.sep
        self.index: dict[str, int] = {}
        self.entries: list[dict] = []

    def refers(self, path: str) -> bool:
        """Whether a member of ``path`` is staged as a reference (else as a copy)."""
        return self.within is None or path.startswith(self.within)

    def add(self, path: str) -> int:
        if path not in self.index:
            if len(self.entries) >= 0xFFFF:
                raise PlanError("references into more than 65535 artifact files")
            status = os.stat(path)
            self.index[path] = len(self.entries)
            # Relative to the staging folder, so a data dir moved as a whole still reads.
            self.entries.append({"path": os.path.relpath(path, self.directory), "size": status.st_size,
                                 "mtime_ns": status.st_mtime_ns})
        return self.index[path]

    def write(self) -> None:
        for path, i in self.index.items():
            try:
                status = os.stat(path)
            except OSError:
                status = None
            if status is None or (status.st_size, status.st_mtime_ns) != (self.entries[i]["size"],
                                                                          self.entries[i]["mtime_ns"]):
                raise PlanError(
                    f"the handler read members of {path}, which was removed or changed before planning "
                    "ended (a temporary file?), so they cannot be read again in place; pass "
                    "bytes(member) to stage a copy, or plan from files that stay")
        write_json_atomic(self.directory / SOURCES_FILE, self.entries)


def _record(example: Example, features: Features, sources: _Sources) -> tuple[bytes, int]:
    """(the record, its size as a copy would stage it: what a shard's size is planned from)."""
    key = example.key.encode("utf-8")
    if len(key) > 0xFFFF:
        raise PlanError(f"example key {example.key[:80]!r}... is longer than 65535 bytes")
    if isinstance(example.image, members.MemberBytes) and sources.refers(example.image.origin.path):
        origin = example.image.origin
        head = _HEADER.pack(_REFERENCE, len(key), 0, 0)
        reference = _REF.pack(sources.add(origin.path), origin.offset, origin.length, origin.size,
                              origin.method, origin.crc or 0)
        return b"".join((head, key, reference)), len(head) + len(key) + len(example.image)
    if isinstance(example.image, bytes):
        record = b"".join((_HEADER.pack(0, len(key), 0, 0), key, example.image))
        return record, len(record)
    if isinstance(example.image, np.ndarray) and _is_stored_layout(example.image, features):
        height, width = example.image.shape[:2]
        payload = example.image.tobytes()  # C order whatever the strides
    elif isinstance(example.image, (Image.Image, np.ndarray)):
        source = example.image
        if isinstance(source, np.ndarray):
            source = Image.fromarray(source.squeeze(-1) if source.ndim == 3 and source.shape[2] == 1 else source)
        image = images.normalize(source, features.channels)
        width, height = image.size
        payload = image.tobytes()
    else:
        raise PlanError(f"example {example.key!r}: image must be a PIL image, a uint8 array or bytes")
    record = b"".join((_HEADER.pack(1, len(key), width, height), key, payload))
    return record, len(record)


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


def num_shards(num_examples: int, payload_bytes: int, target_bytes: int, min_shards: int) -> int:
    """Enough shards to keep each near ``target_bytes``, at least ``min_shards``, none empty."""
    wanted = max(math.ceil(payload_bytes / max(target_bytes, 1)), min_shards, 1)
    return max(1, min(wanted, num_examples))


def shard_counts(plan: dict, target_bytes: int, min_shards: int) -> dict[str, int]:
    """split -> number of shards, from the plan's counts and payload bytes and the settings."""
    return {split: num_shards(entry["num_examples"], entry["payload_bytes"], target_bytes, min_shards)
            for split, entry in plan["splits"].items()}


class _LabelColumn:
    """One label per example, compact: int64 or float64 values beside a missing flag
    (lists for multi-label), so planning holds bytes per example, not Python objects."""

    def __init__(self, task: str):
        self.task = task
        self.missing = array("b")
        self.values: array | list = {"single_label": array("q"), "regression": array("d")}.get(task, [])

    def __len__(self) -> int:
        return len(self.missing)

    def append(self, value) -> None:
        self.missing.append(value is None)
        if self.task == "multi_label":
            self.values.append(value)
        else:
            self.values.append(0 if value is None else value)

    def get(self, i: int):
        return None if self.missing[i] else self.values[i]

    def set(self, i: int, value) -> None:
        self.missing[i] = 0
        self.values[i] = value

    def take(self, rows: np.ndarray) -> list:
        if self.task == "multi_label":
            return [self.values[i] for i in rows.tolist()]
        dtype = np.int64 if self.task == "single_label" else np.float64
        return np.frombuffer(self.values, dtype)[rows].tolist()

    def problem(self, features: Features) -> tuple[int, str] | None:
        """(index, what is wrong) of the first invalid label, or None."""
        missing = np.flatnonzero(np.frombuffer(self.missing, np.int8))
        if len(missing):
            return int(missing[0]), f"has no {features.task} label and no annotation gave one"
        if self.task == "regression":
            bad = np.flatnonzero(~np.isfinite(np.frombuffer(self.values, np.float64)))
            if len(bad):
                return int(bad[0]), f"target {self.values[bad[0]]!r} is not a finite number"
            return None
        if self.task == "single_label":
            values = np.frombuffer(self.values, np.int64)
            bad = np.flatnonzero((values < 0) | (values >= features.num_classes))
            first = int(bad[0]) if len(bad) else None
        else:
            first = next((i for i, v in enumerate(self.values)
                          if any(not 0 <= x < features.num_classes for x in v)), None)
        if first is None:
            return None
        return first, f"label {self.get(first)!r} is outside [0, {features.num_classes})"


class _Annotations:
    """Annotations as they arrive, keyed by the key's hash; their keys kept for messages."""

    def __init__(self, task: str):
        self.hashes = array("Q")
        self.keys: list[str] = []
        self.labels = _LabelColumn(task)
        self.splits: list[str | None] = []

    def add(self, note: Annotation, features: Features) -> None:
        self.hashes.append(key_hash(note.key, "shuffle"))
        self.keys.append(note.key)
        self.labels.append(_label_of(note, features))
        self.splits.append(note.split)


def stage(
    examples: Iterable[Example | Annotation],
    features: Features,
    directory: Path,
    split_rule: SplitRule | None,
    progress: Callable[[int], None] = lambda count: None,
    on_record: Callable[[int, bytes, object], None] | None = None,
    refer_within: Path | None = None,
) -> dict:
    """Write records.bin, the split indexes and labels; return the plan (see ``write_plan``).

    ``on_record(offset, record, image)`` sees every record as it is written, with the
    example's image (data/encoded_pngs.py encodes the raw ones meanwhile, and hashes
    passed-through JPEGs).

    What is kept per example until the stream ends is a fixed few bytes (key hash,
    offset, length, split, label), never the key or the image, so memory grows only
    by those bytes (and by the annotations and a split rule's keys, where a source
    needs them). Members read in place (``members.MemberBytes``) are staged as
    references, only those of files inside ``refer_within`` when it is given.
    """
    directory.mkdir(parents=True, exist_ok=True)
    hashes, offsets, lengths, split_ids = array("Q"), array("Q"), array("Q"), array("b")
    sizes = array("Q")  # as a copy would stage them: shard counts do not depend on references
    sources = _Sources(directory, refer_within)
    labels = _LabelColumn(features.task)
    split_names: list[str] = []
    notes = _Annotations(features.task)
    offset = 0
    # A large buffer: records are a few KB, and a system call each would cost more than
    # the copy.
    with atomic_path(directory / RECORDS_FILE, writeback=True) as temporary, open(temporary, "wb", buffering=1 << 20) as out:
        for item in examples:
            if isinstance(item, Annotation):
                notes.add(item, features)
                continue
            record, size = _record(item, features, sources)
            out.write(record)
            if on_record is not None:
                on_record(offset, record, item.image)
            hashes.append(key_hash(item.key, "shuffle"))
            offsets.append(offset)
            lengths.append(len(record))
            sizes.append(size)
            labels.append(_label_of(item, features))
            split_ids.append(_split_id(item.split, split_names))
            offset += len(record)
            if len(hashes) % 1000 == 0:
                progress(len(hashes))
        out.flush()
        if not hashes:
            raise PlanError("the handler produced no examples")
        columns = _Columns(hashes, offsets, lengths, split_ids, temporary)
        columns.check_unique_keys()
        columns.apply(notes, labels, split_names)
        problem = labels.problem(features)
        if problem:
            raise PlanError(f"example {columns.key(problem[0])!r} {problem[1]}")
        columns.assign_missing_splits(labels, split_names, split_rule)
        sources.write()

    sizes = np.frombuffer(sizes, np.uint64)
    plan_splits = {}
    for split_id, split in sorted(enumerate(split_names), key=lambda pair: pair[1]):
        members = np.flatnonzero(columns.split_ids == split_id)
        if not len(members):
            continue
        rows = members[np.lexsort((columns.offsets[members], columns.hashes[members]))]
        index = np.stack([columns.hashes[rows], columns.offsets[rows], columns.lengths[rows]], axis=1)
        index_file, labels_file = f"{split}.index.npy", f"{split}.labels.json"
        with atomic_path(directory / index_file) as temporary, open(temporary, "wb") as out:
            np.save(out, index)
        write_json_atomic(directory / labels_file, labels.take(rows), compact=True)
        plan_splits[split] = {
            "num_examples": len(members),
            "payload_bytes": int(sizes[rows].sum()),  # the shard count follows (shard_counts)
            "index": index_file,
            "labels": labels_file,
        }
    return {"records": RECORDS_FILE, "splits": plan_splits}


def _split_id(split: str | None, names: list[str]) -> int:
    if split is None:
        return -1
    try:
        return names.index(split)
    except ValueError:
        if len(names) >= 127:
            raise PlanError(f"more than 127 split names: {names[:5]}...") from None
        names.append(split)
        return len(names) - 1


class _Columns:
    """The per-example columns as numpy arrays, and the records file for their keys."""

    def __init__(self, hashes, offsets, lengths, split_ids, records: Path):
        self.hashes = np.frombuffer(hashes, np.uint64)
        self.offsets = np.frombuffer(offsets, np.uint64)
        self.lengths = np.frombuffer(lengths, np.uint64)
        self.split_ids = np.array(split_ids, dtype=np.int8)
        self.records = records
        self._order = np.argsort(self.hashes, kind="stable")

    def key(self, i: int) -> str:
        with StagedRecords(self.records) as records:
            return records.key(int(self.offsets[i]))

    def check_unique_keys(self) -> None:
        """Equal keys have equal hashes: compare the keys of equal hashes only."""
        ordered = self.hashes[self._order]
        repeats = np.flatnonzero(ordered[1:] == ordered[:-1])
        if not len(repeats):
            return
        with StagedRecords(self.records) as records:
            duplicates = sorted({
                records.key(int(self.offsets[self._order[r]]))
                for r in repeats.tolist()
                if records.key(int(self.offsets[self._order[r]]))
                == records.key(int(self.offsets[self._order[r + 1]]))
            })
        if duplicates:
            raise PlanError(f"{len(duplicates)} duplicate keys, e.g. {duplicates[:3]}")

    def apply(self, notes: _Annotations, labels: _LabelColumn, split_names: list[str]) -> None:
        """Fill in what examples left None from annotations; conflicting facts are errors."""
        if not notes.keys:
            return
        wanted = np.frombuffer(notes.hashes, np.uint64)
        order = np.argsort(wanted, kind="stable")
        same = np.flatnonzero(wanted[order][1:] == wanted[order][:-1])
        for r in same.tolist():
            first, second = notes.keys[order[r]], notes.keys[order[r + 1]]
            if first == second:
                raise PlanError(f"two annotations for {first!r}")
        ordered = self.hashes[self._order]
        position = np.minimum(np.searchsorted(ordered, wanted), len(ordered) - 1)
        found = ordered[position] == wanted
        if not found.all():
            orphans = sorted(notes.keys[j] for j in np.flatnonzero(~found).tolist())
            raise PlanError(
                f"{len(orphans)} annotations name examples the source does not contain, "
                f"e.g. {orphans[:3]}"
            )
        targets = self._order[position].tolist()
        for j, i in enumerate(targets):
            key = notes.keys[j]
            value = notes.labels.get(j)
            if value is not None:
                current = labels.get(i)
                if current is not None and current != value:
                    raise PlanError(f"example {key!r}: label {current!r} but annotation says {value!r}")
                labels.set(i, value)
            split = notes.splits[j]
            if split is not None:
                current_id = int(self.split_ids[i])
                if current_id >= 0 and split_names[current_id] != split:
                    raise PlanError(
                        f"example {key!r}: split {split_names[current_id]!r} but annotation says {split!r}"
                    )
                self.split_ids[i] = _split_id(split, split_names)

    def assign_missing_splits(self, labels: _LabelColumn, split_names: list[str],
                              split_rule: SplitRule | None) -> None:
        """Splits the examples left None get from the dataset's rule, over (key, label)."""
        missing = np.flatnonzero(self.split_ids < 0)
        if not len(missing):
            return
        if split_rule is None:
            raise PlanError(
                f"{len(missing)} examples have no split (e.g. {self.key(int(missing[0]))!r}) and "
                "the dataset declares no split rule"
            )
        with StagedRecords(self.records) as records:
            keys = [records.key(int(self.offsets[i])) for i in missing.tolist()]
        assigned = split_rule(keys, [labels.get(i) for i in missing.tolist()])
        for i, split in zip(missing.tolist(), assigned, strict=True):
            self.split_ids[i] = _split_id(split, split_names)


def discard(directory: Path) -> None:
    """Remove what a planning that failed wrote into ``directory`` (records, indexes,
    labels), then the folder and the dataset's staging folder if nothing else is left:
    a failed plan (an archive bomb, a count mismatch) leaves no staging behind. A
    finished plan (plan.json: another run's) is left alone."""
    directory = Path(directory)
    if (directory / PLAN_FILE).exists():
        return
    for pattern in (RECORDS_FILE, "*.index.npy", "*.labels.json"):
        for path in directory.glob(pattern):
            path.unlink(missing_ok=True)
    for folder in (directory, directory.parent):
        try:
            folder.rmdir()
        except OSError:  # not empty (another writer's files) or already gone
            return


def write_plan(directory: Path, plan: dict) -> None:
    """Written last, atomically: its presence means the staging is complete."""
    write_json_atomic(directory / PLAN_FILE, plan)


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
    """Random-access reader of records.bin, one ``pread`` per record.

    Not a memory map: a shard's records lie scattered over the whole file (rows are in
    hash order), and every page a map touches, with its neighbours mapped around it,
    stays in the process's resident set until the map is closed; at 600,000 CIFAR-size
    records that was a gigabyte per shard. A read costs one system call and leaves
    nothing behind.
    """

    def __init__(self, path: Path):
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 - held open until close()
        self._fd = self._file.fileno()
        self._directory = Path(path).parent
        self._sources: list[dict] | None = None
        self._source_fds: dict[int, int] = {}

    def _read(self, offset: int, length: int) -> bytes:
        data = os.pread(self._fd, length, offset)
        if len(data) != length:
            raise PlanError(f"staged records are truncated at offset {offset}; rerun planning")
        return data

    def read(self, offset: int, length: int) -> tuple[dict, bytes]:
        """({"k": key, "t": RAW | ENCODED, "s": [width, height]}, payload)."""
        data = self._read(int(offset), int(length))
        kind, key_length, width, height = _HEADER.unpack_from(data)
        start = _HEADER.size + key_length
        key = data[_HEADER.size:start].decode("utf-8")
        payload = data[start:] if kind != _REFERENCE else self._referenced(key, *_REF.unpack_from(data, start))
        return {"k": key, "t": _KINDS[kind], "s": [width, height]}, payload

    def _referenced(self, key: str, source: int, offset: int, length: int, size: int, method: int,
                    crc: int) -> bytes:
        """A referenced member's bytes, read from its artifact (checked unchanged when opened)."""
        fd = self._source_fds.get(source)
        if fd is None:
            fd = self._source_fds[source] = self._open_source(source)
        try:
            return members.read_at(fd, offset, length, size, method, None if method == members.PLAIN else crc,
                                   name=f"staged record {key!r} in {self._sources[source]['path']}")
        except (members.MemberError, zlib.error) as error:
            raise PlanError(f"{error}; rerun the build, which plans again from the artifacts") from error

    def _open_source(self, source: int) -> int:
        if self._sources is None:
            self._sources = read_sources(self._directory)
        entry = self._sources[source]
        fd = os.open(self._directory / entry["path"], os.O_RDONLY)
        status = os.fstat(fd)
        if (status.st_size, status.st_mtime_ns) != (entry["size"], entry["mtime_ns"]):
            os.close(fd)
            raise PlanError(
                f"staging refers to {entry['path']}, which changed after it was planned ({status.st_size} "
                f"bytes, modified {status.st_mtime_ns}, planned with {entry['size']} and "
                f"{entry['mtime_ns']}); rerun the build, which plans again from the artifacts")
        return fd

    def key(self, offset: int) -> str:
        """The key of the record at ``offset``, reading its header only."""
        key_length = _HEADER.unpack(self._read(int(offset), _HEADER.size))[1]
        return self._read(int(offset) + _HEADER.size, key_length).decode("utf-8")

    def close(self) -> None:
        self._file.close()
        for fd in self._source_fds.values():
            os.close(fd)
        self._source_fds.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_sources(directory: Path) -> list[dict]:
    """The artifacts the staged references point into: [{path (relative to ``directory``),
    size, mtime_ns}]; none for staging without references."""
    try:
        return json.loads((Path(directory) / SOURCES_FILE).read_text())
    except FileNotFoundError:
        return []


def sources_current(directory: Path) -> bool:
    """Whether every artifact the staging refers to is as it was planned (same size and
    modification time): false when one was fetched again, replaced or removed, so the
    staging must be planned again."""
    for entry in read_sources(directory):
        try:
            status = os.stat(Path(directory) / entry["path"])
        except OSError:
            return False
        if (status.st_size, status.st_mtime_ns) != (entry["size"], entry["mtime_ns"]):
            return False
    return True


def drop(directory: Path) -> int:
    """Remove a finished dataset's staged records, indexes and labels (``[convert]
    keep_staging = false``); return the bytes freed. The plan stays, so the shard counts
    and status stay readable, and so do the shards' sidecars and scans: a later repair
    plans again from the artifacts (``staged`` is false) and converts only what is missing."""
    freed = 0
    directory = Path(directory)
    names = [RECORDS_FILE, SOURCES_FILE] + [p.name for p in directory.glob("*.index.npy")] \
        + [p.name for p in directory.glob("*.labels.json")]
    for name in names:  # records.bin first: from then on ``staged`` is false
        path = directory / name
        try:
            freed += path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            pass
    return freed


def staged(directory: Path) -> bool:
    """Whether the staging is complete and still there: planned, not dropped, and every
    artifact it refers to unchanged."""
    directory = Path(directory)
    return ((directory / PLAN_FILE).exists() and (directory / RECORDS_FILE).exists()
            and sources_current(directory))


def raw_pixels(header: dict, payload: bytes, channels: int) -> np.ndarray:
    """The pixels of a record staged raw, as a (H, W) or (H, W, 3) uint8 view."""
    width, height = header["s"]
    shape = (height, width) if channels == 1 else (height, width, channels)
    return np.frombuffer(payload, dtype=np.uint8).reshape(shape)


def raw_record(record: bytes) -> tuple[int, int, bytes] | None:
    """(width, height, pixels) of a record as written to records.bin, None unless raw."""
    kind, key_length, width, height = _HEADER.unpack_from(record)
    if _KINDS[kind] != RAW:
        return None
    return width, height, record[_HEADER.size + key_length:]


def raw_stack(records: Sequence[tuple], channels: int) -> np.ndarray:
    """The pixels of raw records of one size, ``(header, payload, ...)`` each, as one
    (N, H, W) or (N, H, W, 3) uint8 array: one copy of the payloads."""
    width, height = records[0][0]["s"]
    shape = (height, width) if channels == 1 else (height, width, channels)
    size = width * height * channels
    for header, payload, *_ in records:
        if len(payload) != size:
            raise PlanError(f"staged record {header['k']!r} holds {len(payload)} bytes of pixels, "
                            f"not {size}; rerun planning")
    return np.frombuffer(b"".join(record[1] for record in records), dtype=np.uint8).reshape(len(records), *shape)


def image_bytes(header: dict, payload: bytes, channels: int, max_pixels: int) -> bytes:
    """The stored image bytes for one staged record (pass-through or PNG)."""
    if header["t"] == RAW:
        return images.png_from_array(raw_pixels(header, payload, channels))
    return images.stored_bytes(payload, channels, max_pixels)
