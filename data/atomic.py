"""Writing files so that a killed process never leaves a complete-looking one."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from data import disk_errors, ownership
from data.ownership import PARTIAL_MARK, remove_partials  # noqa: F401 - their home for callers


@contextlib.contextmanager
def atomic_path(final: Path, sync: bool = True):
    """Yield a temporary path beside ``final``; rename it into place on success only.

    The temporary name starts with a dot and carries ``.partial-``, so neither a
    listing nor a completeness check mistakes it for the real file. The writer holds
    ``final``'s lock (``data.ownership``) from before the temporary exists until it is
    renamed or deleted: a concurrent writer of the same file waits, and a temporary
    left by a killed writer is recognised by its free lock. ``sync=False`` skips the
    fsync (for a link or a symlink, which has no data of its own).
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    with ownership.owned(final, f"a writer of {final.name}") as lock:
        temporary = lock.temporary()
        try:
            with disk_errors.writing(final):  # write() and close() name no file
                yield temporary
            if sync:
                _fsync(temporary)
            os.replace(temporary, final)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            lock.mine.discard(temporary.name)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def canonical_json(obj) -> bytes:
    """JSON with sorted keys and a fixed layout: equal content gives equal bytes."""
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_path(path) as temporary:
        Path(temporary).write_text(text)


def write_json_atomic(path: Path, obj) -> None:
    with atomic_path(path) as temporary:
        Path(temporary).write_bytes(canonical_json(obj))
