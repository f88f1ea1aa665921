"""PASCAL VOC devkit tars (2006, 2007): per-class image-set lists and the images they name.

A devkit tar is uncompressed, so it is indexed once and read by random access: the
small lists first, then only the images they name. A list ``ImageSets/.../<class>_<set>.txt``
names every image of the set, one per line: ``<image id> <flag>``, the flag right-aligned
in two columns (1 the class is present, -1 absent, 0 present but only "difficult").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from handlers import _readers


def devkit_tar(path: Path):
    """A reader of the tar's members by path, the tar opened and indexed once (a context
    manager giving ``read(name) -> bytes``)."""
    return _readers.indexed_tar(path)


def positives(read: Callable[[str], bytes], list_path: str, classes: Sequence[str]) -> dict[str, tuple[int, ...]]:
    """image id -> indices of the classes whose list flags it 1, for every image of the set.

    ``list_path`` has a ``{}`` where the class name goes. The lists must all name the
    same images: a devkit whose lists disagree is not what this reader understands.
    """
    found: dict[str, list[int]] = {}
    listed = None
    for index, class_name in enumerate(classes):
        name = list_path.format(class_name)
        ids = set()
        for number, line in enumerate(read(name).decode().splitlines(), 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 2 or fields[1] not in ("1", "0", "-1"):
                raise ValueError(f"{name} line {number}: expected '<id> <1|0|-1>', got {line!r}")
            ids.add(fields[0])
            found.setdefault(fields[0], [])
            if fields[1] == "1":
                found[fields[0]].append(index)
        if listed is not None and ids != listed:
            raise ValueError(f"{name} names {len(ids ^ listed)} images the other lists do not (or the reverse)")
        listed = ids
    return {image_id: tuple(labels) for image_id, labels in sorted(found.items())}


def list_bytes(flags: Mapping[str, int]) -> bytes:
    """A list file as the devkit writes it (fixtures): ``<id> <flag>``, flag right-aligned."""
    return "".join(f"{image_id} {flag:2d}\n" for image_id, flag in flags.items()).encode()
