"""Reading what providers publish: archive members, idx files, pickles, class folders,
and the pixel fingerprints that find exact duplicates among images.

Every reader streams: an archive is read once, front to back, and members are handed
over one at a time, never extracted to disk. Listings are sorted or in archive order,
never filesystem order.

The rules against hostile archives apply to every reader here and in ``_rar``:
``safe_member_name`` (no absolute names, no ``..``), ``check_member_size`` (what is read
into memory at once) and a ``Budget`` per archive (handlers/_limits.py: total output and
compression ratio, counted as bytes are decoded, limits from ``[archives]``). Handlers
read archives only through these functions (``zip_members``, ``tar_members``,
``open_zip``, ``tar_entries``, ``indexed_tar``, ``nested_member``, ``open_decoded``):
there is no second, unguarded way in.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
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
from PIL import Image

from handlers._limits import (  # noqa: F401 (Budget, RATIO_FLOOR_BYTES: the rules' home is _limits)
    RATIO_FLOOR_BYTES,
    BoundedStream,
    Budget,
    CorruptArchiveError,
    UnsafeArchiveError,
    compression,
    corrupt,
    decoded,
)

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

    An archive with a member named outside itself (absolute, ``..``) is refused, and so
    is one that decodes past its budget.
    """
    with open_zip(source) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            safe_member_name(info.filename, archive.label)
            if not info.is_dir() and wanted(info.filename, suffixes, keep):
                yield info.filename, archive.read(info)


# Zip members declaring at most this many bytes are read at once (see BoundedZip.read).
_ONE_READ = 1 << 20
# The methods whose decoding zipfile itself bounds by the requested size.
_BOUNDED_BY_ZIPFILE = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


class BoundedZip:
    """A zip whose members are decoded under one budget: the way to read a zip's
    members by name (``open_zip``). Each member's decoded bytes are counted against the
    compressed bytes read for them, so a bomb stops a megabyte or two in."""

    def __init__(self, source: Path | BinaryIO, parent: Budget | None = None):
        self.label = _label(source)  # once: a Path per member cost a tenth of a photo's read
        self._zip = zipfile.ZipFile(source)
        self.budget = Budget(self.label, parent=parent)

    def infolist(self) -> list[zipfile.ZipInfo]:
        return self._zip.infolist()

    def namelist(self) -> list[str]:
        return self._zip.namelist()

    def getinfo(self, name: str) -> zipfile.ZipInfo:
        return self._zip.getinfo(name)

    def _info(self, member: str | zipfile.ZipInfo) -> zipfile.ZipInfo:
        try:
            return member if isinstance(member, zipfile.ZipInfo) else self._zip.getinfo(member)
        except KeyError:
            raise FileNotFoundError(f"{self.label} has no member {member!r}") from None

    def open(self, member: str | zipfile.ZipInfo, owned=()) -> BoundedStream:
        """A bounded stream of one member; a missing one is FileNotFoundError."""
        info = self._info(member)
        check_member_size(info.filename, info.file_size, self.label)
        if info.compress_type == zipfile.ZIP_BZIP2:
            return self._bzip2(info, owned)
        if info.compress_type not in _BOUNDED_BY_ZIPFILE:
            raise UnsafeArchiveError(
                f"{self.label}: member {info.filename!r} uses compression method "
                f"{info.compress_type}, which zipfile decodes without any bound on its output; "
                "only stored, deflate and bzip2 members are read (recompress the zip)")
        handle = self._zip.open(info)
        return BoundedStream(handle, self.budget, info.filename, consumed=lambda: _zip_consumed(info, handle),
                             name=f"{self.label}:{info.filename}", owned=owned)

    def _bzip2(self, info: zipfile.ZipInfo, owned) -> BoundedStream:
        """zipfile hands a bzip2 member's whole compressed input to the decoder at once (a
        bomb expands fully in one call), so its raw bytes are read as stored and decoded
        here, in bounded steps."""
        raw_info = zipfile.ZipInfo(info.filename, info.date_time)
        raw_info.header_offset, raw_info.flag_bits = info.header_offset, info.flag_bits
        raw_info.compress_type = zipfile.ZIP_STORED
        raw_info.compress_size = raw_info.file_size = info.compress_size
        raw = self._zip.open(raw_info)  # no CRC on raw_info: the decoded bytes are checked by read()
        return decoded(raw, self.budget, info.filename, owned=(raw, *owned))

    def read(self, member: str | zipfile.ZipInfo) -> bytes:
        info = self._info(member)
        if info.compress_type == zipfile.ZIP_BZIP2:
            with self.open(info) as stream:
                data = stream.read(info.file_size + 1)
            if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
                raise zipfile.BadZipFile(f"{self.label}: member {info.filename!r} is damaged "
                                         "(size or CRC-32 differs from its header)")
            return data
        if info.file_size > _ONE_READ or info.compress_type not in _BOUNDED_BY_ZIPFILE:
            with self.open(info) as stream:
                return stream.read()
        # Small members (most: photos) in one read, counted after it: zipfile never
        # decodes past the declared size, so at most _ONE_READ bytes go uncounted a while.
        check_member_size(info.filename, info.file_size, self.label)
        with self._zip.open(info) as handle:
            data = handle.read()
            self.budget.take_in(_zip_consumed(info, handle))
        self.budget.spend(len(data), info.filename)
        return data

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> BoundedZip:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _zip_consumed(info: zipfile.ZipInfo, handle) -> int:
    """How many of a member's compressed bytes its decoder has used so far: read from the
    file, less what waits undecoded (zipfile's own bookkeeping; without it, the whole
    member counts at once and only the archive-wide limits are exact)."""
    left = getattr(handle, "_compress_left", 0)
    waiting = getattr(getattr(handle, "_decompressor", None), "unconsumed_tail", b"") or b""
    return info.compress_size - left - len(waiting)


def open_zip(source: Path | BinaryIO) -> BoundedZip:
    """A zip to read members of by name, under a budget (close it, or use ``with``)."""
    return BoundedZip(source, parent=getattr(source, "budget", None))


def tar_members(
    source: Path | BinaryIO,
    suffixes: tuple[str, ...] | None = None,
    keep: Callable[[str], bool] | None = None,
) -> Iterator[Member]:
    """(name, bytes) of the tar's regular files in archive order, in one streaming pass.

    Compression (gz, bz2, xz, .Z or none) is detected; links and devices are skipped, so
    nothing a member says can reach outside the archive, and an archive with a member
    named outside itself (absolute, ``..``) is refused, and so is one that decodes past
    its budget (everything decoded counts, members read past included).
    """
    with tar_entries(source) as entries:
        yield from entries.members(suffixes, keep)


# Streamed tars are read in pieces of this size rather than tarfile's 10 KiB.
_TAR_BUFFER = 1 << 20


class TarEntries:
    """A tar's entries in archive order, streamed once under a budget (``tar_entries``):
    each name checked, sparse members (holes a reader would fill with zeros, without
    bound) refused. ``read(info)`` gives a regular member's bytes."""

    def __init__(self, archive: tarfile.TarFile, budget: Budget):
        self._archive, self.budget, self.label = archive, budget, budget.archive

    def __iter__(self) -> Iterator[tarfile.TarInfo]:
        entries = iter(self._archive)
        while True:
            try:
                info = next(entries, None)
            except (EOFError, tarfile.ReadError) as error:
                raise corrupt(self.label, error) from error
            if info is None:
                return
            self.budget.member = info.name
            safe_member_name(info.name, self.label)
            if info.issparse():
                raise UnsafeArchiveError(f"{self.label}: member {info.name!r} is a sparse file; "
                                         "no dataset ships those, refusing the archive")
            yield info

    def read(self, info: tarfile.TarInfo) -> bytes:
        try:
            return self._archive.extractfile(info).read()
        except (EOFError, tarfile.ReadError) as error:
            raise corrupt(self.label, error) from error

    def members(self, suffixes: tuple[str, ...] | None = None,
                keep: Callable[[str], bool] | None = None) -> Iterator[Member]:
        """(name, bytes) of the regular files, as ``tar_members`` gives them."""
        for info in self:
            name = info.name.removeprefix("./")
            if info.isfile() and wanted(name, suffixes, keep):
                check_member_size(name, info.size, self.label)
                yield name, self.read(info)

    def nested(self, name: str, data: bytes) -> BinaryIO:
        """A member's bytes as the source of a reader of the archive inside it (a .tar.Z in
        a tar.gz), judged against this archive's file on disk too."""
        stream = io.BytesIO(data)
        stream.name, stream.budget = f"{self.label}:{name}", self.budget
        return stream


@contextlib.contextmanager
def tar_entries(source: Path | BinaryIO) -> Iterator[TarEntries]:
    """A tar (compression detected) streamed once, its decoded bytes counted against the
    budget of the archive; a stream from ``nested_member`` is judged against its outer
    archive too. Truncation and corruption are ``CorruptArchiveError`` naming the file."""
    label = _label(source)
    with contextlib.ExitStack() as stack:
        raw = stack.enter_context(open(source, "rb")) if isinstance(source, (str, Path)) else source
        budget = Budget(label, parent=getattr(source, "budget", None))
        stream = stack.enter_context(decoded(raw, budget))
        try:
            archive = stack.enter_context(tarfile.open(fileobj=stream, mode="r|", bufsize=_TAR_BUFFER))
        except (EOFError, tarfile.ReadError) as error:
            raise corrupt(label, error) from error
        yield TarEntries(archive, budget)


class IndexedTar:
    """An uncompressed tar's regular members by path: ``names``, and ``read(name)`` (or
    the object called with the name) giving a member's bytes under the archive's budget."""

    def __init__(self, label: str, archive: tarfile.TarFile, members: dict[str, tarfile.TarInfo]):
        self.label, self._archive, self._members = label, archive, members
        self.names = frozenset(members)
        self.budget = Budget(label)

    def read(self, name: str) -> bytes:
        if name not in self._members:
            raise FileNotFoundError(f"{self.label} has no member {name!r}")
        info = self._members[name]
        check_member_size(name, info.size, self.label)
        data = self._archive.extractfile(info).read()
        self.budget.take_in(len(data))  # stored as is: the ratio is 1, the total counts
        self.budget.spend(len(data), name)
        return data

    __call__ = read


@contextlib.contextmanager
def indexed_tar(path: Path) -> Iterator[IndexedTar]:
    """An uncompressed tar indexed once and read by random access, for sources read out
    of archive order. A compressed tar cannot be read that way: it is refused (read it
    with ``tar_members``)."""
    path = Path(path)
    with open(path, "rb") as raw:
        head = raw.read(6)
        if compression(head):
            raise CorruptArchiveError(f"{path.name} is a compressed tar; it is read by random "
                                      "access only uncompressed (read it with tar_members)")
        raw.seek(0)
        try:
            archive = tarfile.open(fileobj=raw, mode="r:")  # noqa: SIM115 (the with below)
        except (tarfile.ReadError, EOFError) as error:
            raise CorruptArchiveError(f"{path.name} is not a readable tar ({error}); delete it "
                                      "and rerun to fetch it again") from error
        with archive:
            members = {}
            for info in archive:
                safe_member_name(info.name, path.name)
                if info.issparse():
                    raise UnsafeArchiveError(f"{path.name}: member {info.name!r} is a sparse "
                                             "file; no dataset ships those, refusing the archive")
                if info.isfile():
                    members[info.name.removeprefix("./")] = info
            yield IndexedTar(path.name, archive, members)


def nested_member(archive: Path, member: str) -> BinaryIO:
    """A stream of one member of a zip (e.g. a tar.gz inside a zip), read lazily under the
    zip's budget; ``tar_members`` and ``open_decoded`` given it judge what they decode
    against the zip on disk too. Closing the stream closes the zip."""
    outer = open_zip(archive)
    try:
        return outer.open(member, owned=(outer,))
    except BaseException:
        outer.close()
        raise


def open_decoded(source: Path | BinaryIO, member: str = "", buffered: bool = True) -> BinaryIO:
    """The content of a single compressed file (gzip, bzip2, xz, .Z; plain passes), as a
    stream read under a budget: an idx.gz, a LIBSVM .bz2, a gzip member of a zip.
    ``buffered=False`` for a reader that takes it whole (one copy less)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        raw = open(path, "rb")  # noqa: SIM115 (closed with the returned stream)
        stream = decoded(raw, Budget(path.name), member or path.name, owned=(raw,))
    else:
        label = _label(source)
        stream = decoded(source, Budget(label, parent=getattr(source, "budget", None)), member or label)
    # Buffered: record-sized reads (an idx image at a time) cost no budget call each.
    return io.BufferedReader(stream, buffer_size=1 << 20) if buffered else stream


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
    with open_decoded(path, buffered=False) as stream:
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
