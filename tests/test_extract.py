"""Hostile archives and images: refused with clear errors, nothing written outside."""

from __future__ import annotations

import bz2
import gzip
import io
import stat
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest

from data import images
from handlers import _fixtures, _readers
from handlers._readers import (
    UnsafeArchiveError,
    extract_archive,
    safe_member_name,
    tar_members,
    zip_members,
)

GOOD = {"data/a.txt": b"alpha\n", "data/sub/b.bin": bytes(range(256)) * 10}


def _tar(path: Path, entries, mode: str = "w:gz") -> Path:
    """entries: (TarInfo fields dict, bytes or None)."""
    with tarfile.open(path, mode) as archive:
        for fields, data in entries:
            info = tarfile.TarInfo(fields.pop("name"))
            for key, value in fields.items():
                setattr(info, key, value)
            if data is not None:
                info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _zip(path: Path, members: dict[str, bytes], symlinks: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return path


def _nothing_left(tmp_path: Path, destination: Path) -> None:
    assert not destination.exists()
    assert not list(destination.parent.glob(f".{destination.name}.extracting-*"))
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil.txt").exists()


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_tar_archives_extract_into_place(tmp_path, mode):
    archive = tmp_path / f"good.tar.{mode[2:] or 'plain'}"
    archive.write_bytes(_fixtures.tar_bytes(GOOD, mode))
    out = extract_archive(archive, tmp_path / "out")
    assert {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()} == GOOD
    assert not list(tmp_path.glob(".out.extracting-*"))


def test_zip_and_single_file_archives_extract(tmp_path):
    out = extract_archive(_fixtures.write_zip(tmp_path / "good.zip", GOOD), tmp_path / "zip")
    assert (out / "data" / "sub" / "b.bin").read_bytes() == GOOD["data/sub/b.bin"]
    gz = tmp_path / "labels.csv.gz"
    gz.write_bytes(gzip.compress(b"a,1\nb,2\n"))
    assert (extract_archive(gz, tmp_path / "gz") / "labels.csv").read_bytes() == b"a,1\nb,2\n"
    bz = tmp_path / "labels.csv.bz2"
    bz.write_bytes(bz2.compress(b"x" * 100))
    assert (extract_archive(bz, tmp_path / "bz") / "labels.csv").read_bytes() == b"x" * 100


def test_existing_destination_is_complete_and_left_alone(tmp_path):
    archive = _fixtures.write_zip(tmp_path / "good.zip", GOOD)
    out = extract_archive(archive, tmp_path / "out")
    (out / "data" / "a.txt").write_bytes(b"edited")
    extract_archive(archive, tmp_path / "out")
    assert (out / "data" / "a.txt").read_bytes() == b"edited"


@pytest.mark.parametrize("name", ["../evil.txt", "data/../../evil.txt", "..\\evil.txt"])
def test_path_traversal_is_refused(tmp_path, name):
    for archive in (_zip(tmp_path / "bad.zip", {"data/ok.txt": b"ok", name: b"pwned"}),
                    _tar(tmp_path / "bad.tgz", [({"name": "data/ok.txt"}, b"ok"),
                                                ({"name": name}, b"pwned")])):
        destination = tmp_path / "deep" / "out"
        with pytest.raises(UnsafeArchiveError, match="points outside the archive") as caught:
            extract_archive(archive, destination)
        assert repr(name) in str(caught.value) and archive.name in str(caught.value)
        _nothing_left(tmp_path / "deep", destination)


@pytest.mark.parametrize("name", ["/tmp/evil.txt", "C:/evil.txt", "\\evil.txt"])
def test_absolute_paths_are_refused(tmp_path, name):
    for archive in (_zip(tmp_path / "bad.zip", {name: b"pwned"}),
                    _tar(tmp_path / "bad.tgz", [({"name": name}, b"pwned")])):
        with pytest.raises(UnsafeArchiveError, match="absolute path"):
            extract_archive(archive, tmp_path / "out")
        _nothing_left(tmp_path, tmp_path / "out")


@pytest.mark.parametrize("link", ["/etc", "../..", "../../outside"])
def test_symlink_escaping_the_destination_is_refused(tmp_path, link):
    tar = _tar(tmp_path / "bad.tgz", [
        ({"name": "data/link", "type": tarfile.SYMTYPE, "linkname": link}, None),
        ({"name": "data/link/evil.txt"}, b"pwned"),
    ])
    with pytest.raises(UnsafeArchiveError, match="link"):
        extract_archive(tar, tmp_path / "out")
    _nothing_left(tmp_path, tmp_path / "out")
    zipped = _zip(tmp_path / "bad.zip", {"data/x.txt": b"x"}, symlinks={"data/link": link})
    with pytest.raises(UnsafeArchiveError, match="link"):
        extract_archive(zipped, tmp_path / "out")
    _nothing_left(tmp_path, tmp_path / "out")


def test_symlink_chain_cannot_escape(tmp_path):
    # "a" -> "sub" is inside; "a/up" -> ".." is lexically inside "a" but really resolves
    # to the destination itself; "a/up/up2" -> ".." would then be the parent: outside.
    tar = _tar(tmp_path / "chain.tgz", [
        ({"name": "sub", "type": tarfile.DIRTYPE}, None),
        ({"name": "a", "type": tarfile.SYMTYPE, "linkname": "sub"}, None),
        ({"name": "a/up", "type": tarfile.SYMTYPE, "linkname": ".."}, None),
        ({"name": "a/up/up2", "type": tarfile.SYMTYPE, "linkname": ".."}, None),
        ({"name": "a/up/up2/evil.txt"}, b"pwned"),
    ])
    with pytest.raises(UnsafeArchiveError, match="points outside"):
        extract_archive(tar, tmp_path / "out")
    _nothing_left(tmp_path, tmp_path / "out")


def test_links_inside_the_archive_are_kept(tmp_path):
    tar = _tar(tmp_path / "links.tgz", [
        ({"name": "data/real.txt"}, b"real"),
        ({"name": "data/alias.txt", "type": tarfile.SYMTYPE, "linkname": "real.txt"}, None),
        ({"name": "copy.txt", "type": tarfile.LNKTYPE, "linkname": "data/real.txt"}, None),
    ])
    out = extract_archive(tar, tmp_path / "out")
    assert (out / "data" / "alias.txt").read_bytes() == b"real"
    assert (out / "copy.txt").read_bytes() == b"real" and not (out / "copy.txt").is_symlink()


def test_hard_link_to_a_file_outside_is_refused(tmp_path):
    tar = _tar(tmp_path / "bad.tgz", [
        ({"name": "passwd", "type": tarfile.LNKTYPE, "linkname": "/etc/passwd"}, None),
    ])
    with pytest.raises(UnsafeArchiveError, match="absolute path"):
        extract_archive(tar, tmp_path / "out")
    tar = _tar(tmp_path / "bad2.tgz", [
        ({"name": "passwd", "type": tarfile.LNKTYPE, "linkname": "not/there"}, None),
    ])
    with pytest.raises(UnsafeArchiveError, match="does not name an earlier file"):
        extract_archive(tar, tmp_path / "out")
    _nothing_left(tmp_path, tmp_path / "out")


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_devices_and_fifos_are_refused(tmp_path, kind):
    tar = _tar(tmp_path / "dev.tar", [({"name": "data/ok.txt"}, b"ok"),
                                      ({"name": "data/null", "type": kind, "devmajor": 1}, None)],
               mode="w")
    with pytest.raises(UnsafeArchiveError, match="device or fifo"):
        extract_archive(tar, tmp_path / "out")
    _nothing_left(tmp_path, tmp_path / "out")


def test_zip_bomb_is_stopped_by_the_ratio(tmp_path):
    bomb = _zip(tmp_path / "bomb.zip", {"zeros.bin": bytes(64 << 20)})
    assert bomb.stat().st_size < 200_000
    with pytest.raises(UnsafeArchiveError, match="zip bomb"):
        extract_archive(bomb, tmp_path / "out")
    _nothing_left(tmp_path, tmp_path / "out")


def test_gzip_bomb_is_stopped_by_the_total_size(tmp_path):
    bomb = tmp_path / "big.bin.gz"
    with gzip.open(bomb, "wb") as out:
        for _ in range(16):
            out.write(bytes(1 << 20))
    with pytest.raises(UnsafeArchiveError, match="past the limit of 4194304 bytes"):
        extract_archive(bomb, tmp_path / "out", max_total_bytes=4 << 20, max_ratio=10_000)
    _nothing_left(tmp_path, tmp_path / "out")


def test_zip_declaring_too_much_is_refused_before_writing(tmp_path):
    archive = _zip(tmp_path / "big.zip", {"a.bin": bytes(3 << 20)})
    with pytest.raises(UnsafeArchiveError, match="declares"):
        extract_archive(archive, tmp_path / "out", max_total_bytes=1 << 20, max_ratio=10_000)
    _nothing_left(tmp_path, tmp_path / "out")


def test_rar_is_pointed_to_its_streaming_reader_and_7z_is_unsupported(tmp_path):
    rar = tmp_path / "data.rar"
    rar.write_bytes(b"Rar!\x1a\x07\x01\x00" + bytes(100))
    with pytest.raises(UnsafeArchiveError, match=r"rar archives are not extracted.*_rar\.rar_members"):
        extract_archive(rar, tmp_path / "out")
    seven = tmp_path / "data.7z"
    seven.write_bytes(b"7z\xbc\xaf\x27\x1c" + bytes(100))
    with pytest.raises(UnsafeArchiveError, match="7z archives are not supported"):
        extract_archive(seven, tmp_path / "out")
    _nothing_left(tmp_path, tmp_path / "out")


def test_streaming_readers_refuse_unsafe_names(tmp_path):
    bad_zip = _zip(tmp_path / "bad.zip", {"ok.png": b"x", "../evil.png": b"x"})
    with pytest.raises(UnsafeArchiveError, match="evil.png"):
        list(zip_members(bad_zip))
    bad_tar = _tar(tmp_path / "bad.tgz", [({"name": "/abs/evil.png"}, b"x")])
    with pytest.raises(UnsafeArchiveError, match="absolute path"):
        list(tar_members(bad_tar))
    assert safe_member_name("./data//x/./y.png") == "data/x/y.png"


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width x height greyscale pixels but holds one row."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (images.PNG_SIGNATURE + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * (width + 1))) + chunk(b"IEND", b""))


def test_decompression_bomb_image_is_refused_before_decoding():
    bomb = _png_header_only(20_000, 20_000)  # 400 Mpx declared in 100 bytes
    assert len(bomb) < 1000
    with pytest.raises(images.ImageError, match="decompression bomb") as caught:
        images.stored_bytes(bomb, 1, max_pixels=10**12, where="toyset, toyset.zip, a/b.png")
    assert "toyset, toyset.zip, a/b.png" in str(caught.value)
    with pytest.raises(images.ImageError, match="above the limit of 1000000 .*max_image_pixels"):
        images.open_encoded(_png_header_only(2000, 1000), max_pixels=1_000_000)


def test_truncated_and_corrupt_images_are_errors_naming_the_member():
    png = _fixtures.png_bytes(_fixtures.pixels(1, 64, 64, 3))
    with pytest.raises(images.ImageError, match="m/x.png: corrupt or truncated image"):
        images.stored_bytes(png[: len(png) // 2], 3, max_pixels=10**6, where="m/x.png")
    with pytest.raises(images.ImageError, match="m/y.jpg: cannot identify image"):
        images.stored_bytes(b"\x00garbage" * 20, 3, max_pixels=10**6, where="m/y.jpg")


@pytest.mark.parametrize("cut", [0.5, 0.98])
def test_truncated_tar_gz_is_an_error_naming_the_file(tmp_path, cut):
    members = [(f"a/{i}.bin", bytes(range(256)) * 40 + bytes([i])) for i in range(20)]
    whole = _fixtures.tar_bytes(members)
    path = tmp_path / "source.tar.gz"
    path.write_bytes(whole[: int(len(whole) * cut)])
    with pytest.raises(_readers.CorruptArchiveError, match="source.tar.gz is truncated or corrupt"):
        list(_readers.tar_members(path))
    path.write_bytes(whole)
    assert [name for name, _ in _readers.tar_members(path)] == [name for name, _ in members]
