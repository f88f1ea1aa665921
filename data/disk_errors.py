"""Local write failures (full disk, file-size limit, quota, read-only, permission) told
apart from everything else, with the path they happened at and what to do.

Retrying cannot cure them, so nothing retries them: a download fails at once instead of
calling a full disk a dropped connection. ``write()`` and ``close()`` raise without a
file name; ``at`` puts the path back so the paragraph a user reads names it.
"""

from __future__ import annotations

import errno
from contextlib import contextmanager
from pathlib import Path

# errno -> (what happened, what to do)
_CAUSES = {
    errno.ENOSPC: ("the disk of the data dir is full",
                   "free space there (`python -m tasks gc --delete` removes what nothing "
                   "current needs), or point [storage] data_dir (or $DATASETS_STORAGE_DIR) "
                   "at a disk with room"),
    errno.EDQUOT: ("the disk quota of the data dir is exceeded",
                   "free space within the quota or raise it, or point [storage] data_dir "
                   "(or $DATASETS_STORAGE_DIR) at a disk with room"),
    errno.EFBIG: ("the file is larger than this process may write",
                  "raise the file-size limit (`ulimit -f unlimited` in the shell that runs "
                  "the build), or move the data dir off a file system with a small maximum "
                  "file size (FAT32: 4 GiB)"),
    errno.EROFS: ("the data dir is on a read-only file system",
                  "point [storage] data_dir (or $DATASETS_STORAGE_DIR) at a writable disk, "
                  "or remount it read-write"),
    errno.EACCES: ("permission denied",
                   "give this user read and write access to the data dir (chown/chmod), or point "
                   "[storage] data_dir (or $DATASETS_STORAGE_DIR) at a folder it may write"),
    errno.EPERM: ("the operation is not permitted",
                  "give this user write access to the data dir (chown/chmod, or clear an "
                  "immutable attribute), or point [storage] data_dir (or "
                  "$DATASETS_STORAGE_DIR) elsewhere"),
}
LOCAL_ERRNOS = frozenset(_CAUSES)


def is_local(error: BaseException) -> bool:
    """A failure of the local disk or of this process's rights, not of the network."""
    return isinstance(error, OSError) and error.errno in LOCAL_ERRNOS


def at(error: OSError, path: Path | str) -> OSError:
    """``error`` with ``path`` as its file name (kept when it already names one)."""
    if error.filename is not None:
        return error
    named = type(error)(error.errno, error.strerror or str(error), str(path))
    named.__cause__ = error
    return named


@contextmanager
def writing(path: Path | str):
    """Re-raise a local write failure inside the block with ``path`` as its file name."""
    try:
        yield
    except OSError as error:
        if is_local(error) and error.filename is None:
            raise at(error, path) from error
        raise


def explain(error: OSError) -> str:
    """One paragraph: what happened, where, and what to do; finished work is kept."""
    cause, fix = _CAUSES[error.errno]
    where = f": {error.filename}" if error.filename else ""
    return (f"{cause}{where} ([Errno {error.errno}] {error.strerror}). Not retried: "
            f"retrying cannot help. To go on, {fix}, then run the same command again: "
            "finished work is kept")
