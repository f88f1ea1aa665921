"""The artifact store: ``artifacts/`` and every rule about what lies in it.

Layout (all of it decided here, nowhere else)::

    artifacts/.by-sha256/<hex>              each verified file once, named by its sha256
    artifacts/<source>/<file>               a hard link to it (a relative symlink where
                                            the filesystem refuses hard links)
    artifacts/<source>/.<file>.sha256       the record: ``sha256sum`` format, plus a
                                            ``# verified against md5:<hex>`` line when the
                                            checksum that applied was not a sha256
    artifacts/<source>/.<file>.download     a partial download (and ``.json``: the
                                            validators of the response it came from)
    artifacts/<source>/.<file>.lock         held by whoever fetches <file> right now
                                            (``writing``; see data/ownership.py)
    artifacts/<source>/<file>.rejected-<digest prefix>     bytes that failed verification
    artifacts/<source>/<file>.superseded-<sha256 prefix>   verified against an older checksum

An artifact shared by several datasets is therefore stored and verified once, and a
dataset's folder is only names. Stores written before the blob layer (plain files with a
record, and a ``.<file>.expected`` pin) are adopted on first use, without rehashing: the
record says what the bytes were verified as.

Which checksum applies (:meth:`ArtifactStore.applicable`): the ``[fetch]`` override,
else the handler's, else the sha256 recorded at the first fetch (unless refreshing).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from data import ownership
from data.atomic import atomic_path, write_text_atomic

log = logging.getLogger(__name__)

BLOBS = ".by-sha256"
REJECTED = ".rejected-"
SUPERSEDED = ".superseded-"
PIN_PREFIX = "# verified against "
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Checksum:
    """The checksum a file must match, and where it comes from (for messages)."""

    algorithm: str
    digest: str
    origin: str
    published: bool  # the handler's or an override, not a recorded first fetch

    @property
    def pin(self) -> str:
        return f"{self.algorithm}:{self.digest}"


def record_path(target: Path) -> Path:
    """The sha256 record of an accepted artifact (``sha256sum -c`` reads it)."""
    return Path(target).with_name(f".{Path(target).name}.sha256")


def partial_path(target: Path) -> Path:
    """Where a download of ``target`` grows until it is verified."""
    return Path(target).with_name(f".{Path(target).name}.download")


def _legacy_pin_path(target: Path) -> Path:
    return Path(target).with_name(f".{Path(target).name}.expected")


def _record_lines(target: Path) -> list[str]:
    try:
        return record_path(target).read_text().splitlines()
    except FileNotFoundError:
        return []


def recorded_sha256(target: Path) -> str | None:
    """The sha256 recorded when ``target`` was accepted, or None."""
    lines = _record_lines(target)
    digest = lines[0].split(maxsplit=1)[0] if lines and lines[0].strip() else ""
    return digest if _SHA256.fullmatch(digest) else None


def pinned(target: Path) -> str | None:
    """``algorithm:digest`` of the checksum ``target`` was verified against, or None."""
    sha256 = recorded_sha256(target)
    for line in _record_lines(target)[1:]:
        if line.startswith(PIN_PREFIX):
            return line[len(PIN_PREFIX):].strip()
    with contextlib.suppress(FileNotFoundError):
        return _legacy_pin_path(target).read_text().strip() or None
    return f"sha256:{sha256}" if sha256 else None


class ArtifactStore:
    """One ``artifacts/`` folder: where files go and whether they can be trusted."""

    def __init__(self, root: Path):
        self.root = Path(root)

    @classmethod
    def holding(cls, target: Path) -> ArtifactStore:
        """The store ``artifacts/<source>/<file>`` belongs to."""
        return cls(Path(target).parent.parent)

    def path(self, source: str, file: str) -> Path:
        return self.root / source / file

    def blob(self, sha256: str) -> Path:
        return self.root / BLOBS / sha256

    @contextlib.contextmanager
    def writing(self, target: Path):
        """Own ``target`` while fetching it: a second fetch of the same file, by another
        build or worker, waits here until the first is done, then finds it verified.

        The partial download and its validators belong to whoever holds this lock, so a
        killed fetch's partial file is taken over and resumed by the next owner; the
        temporaries of killed writers in the folder and in the blobs are removed.
        """
        target = Path(target)
        with ownership.owned(target, f"a fetch of {target.parent.name}/{target.name}"):
            ownership.sweep(target.parent)
            ownership.sweep(self.root / BLOBS)
            yield

    # --- which checksum applies -------------------------------------------------------

    @staticmethod
    def applicable(target: Path, published: tuple[str, str] | None,
                   handler: tuple[str, str] | None = None, refresh: bool = False) -> Checksum | None:
        """The checksum ``target`` must match: ``published`` (the override or the
        handler's; ``handler`` tells them apart), else the sha256 recorded at the first
        fetch unless ``refresh``; None when nothing is known."""
        if published is not None:
            override = handler is not None and tuple(published) != tuple(handler)
            return Checksum(*published, "a [fetch] checksum override" if override else "the handler",
                            True)
        recorded = recorded_sha256(target)
        if recorded and not refresh:
            return Checksum("sha256", recorded,
                            f"the first fetch, recorded in {record_path(target).name}", False)
        return None

    def verified(self, target: Path, published: tuple[str, str] | None) -> bool:
        """True when ``target`` was accepted, against ``published`` if there is one
        (cheap: a few stats). A plain file of an older store is adopted on the way."""
        target = Path(target)
        sha256 = recorded_sha256(target)
        if sha256 is None or not target.exists():
            return False
        wanted = f"{published[0]}:{published[1]}" if published else None
        if wanted not in (None, f"sha256:{sha256}", pinned(target)):
            return False
        self._adopt_plain(target, sha256)
        return True

    # --- verdicts ---------------------------------------------------------------------

    def accept(self, target: Path, path: Path, sha256: str, checked: Checksum | None,
               move: bool = True) -> None:
        """Store the verified bytes at ``path`` by their sha256 and make ``target`` a
        link to them, with its record. ``move`` removes ``path`` (a temporary) once
        stored; a file adopted where it lies (``path`` is ``target``) is not moved."""
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        blob = self._store_blob(Path(path), sha256, move)
        lines = [f"{sha256}  {target.name}"]
        if checked is not None and checked.algorithm != "sha256":
            lines.append(PIN_PREFIX + checked.pin)
        write_text_atomic(record_path(target), "\n".join(lines) + "\n")
        if blob is not None:
            _link(blob, target)
        elif Path(path) != target:
            (os.replace if move else shutil.copyfile)(path, target)
        _legacy_pin_path(target).unlink(missing_ok=True)

    @staticmethod
    def reject(path: Path, target: Path, digest: str) -> Path:
        """Move bytes that failed verification aside for inspection; return where."""
        target = Path(target)
        aside = target.with_name(f"{target.name}{REJECTED}{digest[:12]}")
        os.replace(path, aside)
        return aside

    @staticmethod
    def supersede(target: Path) -> Path:
        """Move a file verified against another checksum aside (fetched anew after)."""
        target = Path(target)
        aside = target.with_name(f"{target.name}{SUPERSEDED}{(recorded_sha256(target) or 'unknown')[:12]}")
        os.replace(target, aside)
        record_path(target).unlink(missing_ok=True)
        _legacy_pin_path(target).unlink(missing_ok=True)
        return aside

    @staticmethod
    def forget(target: Path) -> None:
        """Drop the record of ``target`` (a file placed unverified must be checked)."""
        record_path(target).unlink(missing_ok=True)
        _legacy_pin_path(target).unlink(missing_ok=True)

    # --- the blobs --------------------------------------------------------------------

    def _store_blob(self, path: Path, sha256: str, move: bool) -> Path | None:
        """The blob holding ``path``'s bytes, placed there from ``path`` if new; None
        when the store cannot hold blobs (then ``target`` stays a plain file)."""
        blob = self.blob(sha256)
        try:
            blob.parent.mkdir(parents=True, exist_ok=True)
            if not blob.exists():
                try:
                    os.link(path, blob)
                except FileExistsError:
                    pass
                except OSError as error:
                    if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                        raise
                    # A copy is written beside the blob and renamed into place: a
                    # killed copy never sits under the digest's name.
                    with atomic_path(blob) as temporary:
                        shutil.copyfile(path, temporary)
            if move and path != blob:
                path.unlink()
            return blob
        except OSError as error:
            log.debug("artifact blob %s not stored: %s", blob, error)
            return None

    def _adopt_plain(self, target: Path, sha256: str) -> None:
        """Bring a verified plain file (an older store) under the blobs; best effort."""
        if target.is_symlink():
            return
        blob = self.blob(sha256)
        try:
            if blob.exists() and _same_file(target, blob):
                return
            pin = pinned(target)
            if blob.exists():
                _link(blob, target)
            else:
                blob.parent.mkdir(parents=True, exist_ok=True)
                os.link(target, blob)
            if _legacy_pin_path(target).exists():
                lines = [f"{sha256}  {target.name}"]
                if pin and not pin.startswith("sha256:"):
                    lines.append(PIN_PREFIX + pin)
                write_text_atomic(record_path(target), "\n".join(lines) + "\n")
                _legacy_pin_path(target).unlink()
        except OSError as error:  # a read-only store still works, unshared
            log.debug("could not adopt %s into the blobs: %s", target, error)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except FileNotFoundError:
        return False


def _link(blob: Path, target: Path) -> None:
    """Make ``target`` name ``blob`` atomically: a hard link, else a relative symlink."""
    with atomic_path(target, sync=False) as temporary:
        try:
            os.link(blob, temporary)
        except OSError:
            temporary.symlink_to(os.path.relpath(blob, target.parent))
