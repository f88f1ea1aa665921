"""The manual-download doctor: verified, wrong, unverified and missing artifacts, and a
drop folder whose files (under any name) are filed into the artifact store."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import handlers
from cli import doctor
from data.artifacts import record_path
from handlers._spec import Artifact

GOOD, BAD, PLAIN = b"the right bytes\n" * 64, b"damaged bytes\n", b"no checksum known\n"
MISSING = b"the missing archive"


def _spec(**changes):
    artifacts = (
        Artifact("good.bin", "https://example.invalid/good.bin",
                 sha256=hashlib.sha256(GOOD).hexdigest(), size=len(GOOD)),
        Artifact("other.bin", "https://example.invalid/other.bin",
                 md5=hashlib.md5(GOOD + b"!").hexdigest()),
        Artifact("plain.bin", "https://example.invalid/plain.bin"),
        Artifact("gated.zip", manual="register at https://example.invalid/form, then download",
                 sha256=hashlib.sha256(MISSING).hexdigest(), size=len(MISSING)),
    )
    fields = {"name": "docset", "source": "docset", "artifacts": artifacts,
              "license": "research only, registration required"} | changes
    return dataclasses.replace(handlers.get("toyset"), **fields)


def _store(data_dir: Path) -> Path:
    folder = data_dir / "artifacts" / "docset"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _by_file(rows):
    return {row["file"]: row for row in rows}


def test_diagnosis_tells_verified_wrong_unverified_and_missing_apart(tmp_path):
    store = _store(tmp_path)
    (store / "good.bin").write_bytes(GOOD)
    (store / "other.bin").write_bytes(BAD)
    (store / "plain.bin").write_bytes(PLAIN)
    rows = doctor.diagnose([_spec()], tmp_path)
    found = _by_file(rows)
    assert {name: row["status"] for name, row in found.items()} == {
        "good.bin": "ok", "other.bin": "wrong", "plain.bin": "unverified", "gated.zip": "missing"}
    wrong = found["other.bin"]
    assert wrong["algorithm"] == "md5" and wrong["actual"] == hashlib.md5(BAD).hexdigest()
    assert wrong["expected"] == hashlib.md5(GOOD + b"!").hexdigest()
    missing = found["gated.zip"]
    assert missing["expected_size"] == len(MISSING) and missing["url"] is None
    assert missing["path"] == str(store / "gated.zip")
    report = doctor.format_report(rows)
    assert f"md5 is {hashlib.md5(BAD).hexdigest()}" in report
    assert "register at https://example.invalid/form" in report
    assert "licence: research only, registration required" in report
    assert hashlib.sha256(MISSING).hexdigest() in report and f"{len(MISSING)} bytes" in report
    assert not doctor.healthy(rows)
    assert doctor.healthy(row for row in rows if row["file"] == "good.bin")


def test_later_damage_to_a_verified_file_is_caught(tmp_path):
    store = _store(tmp_path)
    (store / "good.bin").write_bytes(GOOD[:-1] + b"?")
    record_path(store / "good.bin").write_text(f"{hashlib.sha256(GOOD).hexdigest()}  good.bin\n")
    row = _by_file(doctor.diagnose([_spec()], tmp_path))["good.bin"]
    assert row["status"] == "wrong" and row["actual"] == hashlib.sha256(GOOD[:-1] + b"?").hexdigest()


def test_drop_folder_files_renamed_files_by_checksum_and_lists_the_rest(tmp_path):
    data_dir, drop = tmp_path / "data", tmp_path / "Downloads"
    store = _store(data_dir)
    (store / "other.bin").write_bytes(BAD)  # damaged: set aside, replaced
    (drop / "nested").mkdir(parents=True)
    (drop / "good (1).bin").write_bytes(GOOD)
    (drop / "nested" / "download.dat").write_bytes(GOOD + b"!")
    (drop / "plain.bin").write_bytes(PLAIN)
    (drop / "notes.txt").write_bytes(b"nothing wanted")
    (drop / ".gated.zip.crdownload").write_bytes(MISSING)  # a browser's partial file

    results = doctor.file_drops(drop, [_spec()], data_dir)
    outcomes = {Path(r["path"]).name: (r["outcome"], r.get("verified")) for r in results}
    assert outcomes == {"good (1).bin": ("filed", True), "download.dat": ("filed", True),
                        "plain.bin": ("filed", False), "notes.txt": ("unmatched", None)}
    assert (store / "good.bin").read_bytes() == GOOD
    assert (store / "other.bin").read_bytes() == GOOD + b"!"
    assert (store / f"other.bin.rejected-{hashlib.md5(BAD).hexdigest()[:12]}").read_bytes() == BAD
    assert (store / "plain.bin").read_bytes() == PLAIN
    assert record_path(store / "good.bin").read_text().split()[0] == hashlib.sha256(GOOD).hexdigest()
    assert not record_path(store / "plain.bin").exists(), "an unverified file gets no record"
    # Same filesystem: moved, so what is left in the drop folder is what matched nothing.
    assert sorted(p.name for p in drop.rglob("*") if p.is_file()) == [".gated.zip.crdownload", "notes.txt"]
    assert not list(store.glob(".*partial-*"))

    text = doctor.format_drops(drop, results)
    assert "notes.txt" in text and "matches no requested artifact" in text
    assert "plain.bin" in text and "UNVERIFIED" in text
    rows = _by_file(doctor.diagnose([_spec()], data_dir, known=doctor.known_digests(results)))
    assert [rows[name]["status"] for name in ("good.bin", "other.bin", "plain.bin", "gated.zip")] == [
        "ok", "ok", "unverified", "missing"]


def test_drop_folder_never_replaces_a_file_in_place(tmp_path):
    data_dir, drop = tmp_path / "data", tmp_path / "drop"
    store = _store(data_dir)
    drop.mkdir()
    (store / "good.bin").write_bytes(GOOD)
    (store / "plain.bin").write_bytes(b"fetched earlier, never recorded")
    before = (store / "good.bin").stat().st_ino
    (drop / "copy.bin").write_bytes(GOOD)
    (drop / "plain.bin").write_bytes(PLAIN)
    results = {Path(r["path"]).name: r["outcome"] for r in doctor.file_drops(drop, [_spec()], data_dir)}
    assert results == {"copy.bin": "in place", "plain.bin": "kept"}
    assert (store / "good.bin").stat().st_ino == before
    assert (store / "plain.bin").read_bytes() == b"fetched earlier, never recorded"
    assert (drop / "copy.bin").exists() and (drop / "plain.bin").exists()


def test_the_recorded_sha256_stands_in_for_a_missing_checksum(tmp_path):
    data_dir, drop = tmp_path / "data", tmp_path / "drop"
    store = _store(data_dir)
    drop.mkdir()
    record_path(store / "plain.bin").write_text(f"{hashlib.sha256(PLAIN).hexdigest()}  plain.bin\n")
    (drop / "renamed.bin").write_bytes(PLAIN)
    (result,) = doctor.file_drops(drop, [_spec()], data_dir)
    assert result["outcome"] == "filed" and result["verified"]
    assert _by_file(doctor.diagnose([_spec()], data_dir))["plain.bin"]["status"] == "ok"


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="needs a second filesystem")
def test_drop_folder_on_another_filesystem_is_copied_and_kept(tmp_path):
    import tempfile

    with tempfile.TemporaryDirectory(dir="/dev/shm") as other:
        if os.stat(other).st_dev == tmp_path.stat().st_dev:
            pytest.skip("/dev/shm is on the same filesystem here")
        (Path(other) / "x.bin").write_bytes(GOOD)
        (result,) = doctor.file_drops(Path(other), [_spec()], tmp_path)
        assert result["outcome"] == "filed" and result["how"] == "copied"
        assert (Path(other) / "x.bin").exists()
        assert (_store(tmp_path) / "good.bin").read_bytes() == GOOD


def _run(workspace, *args):
    workspace.write_config()
    return subprocess.run(
        [sys.executable, "-m", "tasks", "--data-dir", str(workspace.data_dir), "doctor", *args],
        cwd=workspace.path, env=workspace.env(), capture_output=True, text=True, timeout=120,
    )


def test_doctor_command_with_a_drop_folder_and_checksum_overrides(workspace):
    workspace.fixture("toyset")  # pins the fixture's sha256 in place of the handler's
    body = (workspace.mirror_root / "toyset" / "toyset.zip").read_bytes()
    sha256 = hashlib.sha256(body).hexdigest()
    before = _run(workspace, "toyset")
    assert before.returncode == 1, before.stderr
    assert "MISSING     toyset.zip" in before.stdout and sha256 in before.stdout

    drop = workspace.path / "drop"
    drop.mkdir()
    (drop / "toyset (2).zip").write_bytes(body)
    (drop / "unrelated.zip").write_bytes(b"PK")
    filed = _run(workspace, "--drop-folder", str(drop), "toyset")
    assert filed.returncode == 0, filed.stdout + filed.stderr
    target = workspace.data_dir / "artifacts" / "toyset" / "toyset.zip"
    assert target.read_bytes() == body
    assert f"toyset (2).zip moved to {target}" in filed.stdout
    assert "unmatched  unrelated.zip" in filed.stdout
    assert "ok          toyset.zip" in filed.stdout

    target.write_bytes(body[:-1])
    damaged = _run(workspace, "toyset")
    assert damaged.returncode == 1
    assert f"expected    {sha256} (from a [fetch] checksum override)" in damaged.stdout
    assert "Traceback" not in damaged.stderr
