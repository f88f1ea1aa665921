"""Reading what providers publish: archive members, idx files, pickles, class folders.

Every reader streams: an archive is read once, front to back, and members are handed
over one at a time. Listings are sorted or in archive order, never filesystem order.
"""

from __future__ import annotations

import gzip
import io
import pickle
import posixpath
import struct
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

Member = tuple[str, bytes]

# Files that archive tools add and no dataset means as examples.
JUNK_NAMES = ("Thumbs.db", ".DS_Store")
JUNK_PREFIXES = ("__MACOSX/",)


def is_junk(name: str) -> bool:
    base = posixpath.basename(name)
    return base in JUNK_NAMES or base.startswith("._") or name.startswith(JUNK_PREFIXES)


def _wanted(name: str, suffixes: tuple[str, ...] | None, keep: Callable[[str], bool] | None):
    if is_junk(name):
        return False
    if suffixes and not name.lower().endswith(suffixes):
        return False
    return keep is None or keep(name)


def zip_members(
    source: Path | BinaryIO,
    suffixes: tuple[str, ...] | None = None,
    keep: Callable[[str], bool] | None = None,
) -> Iterator[Member]:
    """(name, bytes) of the zip's files in name order, skipping folders and junk."""
    with zipfile.ZipFile(source) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if not info.is_dir() and _wanted(info.filename, suffixes, keep):
                yield info.filename, archive.read(info)


def tar_members(
    source: Path | BinaryIO,
    suffixes: tuple[str, ...] | None = None,
    keep: Callable[[str], bool] | None = None,
) -> Iterator[Member]:
    """(name, bytes) of the tar's regular files in archive order, in one streaming pass.

    Compression (gz, bz2, xz or none) is detected; links and devices are skipped, so
    nothing a member says can reach outside the archive.
    """
    where = {"name": source} if isinstance(source, (str, Path)) else {"fileobj": source}
    with tarfile.open(mode="r|*", **where) as archive:
        for info in archive:
            name = info.name.removeprefix("./")
            if info.isfile() and _wanted(name, suffixes, keep):
                handle = archive.extractfile(info)
                yield name, handle.read()


def nested_member(archive: Path, member: str) -> BinaryIO:
    """A stream of one member of a zip (e.g. a tar.gz inside a zip), read lazily."""
    outer = zipfile.ZipFile(archive)
    try:
        return outer.open(member)
    except KeyError as error:
        outer.close()
        raise FileNotFoundError(f"{archive.name} has no member {member!r}") from error


def class_folder(name: str, depth: int = 1) -> str:
    """The folder ``depth`` levels above a member: the label in folder-per-class layouts."""
    parts = name.split("/")
    if len(parts) <= depth:
        raise ValueError(f"{name!r} is not inside a class folder")
    return parts[-1 - depth]


def read_idx(path: Path) -> np.ndarray:
    """An idx file (MNIST format), gzip-compressed or not, as a numpy array."""
    with open(path, "rb") as raw:
        data = raw.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    zero, dtype_code, ndim = struct.unpack_from(">HBB", data)
    if zero != 0 or dtype_code not in _IDX_DTYPES:
        raise ValueError(f"{path.name} is not an idx file (header {data[:4].hex()})")
    shape = struct.unpack_from(f">{ndim}I", data, 4)
    dtype = np.dtype(_IDX_DTYPES[dtype_code])
    expected = int(np.prod(shape)) * dtype.itemsize
    body = data[4 + 4 * ndim :]
    if len(body) != expected:
        raise ValueError(f"{path.name}: {len(body)} data bytes, header promises {expected}")
    return np.frombuffer(body, dtype=dtype).reshape(shape)


_IDX_DTYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists and numpy arrays only: a checksum-verified file still
    should not be able to run code."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
    }

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}")


def load_array_pickle(data: bytes):
    """A Python 2 pickle of arrays (as CIFAR publishes), with byte-string keys kept."""
    return _ArrayUnpickler(io.BytesIO(data), encoding="bytes").load()


def idx_pair_examples(artifacts_dir: Path, files: dict[str, tuple[str, str]]):
    """Examples of the MNIST family: per split, an (images, labels) pair of idx files.

    Keys are ``<split>/<index>`` (the record index within the official file).
    """
    from data.types import Example

    for split, (images_file, labels_file) in files.items():
        images = read_idx(artifacts_dir / images_file)
        labels = read_idx(artifacts_dir / labels_file)
        if len(images) != len(labels):
            raise ValueError(
                f"{images_file} has {len(images)} images but {labels_file} {len(labels)} labels"
            )
        for index in range(len(images)):
            yield Example(
                key=f"{split}/{index:05d}",
                image=images[index],
                label=int(labels[index]),
                split=split,
            )
