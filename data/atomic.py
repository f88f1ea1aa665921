"""Writing files so that a killed process never leaves a complete-looking one."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import uuid
from pathlib import Path

from data import disk_errors

PARTIAL_MARK = ".partial-"


@contextlib.contextmanager
def atomic_path(final: Path):
    """Yield a temporary path beside ``final``; rename it into place on success only.

    The temporary name starts with a dot and carries ``.partial-``, so neither a
    listing nor a completeness check mistakes it for the real file.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    owner = f"{socket.gethostname()}-{os.getpid()}"
    temporary = final.with_name(f".{final.name}{PARTIAL_MARK}{owner}-{uuid.uuid4().hex[:8]}")
    try:
        with disk_errors.writing(final):  # write() and close() name no file
            yield temporary
        _fsync(temporary)
        os.replace(temporary, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_partials(final: Path) -> None:
    """Delete temporaries that killed writers of ``final`` on this host left behind.

    A temporary whose writer is alive (another worker process), or that another host
    owns on a shared filesystem, is left alone.
    """
    final = Path(final)
    host = socket.gethostname()
    for leftover in final.parent.glob(f".{final.name}{PARTIAL_MARK}*"):
        owner = leftover.name.rsplit(PARTIAL_MARK, 1)[1]
        owner_host, _, rest = owner.rpartition("-")[0].rpartition("-")
        pid = rest
        if owner_host != host or not pid.isdigit() or _alive(int(pid)):
            continue
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def canonical_json(obj) -> bytes:
    """JSON with sorted keys and a fixed layout: equal content gives equal bytes."""
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_path(path) as temporary:
        Path(temporary).write_text(text)


def write_json_atomic(path: Path, obj) -> None:
    with atomic_path(path) as temporary:
        Path(temporary).write_bytes(canonical_json(obj))
