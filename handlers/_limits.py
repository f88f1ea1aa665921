"""How far an archive may expand: the budget every archive reader spends as it decodes.

A hostile archive lies in its headers, so sizes are counted from the bytes a decoder
actually produces, and judged against the compressed bytes actually read to produce
them: a bomb is stopped after a megabyte or two of output, not after it has filled
memory. The limits are settings (``[archives]`` in luigi.cfg, read by
``data.settings.archive_limits``): ``max_uncompressed_gb`` (everything one archive may
decode to) and ``max_ratio`` (output over compressed input). A nested archive (a tar.gz
inside a zip) has a budget of its own whose output is also judged against the bytes read
from the file on disk, so nesting cannot multiply the ratio.

``Budget`` counts; ``CountedInput`` counts the compressed bytes a decoder reads;
``BoundedStream`` is a decoded stream whose reads spend the budget; ``decoded`` detects
gzip, bzip2, xz and ``compress`` (.Z) and returns a bounded stream of the content.
"""

from __future__ import annotations

import bz2
import io
import lzma
import zlib
from typing import BinaryIO

from isal import igzip, isal_zlib

# Below this much output the ratio is not judged: small text files compress very well.
RATIO_FLOOR_BYTES = 1 << 20
# Decoded streams are read from in pieces this large (a read of "everything" included).
CHUNK = 1 << 20
# A decoder reads its compressed input in steps of at most this much, so the bytes it
# has taken in (the ratio's denominator) never run far ahead of what it has decoded.
INPUT_STEP = 64 << 10

_MAGIC = {b"\x1f\x8b": "gz", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz", b"\x1f\x9d": "Z"}


class UnsafeArchiveError(ValueError):
    """An archive naming a member outside itself, or expanding without bound."""


class CorruptArchiveError(ValueError):
    """An archive that ends early or does not decompress; names the file and what to do."""


def corrupt(label: str, error: BaseException) -> CorruptArchiveError:
    return CorruptArchiveError(
        f"{label} is truncated or corrupt ({type(error).__name__}: {error}). Delete it and "
        "rerun to fetch it again, or check it with `python -m tasks doctor`"
    )


# What decoders raise on damaged input (bz2 and gzip: OSError; .Z: ValueError).
_DECODING_ERRORS = (EOFError, zlib.error, isal_zlib.error, lzma.LZMAError, OSError, ValueError)


def limits() -> tuple[int, float]:
    """(max total bytes, max ratio) in force: the settings, read on each new budget."""
    from data.settings import archive_limits

    return archive_limits()


class Budget:
    """Counts one archive's decoded output (``spend``) and the compressed bytes read to
    produce it (``take_in``), and refuses the archive once either limit is passed.

    ``member`` is the member being decoded, for the message; readers that decode a
    whole stream (tar) set it as they go. ``parent``: the budget of the archive this one
    is nested in; the output is then also judged against the outermost file's input.
    """

    def __init__(self, archive: str, compressed: int = 0, max_total: int | None = None,
                 max_ratio: float | None = None, parent: Budget | None = None):
        if max_total is None or max_ratio is None:
            total_limit, ratio_limit = limits()
            max_total = total_limit if max_total is None else max_total
            max_ratio = ratio_limit if max_ratio is None else max_ratio
        self.archive, self.compressed = archive, compressed
        self.max_total, self.max_ratio = max_total, max_ratio
        self.root = parent.root if parent is not None else self
        self.total = 0
        self.member = ""

    def take_in(self, count: int) -> None:
        self.compressed += count

    def spend(self, count: int, member: str | None = None) -> None:
        self.total += count
        if self.total > self.max_total:
            raise UnsafeArchiveError(
                f"{self.archive}: decoding member {member or self.member!r} takes the archive's "
                f"output past the limit of {self.max_total} bytes ({self.max_total / 1e9:g} GB, "
                "[archives] max_uncompressed_gb); refusing the archive before more is decoded. "
                "If the source is trusted and really that large, raise [archives] "
                "max_uncompressed_gb in luigi.cfg and run again"
            )
        if self.total > RATIO_FLOOR_BYTES:
            for budget in (self, self.root):
                if self.total > self.max_ratio * max(budget.compressed, 1):
                    self._refuse_ratio(member or self.member, budget)

    def _refuse_ratio(self, member: str, budget: Budget) -> None:
        source = "" if budget is self else f" of {budget.archive} on disk"
        raise UnsafeArchiveError(
            f"{self.archive}: member {member!r} decodes to {self.total} bytes from "
            f"{budget.compressed} compressed bytes{source}, a ratio above the limit of "
            f"{self.max_ratio:g} ([archives] max_ratio): a decompression bomb? Refusing the "
            "archive before more is decoded. If the source is trusted, raise [archives] "
            "max_ratio in luigi.cfg and run again"
        )


class CountedInput(io.RawIOBase):
    """A compressed source read in steps of at most ``INPUT_STEP``, every byte counted
    into a budget's input. ``head``: bytes already read from ``raw`` (and counted)."""

    def __init__(self, raw: BinaryIO, budget: Budget, head: bytes = b""):
        self._raw, self._budget, self._head = raw, budget, head
        self.name = getattr(raw, "name", budget.archive)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        step = INPUT_STEP if size is None or size < 0 else min(size, INPUT_STEP)
        if self._head:
            data, self._head = self._head[:step], self._head[step:]
            return data
        data = self._raw.read(step)
        self._budget.take_in(len(data))
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class BoundedStream(io.RawIOBase):
    """A decoded stream that spends its budget on every read, in pieces of at most
    ``CHUNK``: reading "everything" of a bomb stops at the limit, not after it.

    ``consumed`` (optional) tells how many compressed bytes the decoder has read so far,
    for decoders that read their input themselves (a zip member's). ``owned``: what to
    close with the stream (the file or archive it comes from). A reader given this
    stream as its source (a tar inside a zip) judges its own output against ``budget``.
    """

    def __init__(self, decoded: BinaryIO, budget: Budget, member: str = "", consumed=None,
                 name: str | None = None, owned=(), damage_is_corruption: bool = False):
        self._decoded, self.budget, self._member = decoded, budget, member
        self._consumed, self._seen, self._owned = consumed, 0, tuple(owned)
        self._damage = _DECODING_ERRORS if damage_is_corruption else ()
        self.name = name or budget.archive

    def readable(self) -> bool:
        return True

    def _piece(self, size: int) -> bytes:
        try:
            data = self._decoded.read(size)
        except self._damage as error:
            raise corrupt(self.name, error) from error
        if self._consumed is not None:
            now = self._consumed()
            self.budget.take_in(now - self._seen)
            self._seen = now
        self.budget.spend(len(data), self._member or None)
        return data

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left if negative), fewer only at the end."""
        parts, left = [], size if size is not None and size >= 0 else None
        while left is None or left > 0:
            part = self._piece(CHUNK if left is None else min(left, CHUNK))
            if not part:
                break
            parts.append(part)
            if left is not None:
                left -= len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            for thing in (self._decoded, *self._owned):
                thing.close()
        finally:
            super().close()


def compression(head: bytes) -> str | None:
    """"gz", "bz2", "xz" or "Z" from a file's first six bytes; None for anything else."""
    return next((kind for magic, kind in _MAGIC.items() if head.startswith(magic)), None)


def decoded(raw: BinaryIO, budget: Budget, member: str = "", owned=()) -> BoundedStream:
    """The content of ``raw`` (gzip, bzip2, xz, compress .Z, or plain, detected from its
    first bytes), as a bounded stream: its input counted, its output spent."""
    head = raw.read(6)
    budget.take_in(len(head))
    counted = CountedInput(raw, budget, head)
    kind = compression(head)
    if kind == "gz":
        # ISA-L inflates about three times as fast as zlib; gz is how most sources come.
        stream = igzip.IGzipFile(fileobj=counted, mode="rb")
    elif kind == "bz2":
        stream = bz2.BZ2File(counted)  # noqa: SIM115 (closed with the returned stream)
    elif kind == "xz":
        stream = lzma.LZMAFile(counted)  # noqa: SIM115
    elif kind == "Z":
        from handlers import _lzw

        stream = _lzw.open_z(counted)
    else:
        stream = counted
    return BoundedStream(stream, budget, member, owned=owned, damage_is_corruption=True)
