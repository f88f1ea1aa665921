"""Who owns a file being written: whoever holds its lock, not whoever a PID names.

Every writer of a file ``F`` holds an exclusive ``flock`` on the sibling ``.F.lock``
for as long as it writes: while it creates ``F``'s temporaries (``.F.partial-*``), a
partial download, and until ``F`` is in place. The kernel drops the lock the moment the
writer's process ends, however it ends (SIGKILL included; a zombie holds no lock, and a
reused PID means nothing), so a lock that can be taken is proof that no one is writing:
what lies beside ``F`` unfinished is left over and may be deleted (:func:`remove_partials`,
:func:`sweep`). A second writer of the same ``F`` waits for the first (:func:`owned`),
then sees the first one's result.

The lock file is deleted by its holder just before release; a waiter that then acquires
a lock on the deleted file notices (its inode is no longer the path's) and starts again,
so two holders never coexist. A lock is re-entrant within one thread: a task that owns its
output can call code that takes the same lock again.

Scope: ``flock`` works between processes of one host on any local file system. On NFS,
Linux emulates it with byte-range locks that the server arbitrates (NFSv3 with lockd,
NFSv4 natively), so hosts sharing a data dir exclude each other too; a host that dies
keeps its locks until the server's lease ends (about 90 s on NFSv4), and a mount with
``nolock`` or ``local_lock=flock`` gives host-local locks only. File systems without any
``flock`` (some FUSE mounts) raise at the first write.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import socket
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

PARTIAL_MARK = ".partial-"
LOCK_SUFFIX = ".lock"

_registry: dict[tuple[int, int, str], Lock] = {}
_registry_guard = threading.Lock()


def lock_path(final: Path) -> Path:
    """The lock file that owns ``final`` and everything written toward it."""
    final = Path(final)
    return final.with_name(f".{final.name}{LOCK_SUFFIX}")


def partials_of(final: Path) -> list[Path]:
    final = Path(final)
    return sorted(final.parent.glob(f".{_glob_escape(final.name)}{PARTIAL_MARK}*"))


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


class Lock:
    """An exclusive flock held on ``lock_path(final)`` by this thread."""

    def __init__(self, final: Path, fd: int):
        self.final = Path(final)
        self.path = lock_path(final)
        self.fd = fd
        self.depth = 1
        self.mine: set[str] = set()  # temporaries this holder is writing right now

    def temporary(self) -> Path:
        """A fresh temporary name for ``final``, registered as this holder's own."""
        owner = f"{socket.gethostname()}-{os.getpid()}-{os.urandom(4).hex()}"
        path = self.final.with_name(f".{self.final.name}{PARTIAL_MARK}{owner}")
        self.mine.add(path.name)
        return path


def _key(final: Path) -> tuple[int, int, str]:
    return (os.getpid(), threading.get_ident(), os.path.abspath(final))


def _open_locked(path: Path, blocking: bool) -> int | None:
    """An fd holding the lock on the file now at ``path``, or None if busy (non-blocking)."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except FileNotFoundError:  # its folder was removed by the last holder (a failed plan)
            path.parent.mkdir(parents=True, exist_ok=True)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except OSError as error:
            os.close(fd)
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return None
            raise
        try:
            now = os.stat(path)
            held = os.fstat(fd)
            if (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino):
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)  # locked a file its last holder had just deleted: take the new one


def _describe_owner(path: Path) -> str:
    with contextlib.suppress(OSError):
        text = path.read_text().strip()
        if text:
            return text
    return "another process"


def _acquire(final: Path, blocking: bool, purpose: str) -> Lock | None:
    key = _key(final)
    with _registry_guard:
        held = _registry.get(key)
        if held is not None:
            held.depth += 1
            return held
    path = lock_path(final)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _open_locked(path, blocking=False)
    if fd is None:
        if not blocking:
            return None
        log.info("waiting for %s, which is writing %s", _describe_owner(path), final)
        started = time.monotonic()
        fd = _open_locked(path, blocking=True)
        log.info("%s: waited %.1fs for the other writer", final.name, time.monotonic() - started)
    # Who holds it, for the message of anyone who waits (never used to decide anything).
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{purpose or 'a writer'} (host {socket.gethostname()}, pid {os.getpid()})\n".encode(), 0)
    lock = Lock(final, fd)
    with _registry_guard:
        _registry[key] = lock
    return lock


def _release(lock: Lock) -> None:
    with _registry_guard:
        lock.depth -= 1
        if lock.depth:
            return
        _registry.pop(_key(lock.final), None)
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock.path)  # while still held: a waiter notices and starts again
    finally:
        os.close(lock.fd)


@contextlib.contextmanager
def owned(final: Path, purpose: str = ""):
    """Hold ``final``'s lock, waiting for another writer to finish first.

    After the wait, check again whether ``final`` is already there: the other writer
    may have produced it.
    """
    lock = _acquire(Path(final), True, purpose)
    try:
        yield lock
    finally:
        _release(lock)


@contextlib.contextmanager
def owned_if_free(final: Path):
    """Hold ``final``'s lock if no one else does (yield the Lock), else yield None."""
    lock = _acquire(Path(final), False, "a cleaner")
    try:
        yield lock
    finally:
        if lock is not None:
            _release(lock)


def is_owned(final: Path) -> bool:
    """True when some process (this one included) is writing ``final`` now."""
    with _registry_guard:
        if _key(Path(final)) in _registry:
            return True
    try:
        fd = os.open(lock_path(final), os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return True
        raise
    finally:
        os.close(fd)
    return False


def remove_partials(final: Path) -> list[Path]:
    """Delete the temporaries of ``final`` whose writer is gone; return them.

    Gone means ``final``'s lock is free (or held by this very thread, at a point where it
    writes no temporary of its own). A temporary of a live writer, on this host or another
    one sharing the directory through a file system with working locks, is left alone.
    """
    final = Path(final)
    removed = []
    if not partials_of(final) and not lock_path(final).exists():
        return removed
    with owned_if_free(final) as lock:
        if lock is None:
            return removed
        for leftover in partials_of(final):
            if leftover.name in lock.mine:
                continue
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
                removed.append(leftover)
    if removed:
        log.info("removed %d partial file(s) of %s left by a writer that is gone",
                 len(removed), final)
    return removed


def final_of(name: str) -> str | None:
    """The final file name a hidden temporary or lock file ``name`` is written toward."""
    if not name.startswith("."):
        return None
    if PARTIAL_MARK in name:
        return name[1:].rsplit(PARTIAL_MARK, 1)[0] or None
    if name.endswith(LOCK_SUFFIX):
        return name[1:-len(LOCK_SUFFIX)] or None
    return None


def sweep(directory: Path, recursive: bool = False) -> list[Path]:
    """Remove, in ``directory``, every temporary whose writer is gone and every lock
    file no one holds (a killed writer leaves both). Return the temporaries removed."""
    directory = Path(directory)
    finals: set[Path] = set()
    subfolders = []
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return []
    for entry in entries:
        name = final_of(entry.name)
        if name is not None:
            finals.add(directory / name)
        elif recursive and entry.is_dir(follow_symlinks=False):
            subfolders.append(Path(entry.path))
    removed = []
    for final in sorted(finals):
        removed += remove_partials(final)
    for folder in subfolders:
        removed += sweep(folder, recursive=True)
    return removed


def leftovers(root: Path) -> list[Path]:
    """Every temporary or lock file under ``root``, held or not (for checks and tests)."""
    return sorted(path for path in Path(root).rglob(".*") if final_of(path.name) is not None)
