"""Staging by reference: archive members read in place from their artifact, not copied."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

import data
from data import members, staging
from data.types import Example, Features
from handlers import _fixtures, _readers

FEATURES = Features(channels=3, class_names=("a", "b"))


def _jpegs(count: int) -> dict[str, bytes]:
    return {f"photos/{'ab'[i % 2]}/{i:03d}.jpg": _fixtures.jpeg_bytes(_fixtures.pixels(i, 40, 30, 3))
            for i in range(count)}


def _zip(path: Path, items: dict[str, bytes], compression: int) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, body in items.items():
            archive.writestr(name, body)
    return path


def _examples(pairs):
    return [Example(name, body, label=int(name.split("/")[1] == "b"), split="train") for name, body in pairs]


def _staged(directory: Path, plan: dict) -> dict[str, bytes]:
    found = {}
    with staging.StagedRecords(directory / plan["records"]) as records:
        rows, _ = staging.shard_rows(directory, plan, "train", 0, 1)
        for _, offset, length in rows.tolist():
            header, payload = records.read(offset, length)
            assert header["t"] == staging.ENCODED
            found[header["k"]] = payload
    return found


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_zip_members_are_staged_as_references_and_read_back_equal(tmp_path, compression):
    items = _jpegs(12)
    archive = _zip(tmp_path / "photos.zip", items, compression)
    read = list(_readers.zip_members(archive, suffixes=(".jpg",)))
    assert all(isinstance(body, members.MemberBytes) for _, body in read)
    assert dict(read) == items  # plain bytes to a handler
    plan = staging.stage(_examples(read), FEATURES, tmp_path / "refs", None)
    copies = staging.stage(_examples((n, bytes(b)) for n, b in read), FEATURES, tmp_path / "copies", None)
    assert _staged(tmp_path / "refs", plan) == items == _staged(tmp_path / "copies", copies)
    # The plan, hence the shard count, is what copies would give.
    assert plan["splits"]["train"]["payload_bytes"] == copies["splits"]["train"]["payload_bytes"]
    refs_size = (tmp_path / "refs" / staging.RECORDS_FILE).stat().st_size
    assert refs_size < 0.2 * (tmp_path / "copies" / staging.RECORDS_FILE).stat().st_size
    assert staging.read_sources(tmp_path / "refs")[0]["path"] == os.path.join("..", "photos.zip")


def test_uncompressed_tar_members_are_references_and_compressed_ones_copies(tmp_path):
    items = _jpegs(4)
    (tmp_path / "a.tar").write_bytes(_fixtures.tar_bytes(items, mode="w"))
    (tmp_path / "a.tar.gz").write_bytes(_fixtures.tar_bytes(items, mode="w:gz"))
    plain = dict(_readers.tar_members(tmp_path / "a.tar"))
    assert all(members.read(body.origin) == body for body in plain.values())
    assert not any(isinstance(body, members.MemberBytes) for _, body in _readers.tar_members(tmp_path / "a.tar.gz"))
    with open(tmp_path / "a.tar", "rb") as stream:  # a stream has no file to refer to
        assert not any(isinstance(body, members.MemberBytes) for _, body in _readers.tar_members(stream))
    plan = staging.stage(_examples(plain.items()), FEATURES, tmp_path / "s", None)
    assert _staged(tmp_path / "s", plan) == items


def test_a_derived_value_is_plain_bytes_and_staged_as_a_copy(tmp_path):
    name, body = next(_readers.zip_members(_zip(tmp_path / "p.zip", _jpegs(1), zipfile.ZIP_STORED)))
    assert type(body[:]) is bytes and type(body + b"") is bytes
    plan = staging.stage(_examples([(name, body[:])]), FEATURES, tmp_path / "s", None)
    assert staging.read_sources(tmp_path / "s") == []
    assert _staged(tmp_path / "s", plan) == {name: body}


def test_a_changed_artifact_is_stale_staging_with_a_clear_error(tmp_path):
    archive = _zip(tmp_path / "photos.zip", _jpegs(6), zipfile.ZIP_STORED)
    plan = staging.stage(_examples(_readers.zip_members(archive)), FEATURES, tmp_path / "s", None)
    assert staging.sources_current(tmp_path / "s")
    status = archive.stat()
    os.utime(archive, ns=(status.st_atime_ns, status.st_mtime_ns + 10**9))
    assert not staging.sources_current(tmp_path / "s")
    with pytest.raises(staging.PlanError, match="changed after it was planned.*plans again"):
        _staged(tmp_path / "s", plan)
    # Same size and time, other bytes: the CRC catches it.
    body = bytearray(archive.read_bytes())
    start = body.index(b"\xff\xd8\xff")
    body[start + 200] ^= 0xFF
    archive.write_bytes(bytes(body))
    os.utime(archive, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert staging.sources_current(tmp_path / "s")
    with pytest.raises(staging.PlanError, match="CRC-32 mismatch"):
        _staged(tmp_path / "s", plan)
    archive.unlink()
    assert not staging.sources_current(tmp_path / "s")


def test_a_deflated_member_that_inflates_past_its_size_is_refused(tmp_path):
    archive = _zip(tmp_path / "p.zip", {"x.jpg": b"\xff\xd8\xff" + bytes(5000)}, zipfile.ZIP_DEFLATED)
    origin = next(_readers.zip_members(archive))[1].origin
    with pytest.raises(members.MemberError, match="inflates to more than"):
        members.read(origin._replace(size=100, crc=None))


def test_zip_members_of_a_stream_are_plain_bytes(tmp_path):
    archive = _zip(tmp_path / "p.zip", _jpegs(2), zipfile.ZIP_STORED)
    read = list(_readers.zip_members(io.BytesIO(archive.read_bytes())))
    assert [type(body) for _, body in read] == [bytes, bytes]


def test_build_refers_to_the_zip_and_replans_after_the_artifact_changed(workspace):
    """The real graph: eurosat's zip is referenced, not copied; after its file changes
    (same bytes, new modification time), a repair plans again and rebuilds the shard."""
    workspace.fixture("eurosat")
    workspace.build("eurosat")
    directory = workspace.dataset_dir("eurosat")
    staged = next((workspace.data_dir / "staging" / "eurosat").glob("*/"))
    artifact = workspace.data_dir / "artifacts" / "eurosat" / "EuroSAT.zip"
    assert (staged / staging.RECORDS_FILE).stat().st_size < 0.05 * artifact.stat().st_size
    shard = sorted(directory.glob("*.tfrecord-*"))[0]
    before = shard.read_bytes()
    shard.unlink()
    status = artifact.stat()
    os.utime(artifact, ns=(status.st_atime_ns, status.st_mtime_ns + 10**9))
    result = workspace.build("eurosat")
    assert "running   PlanExamples" in result.stderr
    assert shard.read_bytes() == before
    assert data.verify(directory)["shards"] == len(list(directory.glob("*.tfrecord-*")))


def test_tarfile_offsets_hold_for_long_names(tmp_path):
    """GNU long names and pax headers put extra blocks before the data: offset_data says where."""
    items = {("deep/" * 30) + "x.jpg": b"\xff\xd8\xff" + b"1" * 700, "b/\u00e9.jpg": b"\xff\xd8\xff" + b"2" * 9}
    for fmt in (tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=fmt) as archive:
            for name, body in items.items():
                info = tarfile.TarInfo(name)
                info.size = len(body)
                archive.addfile(info, io.BytesIO(body))
        (tmp_path / "t.tar").write_bytes(buffer.getvalue())
        read = dict(_readers.tar_members(tmp_path / "t.tar"))
        assert {name: members.read(body.origin) for name, body in read.items()} == items


def test_keep_staging_false_drops_staging_and_a_repair_plans_again(workspace):
    workspace.fixture("cifar10")
    workspace.settings["convert"]["keep_staging"] = "false"
    workspace.build("cifar10")
    directory = workspace.dataset_dir("cifar10")
    staged = next((workspace.data_dir / "staging" / "cifar10").glob("*/"))
    assert (staged / staging.PLAN_FILE).exists() and not (staged / staging.RECORDS_FILE).exists()
    assert not list(staged.glob("*.index.npy"))
    assert "running   PlanExamples" not in workspace.build("cifar10").stderr  # complete: nothing runs
    shards = sorted(directory.glob("*.tfrecord-*"))
    before = {shard: shard.read_bytes() for shard in shards}
    shards[1].unlink()
    result = workspace.build("cifar10")
    assert "running   PlanExamples" in result.stderr
    assert result.stderr.count("running   ConvertShard") == 1
    assert {shard: shard.read_bytes() for shard in shards} == before
    assert not (staged / staging.RECORDS_FILE).exists()
    assert data.verify(directory)["shards"] == len(shards)


def test_members_of_files_outside_the_artifacts_or_gone_before_the_end_are_not_references(tmp_path):
    (tmp_path / "scratch").mkdir()
    archive = _zip(tmp_path / "scratch" / "p.zip", _jpegs(3), zipfile.ZIP_STORED)
    read = list(_readers.zip_members(archive))
    plan = staging.stage(_examples(read), FEATURES, tmp_path / "s", None, refer_within=tmp_path / "artifacts")
    assert staging.read_sources(tmp_path / "s") == []
    assert _staged(tmp_path / "s", plan) == dict(read)

    def vanishing():
        yield from _examples(read)
        archive.unlink()

    with pytest.raises(staging.PlanError, match="removed or changed before planning ended"):
        staging.stage(vanishing(), FEATURES, tmp_path / "t", None)
