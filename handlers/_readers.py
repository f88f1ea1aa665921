"""Reading what providers publish: archive members, idx files, pickles, class folders,
and the pixel fingerprints that find exact duplicates among images.

Every reader streams: an archive is read once, front to back, and members are handed
over one at a time, never extracted to disk. Listings are sorted or in archive order,
never filesystem order.

The rules against hostile archives live at the end, for every member reader (``_rar``
too): ``safe_member_name`` (no absolute names, no ``..``), ``check_member_size`` (what is
read into memory at once) and ``Budget`` (total output and compression ratio, counted as
bytes are decoded).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import posixpath
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
from isal import igzip, isal_zlib
from PIL import Image

from data import members

if TYPE_CHECKING:
    from data.types import Example

Member = tuple[str, bytes]

# Files that archive tools add and no dataset means as examples.
JUNK_NAMES = ("Thumbs.db", ".DS_Store")
JUNK_PREFIXES = ("__MACOSX/",)


def is_junk(name: str) -> bool:
    base = posixpath.basename(name)
    return base in JUNK_NAMES or base.startswith("._") or name.startswith(JUNK_PREFIXES)


def wanted(name: str, suffixes: tuple[str, ...] | None, keep: Callable[[str], bool] | None) -> bool:
    """Whether a member reader hands ``name`` over: not junk, a wanted suffix, and kept."""
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
    """(name, bytes) of the zip's files in name order, skipping folders and junk.

    An archive with a member named outside itself (absolute, ``..``) is refused.
    """
    label = _label(source)  # once: a Path per member cost a tenth of a photo's read
    with contextlib.ExitStack() as stack:
        # A zip on disk is read member by member in place (``members.read_at``): its
        # members come as MemberBytes, which staging records as references, not copies.
        path = os.path.abspath(source) if isinstance(source, (str, Path)) else None
        stream = stack.enter_context(open(path, "rb")) if path else source
        archive = stack.enter_context(zipfile.ZipFile(stream))
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            safe_member_name(info.filename, label)
            if not info.is_dir() and wanted(info.filename, suffixes, keep):
                check_member_size(info.filename, info.file_size, label)
                if path and info.compress_type in (members.STORED, members.DEFLATED) and not info.flag_bits & 1:
                    yield info.filename, _zip_member_in_place(stream.fileno(), path, info, label)
                else:
                    yield info.filename, archive.read(info)


def _zip_member_in_place(fd: int, path: str, info: zipfile.ZipInfo, label: str) -> members.MemberBytes:
    """A zip member read with one ``pread`` (and inflated): its bytes and their origin."""
    name = f"{label}: {info.filename}"
    try:
        offset = members.zip_data_offset(fd, info.header_offset, name)
        origin = members.Origin(path, offset, info.compress_size, info.file_size, info.compress_type, info.CRC)
        return members.MemberBytes(members.read_at(fd, *origin[1:], name=name), origin)
    except (members.MemberError, zlib.error) as error:
        raise CorruptArchiveError(f"{error}. Delete {label} and rerun to fetch it again, or check it "
                                  "with `python -m tasks doctor`") from error


def tar_members(
    source: Path | BinaryIO,
    suffixes: tuple[str, ...] | None = None,
    keep: Callable[[str], bool] | None = None,
) -> Iterator[Member]:
    """(name, bytes) of the tar's regular files in archive order, in one streaming pass.

    Compression (gz, bz2, xz or none) is detected; links and devices are skipped, so
    nothing a member says can reach outside the archive, and an archive with a member
    named outside itself (absolute, ``..``) is refused.
    """
    label = _label(source)
    # In an uncompressed tar on disk a member's data lies at its ``offset_data``: its
    # bytes come as MemberBytes, which staging records as references, not copies.
    with _tar_stream(source) as archive:
        # tarfile's stream found no compression, and reads the file itself (not ISA-L's gzip)
        plain = (getattr(archive.fileobj, "comptype", None) == "tar"
                 and not isinstance(getattr(archive.fileobj, "fileobj", None), igzip.IGzipFile))
        path = os.path.abspath(source) if isinstance(source, (str, Path)) and plain else None
        for info in archive:
            safe_member_name(info.name, label)
            name = info.name.removeprefix("./")
            if info.isfile() and wanted(name, suffixes, keep):
                check_member_size(name, info.size, label)
                handle = archive.extractfile(info)
                data = handle.read()
                if path and not info.issparse() and len(data) == info.size:
                    data = members.MemberBytes(data, members.Origin(
                        path, info.offset_data, info.size, info.size, members.PLAIN, None))
                yield name, data


# Streamed tars are read in pieces of this size rather than tarfile's 10 KiB.
_TAR_BUFFER = 1 << 20


class CorruptArchiveError(ValueError):
    """An archive that ends early or does not decompress; names the file and what to do."""


@contextlib.contextmanager
def _tar_stream(source: Path | BinaryIO) -> Iterator[tarfile.TarFile]:
    """A streaming TarFile; a gzipped file on disk is inflated by ISA-L (about three
    times zlib's speed, and gz is how most tar sources come)."""
    try:
        with contextlib.ExitStack() as stack:
            stream = source
            if isinstance(source, (str, Path)):
                stream = stack.enter_context(open(source, "rb"))
                gzipped = stream.read(2) == b"\x1f\x8b"
                stream.seek(0)
                if gzipped:
                    stream = stack.enter_context(igzip.IGzipFile(fileobj=stream, mode="rb"))
                    yield stack.enter_context(tarfile.open(fileobj=stream, mode="r|", bufsize=_TAR_BUFFER))
                    return
            yield stack.enter_context(tarfile.open(fileobj=stream, mode="r|*", bufsize=_TAR_BUFFER))
    except (EOFError, tarfile.ReadError, zlib.error, isal_zlib.error) as error:
        raise CorruptArchiveError(
            f"{_label(source)} is truncated or corrupt ({type(error).__name__}: {error}). Delete "
            "it and rerun to fetch it again, or check it with `python -m tasks doctor`"
        ) from error


def file_bytes(path: Path) -> members.MemberBytes:
    """A plain file's bytes (an image lying as a file among the artifacts), with its origin,
    so staging records where it is instead of copying it."""
    path = os.path.abspath(path)
    with open(path, "rb") as stream:
        data = stream.read()
    return members.MemberBytes(data, members.Origin(path, 0, len(data), len(data), members.PLAIN, None))


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


def folder_label(name: str, labels: dict[str, int], archive: str, depth: int = 1) -> int:
    """The label of a member in a folder-per-class layout.

    A member outside every known class folder is an error naming the archive and the
    member: it means the layout differs from what the handler was written for.
    """
    folder = class_folder(name, depth)
    if folder not in labels:
        raise ValueError(f"{archive}: {name} is in folder {folder!r}, which is not one of the "
                         f"{len(labels)} known classes")
    return labels[folder]


def read_idx(path: Path) -> np.ndarray:
    """An idx file (MNIST format), gzip-compressed or not, as a numpy array."""
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream = igzip.IGzipFile(fileobj=raw, mode="rb") if gzipped else raw
        return read_idx_stream(stream, path.name)


_IDX_DTYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def idx_header(stream: BinaryIO, name: str) -> tuple[int, tuple[int, ...], np.dtype]:
    """(record count, record shape, element type) from the front of an idx stream."""
    head = _exactly(stream, 4, name)
    zero, dtype_code, ndim = struct.unpack(">HBB", head)
    if zero != 0 or dtype_code not in _IDX_DTYPES or ndim < 1:
        raise ValueError(f"{name} is not an idx file (header {head.hex()})")
    count, *shape = struct.unpack(f">{ndim}I", _exactly(stream, 4 * ndim, name))
    return count, tuple(shape), np.dtype(_IDX_DTYPES[dtype_code])


def iter_idx_records(stream: BinaryIO, name: str) -> Iterator:
    """An idx stream read front to back, for files too large to hold at once: first
    (count, record shape), then each record as an array."""
    count, shape, dtype = idx_header(stream, name)
    yield count, shape
    size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    for _ in range(count):
        yield np.frombuffer(_exactly(stream, size, name), dtype=dtype).reshape(shape)
    _check_idx_end(stream, name, count)


def read_idx_stream(stream: BinaryIO, name: str) -> np.ndarray:
    """A whole idx stream as one array: the payload is read at once and viewed by one
    frombuffer, not assembled record by record (that is several times slower)."""
    count, shape, dtype = idx_header(stream, name)
    size = count * int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    array = np.frombuffer(_exactly(stream, size, name), dtype=dtype).reshape((count, *shape))
    _check_idx_end(stream, name, count)
    return array


def _check_idx_end(stream: BinaryIO, name: str, count: int) -> None:
    if stream.read(1):
        raise ValueError(f"{name} holds more data than its header's {count} records")


def _exactly(stream: BinaryIO, size: int, name: str) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise ValueError(f"{name} ends early: {len(data)} of {size} bytes")
    return data


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


def pixel_digest(data: bytes, mode: str | None = None, name: str = "image") -> bytes:
    """md5 of an encoded image's decoded pixels (converted to ``mode`` if given), mode and
    size: equal for the same picture however it was compressed, so exact duplicates show.

    An image that does not decode is a ValueError naming ``name``.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            pixels = image if mode is None else image.convert(mode)
            return hashlib.md5(f"{pixels.mode}{pixels.size}".encode() + pixels.tobytes()).digest()
    except (OSError, SyntaxError, ValueError) as error:
        raise ValueError(f"{name} is not a readable image ({error}); if the provider ships it "
                         "broken, list it in the dataset's skip_members") from error


def drop_exact_duplicates(
    examples: Iterable[Example],
    mode: str | None = None,
    archive: str = "",
    exempt: Collection[str] = (),
) -> Iterator[Example]:
    """``examples`` less each whose decoded pixels (in ``mode``) and label came before: the
    first of exact duplicates is kept, as dm_nevis de-duplicates. Images are encoded bytes;
    keys in ``exempt`` (members known not to decode) pass unexamined."""
    seen: set[tuple[bytes, int | None]] = set()
    for example in examples:
        if example.key not in exempt:
            name = f"{archive}: {example.key}" if archive else example.key
            fingerprint = (pixel_digest(example.image, mode, name), example.label)
            if fingerprint in seen:
                continue
            seen.add(fingerprint)
        yield example


# --- safety against hostile archives ------------------------------------------------

# A member read into memory by zip_members/tar_members is refused above this size.
MAX_MEMBER_BYTES = 2 << 30
# A Budget's defaults (rar_members'): the whole output, and output over archive size.
MAX_EXTRACTED_BYTES = 200 << 30
MAX_COMPRESSION_RATIO = 200
# Below this much output the ratio is not judged: tiny archives of text compress well.
RATIO_FLOOR_BYTES = 1 << 20


class UnsafeArchiveError(ValueError):
    """An archive naming a member outside itself, or expanding without bound."""


def _label(source) -> str:
    return Path(source).name if isinstance(source, (str, Path)) else getattr(source, "name", "archive")


def safe_member_name(name: str, archive: str = "archive") -> str:
    """``name`` as a relative POSIX path inside the archive, or UnsafeArchiveError.

    Backslashes count as separators too (archives made on Windows use them).
    """
    if "\x00" in name:
        raise UnsafeArchiveError(f"{archive}: member name {name!r} contains a NUL byte")
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":" and name[0].isalpha()):
        raise UnsafeArchiveError(f"{archive}: member {name!r} has an absolute path; refusing the archive")
    if ".." in parts:
        raise UnsafeArchiveError(f"{archive}: member {name!r} points outside the archive (..); "
                                 "refusing the archive")
    return "/".join(part for part in parts if part not in ("", "."))


def check_member_size(name: str, size: int, archive: str) -> None:
    """Refuses a member whose declared size is too large to read into memory at once."""
    if size > MAX_MEMBER_BYTES:
        raise UnsafeArchiveError(
            f"{archive}: member {name!r} declares {size} bytes, more than the "
            f"{MAX_MEMBER_BYTES} read into memory at once; the handler must read it in pieces"
        )


class Budget:
    """Counts an archive's output as it is decoded and stops a bomb as soon as it shows:
    sizes come from the bytes produced, not from headers, which a hostile archive forges."""

    def __init__(self, archive: str, compressed: int, max_total: int, max_ratio: float):
        self.archive, self.compressed = archive, max(compressed, 1)
        self.max_total, self.max_ratio = max_total, max_ratio
        self.total = 0

    def spend(self, count: int, member: str) -> None:
        self.total += count
        if self.total > self.max_total:
            raise UnsafeArchiveError(
                f"{self.archive}: reading {member!r} takes the output past the limit of "
                f"{self.max_total} bytes; refusing the archive (raise max_total_bytes if "
                "the source is trusted)"
            )
        if self.total > RATIO_FLOOR_BYTES and self.total > self.max_ratio * self.compressed:
            raise UnsafeArchiveError(
                f"{self.archive}: {self.total} bytes out of {self.compressed} compressed by "
                f"{member!r}, a ratio above {self.max_ratio}: a zip bomb? Refusing the archive"
            )
