"""Garbage in the data dir: what nothing current needs, listed with sizes, removed on request.

Garbage is, and only is (the layout it reads is ``data.artifacts``'s and ``staging/``'s):

- ``staging``: ``staging/<dataset>/<fingerprint>/`` of a fingerprint no longer current
  (changed handler, artifact or settings) or of a dataset no longer registered;
- ``unreferenced``: a blob of ``artifacts/.by-sha256/`` no name links to (counting only
  names that are not garbage themselves);
- ``rejected`` and ``superseded``: files the artifact store set aside for inspection;
- ``partial``: partial downloads and the temporaries of killed writers.

Anything written to in the last ``min_age`` seconds is "held" instead, never removed: a
build in progress writes its partial downloads and staging continuously, and links a
blob the instant it is stored.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from data.artifacts import BLOBS, REJECTED, SUPERSEDED
from data.atomic import PARTIAL_MARK

MIN_AGE = 60 * 60
PARTIAL_SUFFIXES = (".download", ".download.json", ".tmp")


@dataclass(frozen=True)
class Garbage:
    kind: str
    path: Path
    size: int  # bytes freed by removing it (a hard link to a kept blob frees nothing)
    newest: float  # the latest modification time in it


def collect(data_dir: Path, current: Callable[[str], str | None],
            min_age: float = MIN_AGE, now: float | None = None) -> tuple[list[Garbage], list[Garbage]]:
    """(removable, held): the garbage under ``data_dir``, and the part of it too recent
    to touch. ``current(dataset)`` is the dataset's staging fingerprint, or None when
    the dataset is no longer registered."""
    now = time.time() if now is None else now
    data_dir = Path(data_dir)
    found = _staging(data_dir / "staging", current) + _set_aside(data_dir / "artifacts")
    found += _unreferenced(data_dir / "artifacts", {item.path for item in found})
    found = _charge_shared_inodes(found)
    removable = [item for item in found if now - item.newest >= min_age]
    held = [item for item in found if now - item.newest < min_age]
    return sorted(removable, key=_order), sorted(held, key=_order)


def remove(items: list[Garbage]) -> int:
    """Delete ``items``; return the bytes freed."""
    freed = 0
    for item in items:
        if item.path.is_dir() and not item.path.is_symlink():
            shutil.rmtree(item.path, ignore_errors=True)
        else:
            item.path.unlink(missing_ok=True)
        freed += item.size
    return freed


def format_report(removable: list[Garbage], held: list[Garbage], data_dir: Path,
                  deleted: bool) -> str:
    lines = []
    for item in removable:
        lines.append(f"  {item.kind:<12} {_size(item.size):>10}  {item.path.relative_to(data_dir)}")
    for item in held:
        lines.append(f"  {'held':<12} {_size(item.size):>10}  {item.path.relative_to(data_dir)} "
                     f"({item.kind}, written to {_minutes(item.newest)} ago: a build may hold it)")
    total = _size(sum(item.size for item in removable))
    if not removable:
        summary = "nothing to collect"
    elif deleted:
        summary = f"removed {len(removable)} item(s), {total} freed"
    else:
        summary = f"{len(removable)} item(s), {total}; rerun with --delete to remove them"
    return "\n".join([*lines, summary])


# --- what counts as garbage ---------------------------------------------------------


def _staging(root: Path, current: Callable[[str], str | None]) -> list[Garbage]:
    found = []
    for dataset in _children(root):
        if not dataset.is_dir():
            continue
        wanted = current(dataset.name)
        for folder in _children(dataset):
            if folder.is_dir() and folder.name != wanted:
                found.append(_measure("staging", folder))
    return found


def _set_aside(root: Path) -> list[Garbage]:
    found = []
    for source in _children(root):
        if source.name == BLOBS or not source.is_dir():
            continue
        for path in _children(source):
            if REJECTED in path.name:
                found.append(_measure("rejected", path))
            elif SUPERSEDED in path.name:
                found.append(_measure("superseded", path))
            elif path.name.startswith(".") and (path.name.endswith(PARTIAL_SUFFIXES)
                                                or PARTIAL_MARK in path.name
                                                or ".link-" in path.name):
                found.append(_measure("partial", path))
    return found


def _unreferenced(root: Path, going: set[Path]) -> list[Garbage]:
    """Blobs whose every name (hard link or symlink) is garbage or gone."""
    blobs = root / BLOBS
    if not blobs.is_dir():
        return []
    referenced: set[tuple[int, int]] = set()
    for source in _children(root):
        if source.name == BLOBS or not source.is_dir():
            continue
        for path in _children(source):
            if path in going:
                continue
            try:
                info = path.stat()  # follows a symlink to its blob
            except OSError:
                continue
            referenced.add((info.st_dev, info.st_ino))
    found = []
    for blob in _children(blobs):
        info = blob.lstat()
        if blob.name.startswith("."):
            found.append(_measure("partial", blob))
        elif (info.st_dev, info.st_ino) not in referenced:
            found.append(_measure("unreferenced", blob))
    return found


def _charge_shared_inodes(found: list[Garbage]) -> list[Garbage]:
    """A file's bytes are freed only with its last name: charge them to the last listed
    name, and nothing when a name outside the list keeps them (a superseded link to a
    blob still in use)."""
    def key(item):
        if item.path.is_symlink() or not item.path.is_file():
            return None
        info = item.path.stat()
        return (info.st_dev, info.st_ino), info.st_nlink

    keys = [key(item) for item in found]
    listed = Counter(k[0] for k in keys if k)
    seen: Counter = Counter()
    charged = []
    for item, k in zip(found, keys, strict=True):
        if k:
            seen[k[0]] += 1
            last = seen[k[0]] == listed[k[0]] and listed[k[0]] >= k[1]
            item = Garbage(item.kind, item.path, item.size if last else 0, item.newest)
        charged.append(item)
    return charged


def _measure(kind: str, path: Path) -> Garbage:
    if path.is_dir() and not path.is_symlink():
        size, newest = 0, path.lstat().st_mtime
        for folder, _, files in os.walk(path):
            newest = max(newest, os.lstat(folder).st_mtime)
            for name in files:
                info = os.lstat(os.path.join(folder, name))
                size += info.st_size
                newest = max(newest, info.st_mtime)
        return Garbage(kind, path, size, newest)
    info = path.lstat()
    return Garbage(kind, path, info.st_size, info.st_mtime)


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []


def _order(item: Garbage) -> tuple[str, str]:
    return (item.kind, str(item.path))


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            break
        value /= 1024
    return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"


def _minutes(moment: float) -> str:
    return f"{max(0, int((time.time() - moment) // 60))} min"
