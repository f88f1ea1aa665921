"""RAR archives: members listed by ``rarfile``, their bytes decoded in one streamed pass.

The decoder is RARLAB's own UnRAR library through the ``unrar2-cffi`` wheel (installed
with the project; no system program needed). Where that wheel cannot be installed, or
when ``DATASETS_STORAGE_RAR_TOOL`` names one, an external tool does the decoding instead:
The Unarchiver's ``unar`` or ``unrar``, run once per archive with every member going to
its stdout, cut back into members by the declared sizes.

``rarfile`` parses the headers in Python first (names, sizes, CRCs, link and encryption
flags), so every safety rule of ``_readers`` is applied before a byte is decompressed.
Neither decoder is trusted to notice damage (``unar`` exits 0 and skips a member it
cannot decode), so every kept member's CRC is checked, a short or long output is an
error, and so is a decoder's failure; the output is counted against the size and ratio
budget while it streams, so a bomb stops early. Each error names the archive and member.

The fixture section at the end writes RAR 4.x archives with stored (uncompressed)
members, enough for the tests and for fixtures with the providers' real file names.
"""

from __future__ import annotations

import os
import struct
import subprocess
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import rarfile

from handlers._limits import limits
from handlers._readers import (
    Budget,
    Member,
    UnsafeArchiveError,
    check_member_size,
    safe_member_name,
    wanted,
)

# An external tool to decompress with instead of the library: a name on PATH or a path.
# Its file name decides the command line (``unrar``/``rar`` style or ``unar`` style).
TOOL_SETTING = "DATASETS_STORAGE_RAR_TOOL"
DEFAULT_TOOL = "unar"
INSTALL_HINT = (
    "install the decoder wheel (`pip install unrar2-cffi`, a dependency of this project), "
    "or The Unarchiver (`apt-get install unar`, `brew install unar`) or unrar and set "
    f"{TOOL_SETTING} to it"
)
_CHUNK = 1 << 20
# UnRAR's dll.hpp: no more headers (the wheel exports only the success and password codes).
_ERAR_END_ARCHIVE = 10


class RarToolError(RuntimeError):
    """The external tool is missing, failed, or its output does not match the headers."""


def rar_tool() -> str | None:
    """The external tool to decode with, or None for the library (the default when the
    ``unrar2-cffi`` wheel is installed and no tool is named)."""
    named = os.environ.get(TOOL_SETTING)
    if named:
        return named
    return None if _library() is not None else DEFAULT_TOOL


def _library():
    try:
        from unrar.cffi import _unrarlib
    except ImportError:
        return None
    return _unrarlib


def rar_members(
    source: Path,
    suffixes: tuple[str, ...] | None = None,
    keep: Callable[[str], bool] | None = None,
    max_total_bytes: int | None = None,
    max_ratio: float | None = None,
) -> Iterator[Member]:
    """(name, bytes) of the archive's files in archive order, as ``zip_members`` yields them.

    Folders, junk and unwanted members are read past (their CRC still checked) and not
    kept. Refused before the tool runs, by the rules of ``_readers``: absolute names and
    ``..``, links, encrypted members, members past the end of the file, a declared total
    above ``max_total_bytes``; while reading, more output than ``max_ratio`` times the
    archive's size (the decoders do not tell how much of it they have read). Unset limits
    are the ``[archives]`` settings.
    """
    source = Path(source)
    budget = Budget(source.name, source.stat().st_size, max_total_bytes, max_ratio)
    infos = list_members(source, budget.max_total)
    tool = rar_tool()
    if tool is None:
        yield from _library_members(source, infos, suffixes, keep, budget)
    else:
        yield from _tool_members(source, infos, suffixes, keep, budget, tool)


def _library_members(source: Path, infos, suffixes, keep, budget: Budget) -> Iterator[Member]:
    """One pass of the UnRAR library over the archive: kept members are decoded to memory
    (CRC checked), others skipped; a callback that counts the budget can stop a bomb."""
    unrar = _library()
    ffi, lib = unrar.ffi, unrar.lib
    archive_data = ffi.new("struct RAROpenArchiveDataEx *")
    name_buffer = ffi.new("wchar_t[]", str(source))
    archive_data.ArcNameW = name_buffer
    archive_data.OpenMode = lib.C_RAR_OM_EXTRACT
    handle = lib.RAROpenArchiveEx(archive_data)
    if archive_data.OpenResult != lib.C_ERAR_SUCCESS:
        raise RarToolError(f"{source.name}: the UnRAR library cannot open it "
                           f"(error {archive_data.OpenResult})")
    try:
        pending = iter(infos)
        while True:
            header = ffi.new("struct RARHeaderDataEx *")
            result = lib.RARReadHeaderEx(handle, header)
            if result == _ERAR_END_ARCHIVE:
                break
            if result != lib.C_ERAR_SUCCESS:
                raise RarToolError(f"{source.name}: damaged header after the members read so "
                                   f"far (UnRAR error {result})")
            name = ffi.string(header.FileNameW).replace("\\", "/")
            if header.Flags & lib.C_RHDF_DIRECTORY:
                lib.RARProcessFileW(handle, lib.C_RAR_SKIP, ffi.NULL, ffi.NULL)
                continue
            info = next(pending, None)
            if info is None or info.filename != name:
                raise RarToolError(f"{source.name}: the UnRAR library found member {name!r} "
                                   f"where the headers list {getattr(info, 'filename', None)!r}")
            if not wanted(name, suffixes, keep):
                lib.RARProcessFileW(handle, lib.C_RAR_SKIP, ffi.NULL, ffi.NULL)
                continue
            check_member_size(name, info.file_size, source.name)
            yield name, _decode_member(handle, unrar, info, budget, source)
        missing = next(pending, None)
        if missing is not None:
            raise RarToolError(f"{source.name}: truncated: member {missing.filename!r} is listed "
                               "but the UnRAR library found no more members")
    finally:
        lib.RARCloseArchive(handle)


def _decode_member(handle, unrar, info, budget: Budget, source: Path) -> bytes:
    ffi, lib = unrar.ffi, unrar.lib
    parts: list[bytes] = []
    stopped: list[BaseException] = []

    def on_event(message, p1, p2):
        if message != lib.UCM_PROCESSDATA:
            return 1
        chunk = bytes(ffi.buffer(ffi.cast("char *", p1), p2))
        try:
            budget.spend(len(chunk), info.filename)
        except UnsafeArchiveError as error:  # a bomb: stop decoding now
            stopped.append(error)
            return -1
        parts.append(chunk)
        return 1

    user_data = ffi.new_handle(on_event)
    lib.RARSetCallbackPtr(handle, lib.PyUNRARCALLBACKStub, user_data)
    try:
        result = lib.RARProcessFileW(handle, lib.C_RAR_TEST, ffi.NULL, ffi.NULL)
    finally:
        lib.RARSetCallbackPtr(handle, ffi.NULL, ffi.NULL)
    if stopped:
        raise stopped[0]
    if result != lib.C_ERAR_SUCCESS:
        raise RarToolError(f"{source.name}: member {info.filename!r} cannot be decoded "
                           f"(UnRAR error {result}: damaged or truncated archive?)")
    data = b"".join(parts)
    _check_member(data, info, source, "the UnRAR library")
    return data


def _check_member(data: bytes, info, source: Path, decoder: str) -> None:
    if len(data) != info.file_size:
        raise RarToolError(f"{source.name}: {decoder} gave {len(data)} bytes of member "
                           f"{info.filename!r}, its header says {info.file_size}")
    if info.CRC is None and info.blake2sp_hash:
        digest = rarfile.Blake2SP()
        digest.update(data)
        if digest.digest() != info.blake2sp_hash:
            raise RarToolError(f"{source.name}: {decoder} gave member {info.filename!r} with a "
                               "wrong BLAKE2sp hash")
    elif info.CRC is not None and zlib.crc32(data) != info.CRC:
        raise RarToolError(f"{source.name}: {decoder} gave member {info.filename!r} with CRC "
                           f"{zlib.crc32(data):08x}, its header says {info.CRC:08x} (damaged archive?)")


def _tool_members(source: Path, infos, suffixes, keep, budget: Budget, tool: str) -> Iterator[Member]:
    """Every member through one run of an external tool's stdout."""
    with tempfile.TemporaryFile() as stderr:
        try:
            process = subprocess.Popen(
                _command(tool, source), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr
            )
        except OSError as error:  # not found, not executable, not a program
            raise RarToolError(f"{source.name}: the RAR tool {tool!r} cannot be run "
                               f"({error.strerror}); {INSTALL_HINT}") from None
        try:
            for info in infos:
                name = info.filename
                taken = wanted(name, suffixes, keep)
                if taken:
                    check_member_size(name, info.file_size, source.name)
                data = _read_member(process, info, taken, budget, source, tool, stderr)
                if taken:
                    yield name, data
            if process.stdout.read(1):
                process.kill()  # before waiting: it may be blocked writing the rest
                process.wait()
                raise _failure(source, tool, "wrote more bytes than the archive's headers declare",
                               stderr)
            code = process.wait()
            if code != 0:
                raise _failure(source, tool, f"exited with code {code}", stderr)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()


def list_members(source: Path, max_total_bytes: int | None = None) -> list[rarfile.RarInfo]:
    """The archive's file members (folders left out) in header order, after the safety checks."""
    source = Path(source)
    size = source.stat().st_size
    max_total_bytes = limits()[0] if max_total_bytes is None else max_total_bytes
    # One open, handed to rarfile: given a path it would open the file twice.
    with open(source, "rb") as handle:
        try:
            archive = rarfile.RarFile(handle, errors="strict")
            infos = archive.infolist()
        except rarfile.Error as error:
            raise RarToolError(f"{source.name}: not a complete, readable RAR archive ({error})") from None
    files, declared = [], 0
    for info in infos:
        name = info.filename
        safe_member_name(name, source.name)
        if info.is_symlink() or info.file_redir is not None:
            raise UnsafeArchiveError(f"{source.name}: member {name!r} is a link; links are not "
                                     "supported in RAR archives, refusing the archive")
        if info.needs_password():
            raise UnsafeArchiveError(f"{source.name}: member {name!r} is encrypted; refusing the archive")
        if info.data_offset is not None and info.data_offset + info.compress_size > size:
            raise RarToolError(f"{source.name}: truncated: member {name!r} ends at byte "
                               f"{info.data_offset + info.compress_size}, the file has {size} bytes")
        if info.is_dir():
            continue
        if info.file_size is None:
            raise RarToolError(f"{source.name}: member {name!r} does not declare its size")
        declared += info.file_size
        files.append(info)
    if declared > max_total_bytes:
        raise UnsafeArchiveError(f"{source.name} declares {declared} bytes of members, over the "
                                 f"limit of {max_total_bytes} ([archives] max_uncompressed_gb); "
                                 "refusing the archive. If the source is trusted and really "
                                 "that large, raise [archives] max_uncompressed_gb in luigi.cfg")
    return files


def _command(tool: str, source: Path) -> list[str]:
    """Every member, in archive order, to stdout."""
    if Path(tool).name.lower().startswith(("unrar", "rar")):
        return [tool, "p", "-inul", "-p-", "--", str(source)]
    # -nr: a zip stored in the rar is a member, not something to unpack in turn.
    return [tool, "-o", "-", "-nr", "-k", "skip", "--", str(source)]


def _read_member(process, info, keep: bool, budget: Budget, source: Path, tool: str, stderr) -> bytes:
    """The next ``info.file_size`` bytes of the tool's output, checked against the CRC."""
    name, remaining = info.filename, info.file_size
    parts, crc = [], 0
    digest = rarfile.Blake2SP() if info.CRC is None and info.blake2sp_hash else None
    while remaining:
        chunk = process.stdout.read(min(remaining, _CHUNK))
        if not chunk:
            code = process.wait()
            raise _failure(source, tool, f"stopped after {info.file_size - remaining} of the "
                           f"{info.file_size} bytes of member {name!r} (exit code {code})", stderr)
        remaining -= len(chunk)
        budget.spend(len(chunk), name)
        if digest is None:
            crc = zlib.crc32(chunk, crc)
        else:
            digest.update(chunk)
        if keep:
            parts.append(chunk)
    if digest is not None:
        if digest.digest() != info.blake2sp_hash:
            raise _failure(source, tool, f"gave member {name!r} with a wrong BLAKE2sp hash", stderr)
    elif info.CRC is not None and crc != info.CRC:
        raise _failure(source, tool, f"gave member {name!r} with CRC {crc:08x}, its header says "
                       f"{info.CRC:08x} (damaged archive?)", stderr)
    return b"".join(parts)


def _failure(source: Path, tool: str, what: str, stderr) -> RarToolError:
    stderr.seek(0)
    said = stderr.read()[-2000:].decode("utf-8", "replace").strip()
    return RarToolError(f"{source.name}: {tool} {what}" + (f"; it said: {said}" if said else ""))


# --- fixture writer: RAR 4.x, stored members ---------------------------------------

_MARKER = b"Rar!\x1a\x07\x00"
_MAIN, _FILE, _END = 0x73, 0x74, 0x7B
_LONG_BLOCK = 0x8000  # an ADD_SIZE (the packed data) follows the header
_DIRECTORY = 0x00E0
_STORED = 0x30
_HOST_WINDOWS, _HOST_UNIX = 2, 3
# 2001-09-09 01:46:40, the fixtures' fixed timestamp, as a DOS date and time.
_DOS_TIME = (21 << 25) | (9 << 21) | (9 << 16) | (1 << 11) | (46 << 5) | (40 // 2)


def rar_bytes(
    members: Mapping[str, bytes] | Iterable[tuple[str, bytes]],
    links: Mapping[str, str] | None = None,
    folders: bool = True,
) -> bytes:
    """A RAR 4.x archive of stored members, in the given order, made as on Windows
    (backslash separators); folder entries precede their first member unless
    ``folders`` is false. ``links`` (name -> target) adds Unix symlink entries, for
    tests of the reader's refusal. Names are written as given, unchecked."""
    items = list(members.items() if isinstance(members, Mapping) else members)
    blocks = [_MARKER, _header(_MAIN, 0, b"\x00" * 6)]
    done: set[str] = set()
    for name, data in items:
        parts = name.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth])
            if folders and folder not in done:
                done.add(folder)
                blocks.append(_file_header(folder, b"", _HOST_WINDOWS, 0x10, _DIRECTORY))
        blocks += [_file_header(name, data, _HOST_WINDOWS, 0x20, 0), data]
    for name, target in (links or {}).items():
        data = target.encode()
        blocks += [_file_header(name, data, _HOST_UNIX, 0o120777, 0), data]
    blocks.append(_header(_END, 0x4000, b""))
    return b"".join(blocks)


def write_rar(path: Path, members, **options) -> Path:
    path.write_bytes(rar_bytes(members, **options))
    return path


def _file_header(name: str, data: bytes, host: int, attributes: int, flags: int) -> bytes:
    stored_name = (name.replace("/", "\\") if host == _HOST_WINDOWS else name).encode("ascii")
    body = struct.pack("<IIBIIBBHI", len(data), len(data), host, zlib.crc32(data), _DOS_TIME,
                       20, _STORED, len(stored_name), attributes) + stored_name
    return _header(_FILE, _LONG_BLOCK | flags, body)


def _header(kind: int, flags: int, body: bytes) -> bytes:
    """HEAD_CRC (low 16 bits of the CRC32 of the rest), HEAD_TYPE, HEAD_FLAGS, HEAD_SIZE, body."""
    rest = struct.pack("<BHH", kind, flags, 7 + len(body)) + body
    return struct.pack("<H", zlib.crc32(rest) & 0xFFFF) + rest
