"""PNGs of the staged raw records, encoded by helper processes while planning reads.

Planning is one reader: it streams each archive once, and with ``--workers 2`` the
other core idled until conversion began. Encoding a raw record as PNG (a third of
conversion's work on small images) does not depend on the shard the record lands in,
so while the reader stages the records, ``Encoder`` sends runs of raw records of one
size to helper processes (one per other worker), and encodes itself a run that finds
every helper busy (so the work splits by the speed each side gets); each appends its
PNGs to its own ``pngs-<i>.bin`` beside ``records.bin``, and ``pngs.index.npy`` then
maps every record's offset in records.bin to (file, offset, length). Conversion takes a record's
PNG from there (``EncodedPngs``) and encodes only what is missing, with the same
function (``images.pngs_from_stack``: an image's bytes do not depend on the other
images of its stack), so the shards are the same bytes with or without helpers.
Runs a helper has not started when the reader is done are dropped, not waited for:
the CIFAR replica's reader used to wait 0.30-0.34 s, its other core idle, for a backlog
of about 6,000 records, which conversion now encodes with both cores.

The same helpers hash passed-through JPEGs for the validation scan (the luma decode at
1/8 scale behind their dHashes is most of a photo's conversion) while the reader plans
a zip of photos, which leaves the other cores idle: a run of JPEGs goes to a helper with
a free slot, else is left to conversion, and runs not started when the reader is done
are dropped (a photo planning's reader is the slower side: 2,500 of the 20,000 replica
photos get hashed meanwhile). ``JpegHashes`` gives conversion what the helpers found,
by record offset; the scan then records exactly what it would have computed.

The records file keeps the pixels: conversion still hands them to the statistics and
the validation scan without decoding anything. The PNGs are a cache for the first
conversion: a helper that fails costs a warning, and conversion encodes; once the
dataset is complete they are removed (``discard``), so staging takes no more disk than
before, and a shard converted again later encodes its own.
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import multiprocessing
import os
import struct
from array import array
from pathlib import Path

import numpy as np

from data import images, staging
from data.atomic import Writeback, atomic_path
from data.images import JPEG_SIGNATURE
from data.validation.scan import SCAN_VERSION

log = logging.getLogger(__name__)

INDEX_FILE = "pngs.index.npy"
# The validation hashes of passed-through JPEGs, by record offset (see JpegHashes).
HASHES_FILE = f"jpeg-hashes-v{SCAN_VERSION}.npy"

# A run sent to a helper: this many records at most, or this many bytes of pixels. Runs
# travel through memory shared with the helper, SLOTS of them per helper at once (a pipe
# would cut each into 64 KiB pieces, a wake-up each, which a loaded machine makes slow);
# the pipe carries only which slot holds what. Twelve slots (24 MB) keep a helper busy
# while the reader inflates and unpickles the next batch of a CIFAR-like archive (four
# left it idle 40% of planning: 2.79 s against 2.46 s for the 60,000-image replica;
# more leave conversion more of the work, as the backlog is dropped at the end).
_RUN_RECORDS, _RUN_BYTES, _SLOTS = 512, 2 << 20, 12
_RUN_JPEGS = 64  # a run of JPEGs to hash: this many at most (or _RUN_BYTES)
_SLOT_BYTES = 8 * _RUN_RECORDS + _RUN_BYTES + (1 << 16)  # offsets, pixels (+ one record)
_RUN_HEAD = struct.Struct("<IIIII")  # slot, count, height, width, channels


def pngs_file(number: int) -> str:
    return f"pngs-{number}.bin"


class _Writer:
    """Appends the PNGs of runs to one file, and keeps (record offset, PNG offset,
    length) rows."""

    def __init__(self, out):
        self.out, self.rows, self.position = out, array("Q"), 0  # 24 bytes a record

    def write(self, offsets: list[int], stack: np.ndarray) -> None:
        for offset, png in zip(offsets, images.pngs_from_stack(stack), strict=True):
            self.out.write(png)
            self.rows.extend((offset, self.position, len(png)))
            self.position += len(png)

    def index(self) -> np.ndarray:
        return np.frombuffer(self.rows, dtype=np.uint64).reshape(-1, 3)


def _helper(connection, slots: mmap.mmap, path: Path) -> None:
    """A helper's loop: a run's slot in, its PNGs appended to ``path`` (or, for a run of
    JPEGs, their hashes kept), the slot handed back; at the end (an empty message) it
    answers with its index rows, then its hash rows."""
    hashes = _JpegHasher()
    with open(path, "wb", buffering=1 << 20) as out:
        writer = _Writer(out)
        while message := connection.recv_bytes():
            slot, count, height, width, channels = _RUN_HEAD.unpack(message)
            start = slot * _SLOT_BYTES
            offsets = np.frombuffer(slots, np.uint64, count, start).tolist()
            if not height:  # JPEGs: their lengths, then their bytes
                lengths = np.frombuffer(slots, np.uint64, count, start + 8 * count).tolist()
                position, jpegs = start + 16 * count, []
                for length in lengths:
                    jpegs.append(slots[position:position + length])
                    position += length
                connection.send_bytes(b"")
                if not slots[len(slots) - 1]:  # unless the reader is done and waits
                    hashes.add(offsets, jpegs, "L" if channels == 1 else "RGB")
                continue
            if slots[len(slots) - 1]:  # the reader is done: conversion encodes the rest
                connection.send_bytes(b"")
                continue
            shape = (count, height, width) + ((channels,) if channels > 1 else ())
            stack = np.frombuffer(slots, np.uint8, int(np.prod(shape)), start + 8 * count).reshape(shape)
            stack = stack.copy()  # the slot is free again as soon as it is read
            connection.send_bytes(b"")
            writer.write(offsets, stack)
    connection.send_bytes(writer.index().tobytes())
    connection.send_bytes(hashes.rows().tobytes())


class _JpegHasher:
    """The validation hashes of passed-through JPEGs (``hashing.jpeg_hashes``), as rows
    (record offset, exact hash, horizontal dHash, vertical dHash, has dHashes, width,
    height); a JPEG that route does not take (another kind, not valid) gets no row."""

    def __init__(self):
        self._rows = array("Q")

    def add(self, offsets: list[int], jpegs: list[bytes], mode: str) -> None:
        from data.validation.hashing import jpeg_hashes

        for offset, data in zip(offsets, jpegs, strict=True):
            try:
                found = jpeg_hashes(data, mode)
            except Exception:  # noqa: BLE001 - not valid: conversion hashes it again and says why
                continue
            if found is not None:
                exact, dhashes, (width, height) = found
                self._rows.extend((offset, int(exact, 16), *(dhashes or (0, 0)), dhashes is not None, width, height))

    def rows(self) -> np.ndarray:
        return np.frombuffer(self._rows, dtype=np.uint64).reshape(-1, 7)


class _Helper:
    """One helper process, its shared slots and its pipe."""

    def __init__(self, context, path: Path):
        # Anonymous, shared with the fork; the last byte set means "the reader is done":
        # runs not yet started are dropped (conversion encodes or hashes those).
        self.slots = mmap.mmap(-1, _SLOTS * _SLOT_BYTES + 1)
        self.connection, theirs = context.Pipe()
        self.process = context.Process(target=_helper, args=(theirs, self.slots, path), daemon=True)
        self.process.start()
        theirs.close()
        self.sent = self.freed = 0

    def has_room(self) -> bool:
        """True when a slot is free (the helper's answers read without waiting)."""
        while self.sent > self.freed and self.connection.poll():
            self.connection.recv_bytes()
            self.freed += 1
        return self.sent - self.freed < _SLOTS

    def send(self, head: tuple[int, int, int], offsets: list[int], pixels: list[bytes],
             lengths: list[int] | None = None) -> None:
        """A run: raw pixels of one size (``head``: height, width, channels), or JPEGs
        (height 0, with their ``lengths``)."""
        if self.sent - self.freed >= _SLOTS:
            self.connection.recv_bytes()  # waits while every slot is being encoded: bounded
            self.freed += 1
        slot = self.sent % _SLOTS
        start = slot * _SLOT_BYTES
        table = np.array(offsets + (lengths or []), dtype=np.uint64).tobytes()
        self.slots[start:start + len(table)] = table
        position = start + len(table)
        for piece in pixels:
            self.slots[position:position + len(piece)] = piece
            position += len(piece)
        self.connection.send_bytes(_RUN_HEAD.pack(slot, len(offsets), *head))
        self.sent += 1

    def hurry(self) -> None:
        """The reader is done: runs not yet started are dropped, not waited for."""
        self.slots[len(self.slots) - 1] = 1

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        """(PNG index rows, JPEG hash rows), once every run sent is done."""
        while self.freed < self.sent:
            self.connection.recv_bytes()
            self.freed += 1
        self.connection.send_bytes(b"")
        index = np.frombuffer(self.connection.recv_bytes(), np.uint64).reshape(-1, 3)
        return index, np.frombuffer(self.connection.recv_bytes(), np.uint64).reshape(-1, 7)

    def stop(self) -> None:
        self.process.kill()
        self.process.join()
        self.connection.close()
        self.slots.close()


class Encoder:
    """Encodes the raw records shown to it (``add_record``, staging's ``on_record``) in
    ``processes`` helper processes; with none it does nothing, and conversion encodes.
    A context manager: leaving it without an error writes the index once every helper
    is done; with an error, the helpers are stopped and nothing is left behind."""

    def __init__(self, directory: Path, channels: int, processes: int, hash_jpegs: bool = False):
        self.directory, self.channels, self.processes = Path(directory), channels, max(processes, 0)
        self.hash_jpegs = hash_jpegs
        self._helpers: list[_Helper] = []
        self._sent = 0
        self._run: list[bytes] = []
        self._run_offsets: list[int] = []
        self._run_size: tuple[int, int] | None = None
        self._run_bytes = 0
        self._jpegs: list[bytes] = []
        self._jpeg_offsets: list[int] = []
        self._jpeg_bytes = 0

    def __enter__(self) -> Encoder:
        # An index left by an earlier, unfinished planning is not this one's.
        (self.directory / INDEX_FILE).unlink(missing_ok=True)
        (self.directory / HASHES_FILE).unlink(missing_ok=True)
        self._stack = contextlib.ExitStack()
        context = multiprocessing.get_context("fork")  # the encoder is already imported
        files = []
        for number in range(self.processes):
            files.append(self._stack.enter_context(atomic_path(self.directory / pngs_file(number))))
            helper = _Helper(context, files[-1])
            self._helpers.append(helper)
            self._stack.callback(helper.stop)
        for temporary in files:
            # Flushed while they grow, by threads started once no more helpers are forked
            # (stopped before the fsync at their rename: the stack unwinds last in, first out).
            self._stack.callback(Writeback(temporary).finish)
        if self._helpers:
            # The reader's own file: a run that finds every helper busy is encoded here
            # rather than waited for, so the reader and the helpers share the work
            # whichever is faster (which file holds a PNG changes nothing in the shards).
            temporary = self._stack.enter_context(atomic_path(self.directory / pngs_file(self.processes), writeback=True))
            self._own = _Writer(self._stack.enter_context(open(temporary, "wb", buffering=1 << 20)))
        return self

    def add_record(self, offset: int, record: bytes, image=None) -> None:
        """The record written at ``offset`` in records.bin (encoded when raw); ``image``,
        the example's image (hashed when it is a JPEG passed through, ``hash_jpegs``)."""
        if not self._helpers:
            return
        raw = staging.raw_record(record)
        if raw is None:
            if self.hash_jpegs and isinstance(image, bytes) and image.startswith(JPEG_SIGNATURE):
                self._add_jpeg(offset, image)
            return
        width, height, pixels = raw
        if (self._run_size != (width, height) or len(self._run) >= _RUN_RECORDS
                or self._run_bytes + len(pixels) > _RUN_BYTES):
            self._send()
            self._run_size = (width, height)
        if len(pixels) > _RUN_BYTES:
            return  # a large image: conversion encodes it (these are few, and slow anyway)
        self._run.append(pixels)
        self._run_offsets.append(offset)
        self._run_bytes += len(pixels)

    def _send(self) -> None:
        if not self._run or not self._helpers:
            return
        width, height = self._run_size
        count = len(self._helpers)
        turn = [self._helpers[(self._sent + i) % count] for i in range(count)]
        helper = None
        try:
            helper = next((candidate for candidate in turn if candidate.has_room()), None)
            if helper is not None:
                helper.send((height, width, self.channels), self._run_offsets, self._run)
        except (OSError, EOFError):
            self._give_up(f"PNG helper {helper.process.pid if helper else ''} stopped")
        if helper is None and self._helpers:
            shape = (len(self._run), height, width) + ((self.channels,) if self.channels > 1 else ())
            self._own.write(self._run_offsets, np.frombuffer(b"".join(self._run), np.uint8).reshape(shape))
        self._sent += 1
        self._run, self._run_offsets, self._run_bytes = [], [], 0

    def _add_jpeg(self, offset: int, data: bytes) -> None:
        if len(data) > _RUN_BYTES // 2:
            return  # conversion hashes it
        if len(self._jpegs) >= _RUN_JPEGS or self._jpeg_bytes + len(data) > _RUN_BYTES:
            self._send_jpegs()
        self._jpegs.append(data)
        self._jpeg_offsets.append(offset)
        self._jpeg_bytes += len(data)

    def _send_jpegs(self) -> None:
        """Hand the run of JPEGs to a helper with a free slot; with none, drop it: the
        reader is the slower side of a photo planning, so conversion hashes those."""
        if self._jpegs and self._helpers:
            helper = next((candidate for candidate in self._helpers if candidate.has_room()), None)
            try:
                if helper is not None:
                    helper.send((0, 0, self.channels), self._jpeg_offsets, self._jpegs,
                                [len(data) for data in self._jpegs])
            except (OSError, EOFError):
                self._give_up(f"helper {helper.process.pid if helper else ''} stopped")
        self._jpegs, self._jpeg_offsets, self._jpeg_bytes = [], [], 0

    def _give_up(self, why: str) -> None:
        log.warning("%s; conversion encodes the PNGs itself", why)
        self._helpers = []

    def __exit__(self, kind, error, trace) -> None:
        if kind is None and self._helpers:
            self._send()
            self._send_jpegs()
            try:
                for helper in self._helpers:
                    helper.hurry()
                finished = [helper.finish() for helper in self._helpers]
                parts = [np.insert(index, 1, number, axis=1) for number, (index, _) in enumerate(finished)]
                parts.append(np.insert(self._own.index(), 1, len(self._helpers), axis=1))
                hashed = np.concatenate([rows for _, rows in finished])
            except (OSError, EOFError):
                self._give_up("a PNG helper stopped before it finished")
        if kind is not None or not self._helpers:
            # Unwound as by an error: the helpers' temporary files are removed.
            self._stack.__exit__(*((kind, error, trace) if kind else (_Abandoned, _Abandoned(), None)))
            return
        self._stack.close()  # the helpers' files renamed into place
        rows = np.concatenate(parts)
        # Columns (record offset, file, PNG offset, length), sorted by record offset.
        index = np.ascontiguousarray(rows[np.argsort(rows[:, 0], kind="stable")].T)
        with atomic_path(self.directory / INDEX_FILE) as temporary, open(temporary, "wb") as out:
            np.save(out, index)
        if len(hashed):
            with atomic_path(self.directory / HASHES_FILE) as temporary, open(temporary, "wb") as out:
                np.save(out, np.ascontiguousarray(hashed[np.argsort(hashed[:, 0], kind="stable")].T))


class _Abandoned(Exception):
    """Thrown into the helpers' file writers so that they keep nothing."""


def discard(directory: Path) -> int:
    """Remove the PNGs of a staging whose dataset is complete (they served its first
    conversion; a shard converted again later encodes its own): the bytes freed."""
    directory = Path(directory)
    (directory / INDEX_FILE).unlink(missing_ok=True)  # first: no reader trusts a half-removed set
    (directory / HASHES_FILE).unlink(missing_ok=True)
    freed = 0
    for path in directory.glob("pngs-*.bin"):
        freed += path.stat().st_size
        path.unlink(missing_ok=True)
    return freed


class EncodedPngs:
    """The PNGs planning encoded, by record offset; ``get`` gives None where any is
    missing (no helpers, or a staging from before), and conversion encodes those."""

    def __init__(self, directory: Path):
        self._files: list = []
        try:
            # Mapped, not loaded: a shard looks up its own rows only.
            self._records, self._numbers, self._offsets, self._lengths = np.load(
                Path(directory) / INDEX_FILE, mmap_mode="r")
            for number in range(int(self._numbers.max()) + 1 if len(self._numbers) else 0):
                self._files.append(os.open(Path(directory) / pngs_file(number), os.O_RDONLY))
        except (OSError, ValueError):
            self.close()

    def get(self, record_offsets: list[int]) -> list[bytes] | None:
        if not self._files:
            return None
        wanted = np.asarray(record_offsets, dtype=np.uint64)
        at = np.minimum(np.searchsorted(self._records, wanted), len(self._records) - 1)
        if not (self._records[at] == wanted).all():
            return None
        lengths = self._lengths[at].tolist()
        pngs = [os.pread(self._files[number], length, offset) for number, offset, length
                in zip(self._numbers[at].tolist(), self._offsets[at].tolist(), lengths, strict=True)]
        if any(len(png) != length for png, length in zip(pngs, lengths, strict=True)):
            return None  # a truncated file: encode again rather than store a cut image
        return pngs

    def close(self) -> None:
        for fd in self._files:
            os.close(fd)
        self._files = []

    def __enter__(self) -> EncodedPngs:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class JpegHashes:
    """The validation hashes planning's helpers computed for passed-through JPEGs, by
    record offset: ``get`` gives ``hashing.jpeg_hashes``'s answer, or None where none
    was computed (the reader finished first, no helpers) and conversion hashes."""

    def __init__(self, directory: Path):
        try:
            (self._records, self._exact, self._horizontal, self._vertical, self._hashed, self._width,
             self._height) = np.load(Path(directory) / HASHES_FILE, mmap_mode="r")
        except (OSError, ValueError):
            self._records = None

    def get(self, record_offset: int):
        if self._records is None or not len(self._records):
            return None
        at = int(np.searchsorted(self._records, record_offset))
        if at >= len(self._records) or int(self._records[at]) != record_offset:
            return None
        hashes = (int(self._horizontal[at]), int(self._vertical[at])) if self._hashed[at] else None
        return f"{int(self._exact[at]):016x}", hashes, (int(self._width[at]), int(self._height[at]))
