"""RAR support: the fixture writer against real decoders, and the reader's refusals.

The UnRAR library (the ``unrar2-cffi`` wheel) is the decoder by default; The
Unarchiver's ``unar`` is an optional fallback, tested where it is installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zlib

import pytest
import rarfile

from handlers import _rar
from handlers._readers import UnsafeArchiveError

MEMBERS = {
    "tid/distorted_images/i01_01_1.bmp": bytes(range(256)) * 7,
    "tid/metrics_values/MSSIM.TXT": b"0.91\r\n0.42\r\n",
    "tid/Thumbs.db": b"junk",
    "tid/empty.txt": b"",
    "readme": b"top-level file\n",
}


needs_unar = pytest.mark.skipif(
    shutil.which("unar") is None or shutil.which("lsar") is None,
    reason="The Unarchiver (unar, lsar) is an optional fallback decoder, not installed here",
)


@pytest.fixture(params=["library", "unar"])
def decoder(request, monkeypatch):
    """Each test that takes it runs once per decoder: the library, and unar if present."""
    if request.param == "unar":
        if shutil.which("unar") is None:
            pytest.skip("unar (optional fallback) is not installed")
        monkeypatch.setenv(_rar.TOOL_SETTING, "unar")
    else:
        monkeypatch.delenv(_rar.TOOL_SETTING, raising=False)
    return request.param


def test_the_library_decodes_by_default_without_any_system_program(tmp_path, monkeypatch):
    monkeypatch.delenv(_rar.TOOL_SETTING, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no unar, no unrar: nothing to run
    assert _rar.rar_tool() is None
    archive = _rar.write_rar(tmp_path / "a.rar", MEMBERS)
    assert dict(_rar.rar_members(archive)) == {n: d for n, d in MEMBERS.items() if n != "tid/Thumbs.db"}


def test_writer_round_trips_through_the_library_and_rarfile(tmp_path):
    archive = _rar.write_rar(tmp_path / "a.rar", MEMBERS)
    from unrar.cffi import rarfile as unrar_rarfile

    decoded = unrar_rarfile.RarFile(str(archive))
    assert {n: decoded.read(n) for n in MEMBERS} == MEMBERS
    # rarfile reads stored members itself, so this checks the headers independently.
    with rarfile.RarFile(archive, errors="strict") as parsed:
        parsed.testrar()
        assert {n: parsed.read(n) for n in MEMBERS} == MEMBERS


@needs_unar
def test_writer_round_trips_through_unar_and_lsar(tmp_path):
    archive = _rar.write_rar(tmp_path / "a.rar", MEMBERS)

    listing = json.loads(subprocess.run(["lsar", "-j", str(archive)], capture_output=True,
                                        check=True, text=True).stdout)
    entries = {e["XADFileName"]: e for e in listing["lsarContents"]}
    assert {n for n, e in entries.items() if not e.get("XADIsDirectory")} == set(MEMBERS)
    assert {"tid", "tid/distorted_images", "tid/metrics_values"} <= set(entries)
    assert all(entries[n]["XADFileSize"] == len(d) for n, d in MEMBERS.items())

    out = tmp_path / "out"
    subprocess.run(["unar", "-q", "-o", str(out), str(archive)], check=True)
    root = out / "a" if (out / "a").is_dir() else out  # unar wraps several top-level items
    assert {n: (root / n).read_bytes() for n in MEMBERS} == MEMBERS


def test_rar_members_streams_files_in_archive_order(tmp_path, decoder):
    archive = _rar.write_rar(tmp_path / "a.rar", MEMBERS)
    got = list(_rar.rar_members(archive))
    assert got == [(n, d) for n, d in MEMBERS.items() if n != "tid/Thumbs.db"]
    assert list(_rar.rar_members(archive, suffixes=(".bmp",))) == [got[0]]
    assert [n for n, _ in _rar.rar_members(archive, keep=lambda n: n.startswith("tid/m"))] == [
        "tid/metrics_values/MSSIM.TXT"]


@pytest.mark.parametrize("name", ["../evil.txt", "tid/../../evil.txt", "/etc/evil", "C:/evil.txt"])
def test_names_outside_the_archive_are_refused_before_the_tool_runs(tmp_path, monkeypatch, name):
    archive = _rar.write_rar(tmp_path / "bad.rar", {"ok.txt": b"fine", name: b"evil"}, folders=False)
    # A tool that cannot run proves the refusal comes from the listing.
    monkeypatch.setenv(_rar.TOOL_SETTING, str(tmp_path / "no-such-tool"))
    with pytest.raises(UnsafeArchiveError, match=r"bad\.rar: member .*evil"):
        list(_rar.rar_members(archive))


def test_links_are_refused(tmp_path):
    archive = _rar.write_rar(tmp_path / "link.rar", {"a.txt": b"x"}, links={"escape": "../../etc/passwd"})
    with pytest.raises(UnsafeArchiveError, match=r"link\.rar: member 'escape' is a link"):
        list(_rar.rar_members(archive))


def test_declared_size_over_the_limit_is_refused(tmp_path):
    archive = _rar.write_rar(tmp_path / "big.rar", {"a.bin": bytes(5000)})
    with pytest.raises(UnsafeArchiveError, match=r"big\.rar declares 5000 bytes"):
        list(_rar.rar_members(archive, max_total_bytes=4000))


def test_truncated_archives_give_clear_errors(tmp_path):
    whole = _rar.rar_bytes(MEMBERS)
    in_headers = tmp_path / "cut_header.rar"
    in_headers.write_bytes(whole[:30])
    with pytest.raises(_rar.RarToolError, match=r"cut_header\.rar: not a complete, readable RAR archive"):
        list(_rar.rar_members(in_headers))
    # Cut inside the data of the first member: the headers before it still parse.
    in_data = tmp_path / "cut_data.rar"
    start = whole.index(MEMBERS["tid/distorted_images/i01_01_1.bmp"][:64])
    in_data.write_bytes(whole[: start + 100])
    with pytest.raises(_rar.RarToolError, match=r"cut_data\.rar: truncated: member "
                       r"'tid/distorted_images/i01_01_1\.bmp' ends at byte \d+, the file has \d+ bytes"):
        list(_rar.rar_members(in_data))


def test_damage_is_caught_by_every_decoder(tmp_path, decoder):
    """A flipped data byte and a member in an unknown method (unar exits 0 on both)."""
    whole = bytearray(_rar.rar_bytes({"a.txt": b"hello world" * 20, "b.txt": b"second"}))
    flipped = tmp_path / "flipped.rar"
    data = bytearray(whole)
    data[data.index(b"hello")] ^= 0x20
    flipped.write_bytes(data)
    said = {"unar": r"flipped\.rar: unar gave member 'a\.txt' with CRC [0-9a-f]{8}, its header says",
            "library": r"flipped\.rar: member 'a\.txt' cannot be decoded \(UnRAR error \d+"}
    with pytest.raises(_rar.RarToolError, match=said[decoder]):
        list(_rar.rar_members(flipped))

    # METHOD is byte 25 of a RAR 4 file header; 0x39 is no method at all.
    unknown = tmp_path / "method.rar"
    data = bytearray(whole)
    header = data.index(b"\x74\x00\x80")  # HEAD_TYPE 0x74 with the long-block flag
    data[header - 2 + 25] = 0x39
    body = bytes(data[header: header + int.from_bytes(data[header + 3: header + 5], "little") - 2])
    data[header - 2: header] = (zlib.crc32(body) & 0xFFFF).to_bytes(2, "little")
    unknown.write_bytes(data)
    said = {"unar": r"method\.rar: unar stopped after \d+ of the 220 bytes of member 'a\.txt' "
                    r"\(exit code 0\)",
            "library": r"method\.rar: member 'a\.txt' cannot be decoded"}
    with pytest.raises(_rar.RarToolError, match=said[decoder]):
        list(_rar.rar_members(unknown))


def test_tool_exit_code_and_message_are_reported(tmp_path, monkeypatch):
    fake = tmp_path / "unar"
    fake.write_text("#!/bin/sh\necho 'Archive parsing failed! (disk on fire)' >&2\nexit 2\n")
    fake.chmod(0o755)
    monkeypatch.setenv(_rar.TOOL_SETTING, str(fake))
    only_empty = _rar.write_rar(tmp_path / "empty.rar", {"a/empty.txt": b""})
    with pytest.raises(_rar.RarToolError, match=r"empty\.rar: .*unar exited with code 2; it said: "
                       r"Archive parsing failed! \(disk on fire\)"):
        list(_rar.rar_members(only_empty))
    with_data = _rar.write_rar(tmp_path / "data.rar", {"a.txt": b"abc"})
    with pytest.raises(_rar.RarToolError, match=r"data\.rar: .*unar stopped after 0 of the 3 bytes of "
                       r"member 'a\.txt' \(exit code 2\); it said: Archive parsing failed!"):
        list(_rar.rar_members(with_data))


def test_missing_tool_says_what_to_install(tmp_path, monkeypatch):
    archive = _rar.write_rar(tmp_path / "a.rar", MEMBERS)
    monkeypatch.setenv(_rar.TOOL_SETTING, "unar-not-installed-here")
    with pytest.raises(_rar.RarToolError, match=r"a\.rar: the RAR tool 'unar-not-installed-here' cannot "
                       r"be run .*pip install unrar2-cffi.*apt-get install unar"):
        list(_rar.rar_members(archive))


@needs_unar
def test_stopping_early_ends_the_tool(tmp_path, monkeypatch):
    pid_file = tmp_path / "pid"
    wrapper = tmp_path / "unar"
    wrapper.write_text(f'#!/bin/sh\necho $$ > {pid_file}\nexec {shutil.which("unar")} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv(_rar.TOOL_SETTING, str(wrapper))
    archive = _rar.write_rar(tmp_path / "a.rar", {f"f{i}.bin": bytes([i]) * 300_000 for i in range(8)})
    members = _rar.rar_members(archive)
    assert next(members)[0] == "f0.bin"
    members.close()
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left running
        os.kill(int(pid_file.read_text()), 0)


@needs_unar
def test_more_output_than_the_headers_declare_is_an_error(tmp_path, monkeypatch):
    """A tool that writes the members and then megabytes more is stopped, not waited for."""
    wrapper = tmp_path / "unar"
    wrapper.write_text(f'#!/bin/sh\n{shutil.which("unar")} "$@"\nexec head -c 5000000 /dev/zero\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv(_rar.TOOL_SETTING, str(wrapper))
    archive = _rar.write_rar(tmp_path / "a.rar", MEMBERS)
    with pytest.raises(_rar.RarToolError, match=r"a\.rar: .*unar wrote more bytes than the archive's "
                       r"headers declare"):
        list(_rar.rar_members(archive))
