"""Hostile archives and images: refused with clear errors before anything is decoded
without bound (the rules of ``handlers._readers``, which every member reader applies)."""

from __future__ import annotations

import io
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest

from data import images
from handlers import _fixtures, _readers
from handlers._readers import UnsafeArchiveError, safe_member_name, tar_members, zip_members


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


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("name", ["../evil.txt", "data/../../evil.txt", "..\\evil.txt"])
def test_path_traversal_is_refused(tmp_path, name):
    for archive, reader in ((_zip(tmp_path / "bad.zip", {"data/ok.txt": b"ok", name: b"pwned"}), zip_members),
                            (_tar(tmp_path / "bad.tgz", [({"name": "data/ok.txt"}, b"ok"),
                                                         ({"name": name}, b"pwned")]), tar_members)):
        with pytest.raises(UnsafeArchiveError, match="points outside the archive") as caught:
            list(reader(archive))
        assert repr(name) in str(caught.value) and archive.name in str(caught.value)


@pytest.mark.parametrize("name", ["/tmp/evil.txt", "C:/evil.txt", "\\evil.txt"])
def test_absolute_paths_are_refused(tmp_path, name):
    for archive, reader in ((_zip(tmp_path / "bad.zip", {name: b"pwned"}), zip_members),
                            (_tar(tmp_path / "bad.tgz", [({"name": name}, b"pwned")]), tar_members)):
        with pytest.raises(UnsafeArchiveError, match="absolute path"):
            list(reader(archive))


def test_streaming_readers_refuse_unsafe_names(tmp_path):
    bad_zip = _zip(tmp_path / "bad.zip", {"ok.png": b"x", "../evil.png": b"x"})
    with pytest.raises(UnsafeArchiveError, match="evil.png"):
        list(zip_members(bad_zip))
    bad_tar = _tar(tmp_path / "bad.tgz", [({"name": "/abs/evil.png"}, b"x")])
    with pytest.raises(UnsafeArchiveError, match="absolute path"):
        list(tar_members(bad_tar))
    assert safe_member_name("./data//x/./y.png") == "data/x/y.png"
    with pytest.raises(UnsafeArchiveError, match="NUL byte"):
        safe_member_name("a\x00b.png", "bad.zip")


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE])
def test_tar_links_and_devices_are_read_past(tmp_path, kind):
    tar = _tar(tmp_path / "odd.tar", [({"name": "data/ok.txt"}, b"ok"),
                                      ({"name": "data/odd", "type": kind, "linkname": "/etc/passwd"}, None)],
               mode="w")
    assert list(tar_members(tar)) == [("data/ok.txt", b"ok")]


def test_a_member_too_large_for_memory_is_refused(tmp_path, monkeypatch):
    archive = _zip(tmp_path / "big.zip", {"small.bin": b"x" * 10, "big.bin": b"x" * 100})
    monkeypatch.setattr(_readers, "MAX_MEMBER_BYTES", 50)
    with pytest.raises(UnsafeArchiveError, match="member 'big.bin' declares 100 bytes"):
        list(zip_members(archive))


def test_budget_stops_a_bomb_by_its_ratio():
    budget = _readers.Budget("bomb.rar", 1000, max_total=1 << 30, max_ratio=200)
    budget.spend(_readers.RATIO_FLOOR_BYTES - 1, "small.txt")  # under the floor: not judged
    with pytest.raises(UnsafeArchiveError, match=r"bomb.rar: member 'zeros.bin' decodes to \d+ bytes from 1000 compressed bytes, a ratio above the limit of 200 \(\[archives\] max_ratio\): a decompression bomb"):
        budget.spend(1 << 20, "zeros.bin")


def test_budget_stops_output_past_the_total():
    budget = _readers.Budget("big.rar", 1 << 30, max_total=4 << 20, max_ratio=10_000)
    for _ in range(4):
        budget.spend(1 << 20, "part.bin")
    with pytest.raises(UnsafeArchiveError, match=r"big.rar: decoding member 'last.bin' .* past the limit of 4194304 bytes .*raise \[archives\] max_uncompressed_gb"):
        budget.spend(1, "last.bin")


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
    with pytest.raises(images.ImageError, match="400000000 pixels, above the limit of 178956970 "
                       r".*raise \[convert\] max_image_pixels") as caught:
        images.stored_bytes(bomb, 1, max_pixels=178_956_970, where="toyset, toyset.zip, a/b.png")
    assert "toyset, toyset.zip, a/b.png" in str(caught.value)
    with pytest.raises(images.ImageError, match="above the limit of 1000000 .*max_image_pixels"):
        images.open_encoded(_png_header_only(2000, 1000), max_pixels=1_000_000)
    # A raised setting is the limit in force, not PIL's own default: opened (lazily).
    assert images.open_encoded(bomb, max_pixels=10**12).size == (20_000, 20_000)


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
