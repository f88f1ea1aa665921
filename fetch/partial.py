"""The hidden partial file of a download: it survives a killed run, is hashed as it
grows (so a verified file is never read twice), and keeps beside it, as ``.json``, the
validators of the response its bytes came from (so a changed file is started over, not
spliced). Where it lives is the artifact store's rule (``data.artifacts.partial_path``).

Both files belong to whoever holds the artifact's lock (``ArtifactStore.writing``, taken
by ``fetch.fetch``): a second fetch of the same artifact waits instead of writing into
them, and the next owner after a killed one resumes them rather than deleting them.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from pathlib import Path

from data.artifacts import partial_path
from data.atomic import write_text_atomic
from fetch.http import CHUNK


class Partial:
    """The hidden partial file of one artifact, hashed as it grows, with the
    validators of the response its bytes came from stored beside it."""

    def __init__(self, target: Path, algorithms: tuple[str, ...]):
        self.path = partial_path(target)
        self.meta_path = self.path.with_name(self.path.name + ".json")
        self.algorithms = algorithms
        self._reset_hash()

    def _reset_hash(self) -> None:
        self._hashers = {name: hashlib.new(name) for name in self.algorithms}
        self._hashed = 0

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def validators(self) -> dict | None:
        try:
            return json.loads(self.meta_path.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def save_validators(self, validators: dict) -> None:
        write_text_atomic(self.meta_path, json.dumps(validators))

    def discard(self) -> None:
        for path in (self.path, self.meta_path):
            path.unlink(missing_ok=True)
        self._reset_hash()

    def open(self, append: bool) -> HashingWriter:
        """A writer continuing the file, or truncating it (its validators are kept)."""
        if append:
            self._catch_up()
        else:
            self._reset_hash()
        return HashingWriter(self, open(self.path, "ab" if append else "wb"))

    def digests(self) -> dict[str, str]:
        self._catch_up()
        return {name: hasher.hexdigest() for name, hasher in self._hashers.items()}

    def _catch_up(self) -> None:
        """Hash what an earlier run wrote, so a resumed file is verified whole."""
        if self._hashed == self.size():
            return
        self._reset_hash()
        if not self.path.exists():
            return
        with open(self.path, "rb") as stream:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                for hasher in self._hashers.values():
                    hasher.update(chunk)
                self._hashed += len(chunk)


class HashingWriter:
    """Writes chunks to the partial file on this thread and hashes them on others,
    one thread per algorithm.

    Hashing runs at about the speed of a fast link, so doing both in turn would halve
    the download rate; hashlib releases the GIL, so writing and each digest overlap
    (md5 and sha256 of one file no longer add up). The queues are bounded: memory
    stays flat whatever the file size.
    """

    def __init__(self, partial: Partial, out):
        self._partial, self._out = partial, out
        self._queues: list[queue.Queue] = []
        self._threads = []
        for name, hasher in partial._hashers.items():
            chunks: queue.Queue = queue.Queue(maxsize=16)
            thread = threading.Thread(target=self._hash, args=(hasher, chunks),
                                      name=f"fetch-{name}", daemon=True)
            thread.start()
            self._queues.append(chunks)
            self._threads.append(thread)

    @staticmethod
    def _hash(hasher, chunks: queue.Queue) -> None:
        while (chunk := chunks.get()) is not None:
            hasher.update(chunk)

    def write(self, chunk: bytes) -> None:
        self._out.write(chunk)
        for chunks in self._queues:
            chunks.put(chunk)
        self._partial._hashed += len(chunk)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        try:
            self._out.close()
        finally:
            for chunks in self._queues:
                chunks.put(None)
            for thread in self._threads:
                thread.join()
