"""Small side files (split lists, label lists) that a tar holds beside its images.

A tar can only be streamed front to back, and where the lists that label the images
sit in it is the archiver's choice. ``side_files`` makes a first streaming pass that
keeps only the named members and stops as soon as it has all of them (immediately
when they are at the front; after one decompression of the archive when they are at
the back), so the image pass that follows can label and split every image as it
streams by. Nothing is unpacked to disk and no image is held in memory.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from handlers import _readers


def side_files(archive: Path, paths: Collection[str]) -> dict[str, bytes]:
    """The members at ``paths`` (a leading "./" ignored), read in one early-stopping pass.

    Raises FileNotFoundError naming the paths the archive does not hold.
    """
    wanted = set(paths)
    found: dict[str, bytes] = {}
    members = _readers.tar_members(archive, keep=lambda name: name in wanted)
    for name, data in members:
        found[name] = data
        if len(found) == len(wanted):
            members.close()
            break
    missing = sorted(wanted - set(found))
    if missing:
        raise FileNotFoundError(f"{archive.name} has no member(s) {missing}")
    return found


def lines(data: bytes) -> list[str]:
    """The non-empty lines of a text side file, line endings and trailing blanks removed."""
    return [line.rstrip() for line in data.decode("utf-8").splitlines() if line.strip()]
