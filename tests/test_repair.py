"""`python -m tasks verify NAME --repair`, as a user runs it, on a real fixture build:
damaged shards are named, deleted and rebuilt from staging through the real graph,
byte-identical to the original, metadata included."""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys

import pytest
from conftest import Workspace, build_once

from data import locate


def run_cli(workspace, *args):
    return subprocess.run(
        [sys.executable, "-m", "tasks", "--data-dir", str(workspace.data_dir), *args],
        cwd=workspace.path, env=workspace.env(), capture_output=True, text=True, timeout=300,
    )


def snapshot(workspace, name: str) -> dict[str, bytes]:
    """Every file of the built dataset (shards, metadata, TFDS and Croissant files)."""
    root = workspace.dataset_dir(name)
    return {str(path.relative_to(root)): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def original(tmp_path_factory, http_mirror):
    workspace = build_once(tmp_path_factory, http_mirror, "repair", "semeion")
    workspace.original = snapshot(workspace, "semeion")
    return workspace


@pytest.fixture
def built(original, tmp_path):
    """A copy of the one build (data dir, staging, artifacts), for this test to damage."""
    workspace = Workspace(tmp_path / "copy", original.mirror_root, "")
    shutil.copytree(original.path, workspace.path, symlinks=True)
    workspace.settings = copy.deepcopy(original.settings)
    workspace.settings["storage"]["data_dir"] = str(workspace.data_dir)
    workspace.settings["fetch"]["checksum_overrides"] = str(workspace.path / "checksums.json")
    workspace.write_config()
    workspace.original = original.original
    return workspace


def _shards(workspace, split: str):
    return sorted(workspace.dataset_dir("semeion").glob(f"semeion-{split}.tfrecord-*"))


def _damage(workspace) -> list[str]:
    """One shard with a flipped byte (same size), one cut short, one deleted."""
    flipped, cut = _shards(workspace, "train")[:2]
    deleted = _shards(workspace, "test")[0]
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0xFF
    flipped.write_bytes(bytes(data))
    cut.write_bytes(cut.read_bytes()[:-100])
    deleted.unlink()
    return [flipped.name, cut.name, deleted.name]


def test_verify_names_damaged_shards_and_repair_restores_them_byte_identical(built):
    damaged = _damage(built)
    checked = run_cli(built, "verify", "semeion")
    assert checked.returncode == 2
    for name in damaged:
        assert name in checked.stderr
    assert "verify semeion --repair" in checked.stderr and "Traceback" not in checked.stderr

    repaired = run_cli(built, "verify", "semeion", "--repair")
    assert repaired.returncode == 0, repaired.stderr[-3000:]
    assert "rebuilt 3 file(s)" in repaired.stdout
    assert all(name in repaired.stdout for name in damaged)
    assert snapshot(built, "semeion") == built.original  # shards and metadata alike
    again = run_cli(built, "verify", "semeion", "--repair")
    assert again.returncode == 0 and "nothing to repair" in again.stdout


@pytest.mark.parametrize("metadata", ["deleted", "garbled"])
def test_repair_writes_lost_metadata_again_then_repairs_the_shards(built, metadata):
    info = built.dataset_dir("semeion") / "dataset_info.json"
    if metadata == "deleted":
        info.unlink()
    else:
        info.write_text('{"name": "semeion", "spl')
        checked = run_cli(built, "verify", "semeion")
        assert checked.returncode == 2 and "unreadable" in checked.stderr
        assert "verify semeion --repair" in checked.stderr and "Traceback" not in checked.stderr
    flipped = _shards(built, "train")[0]
    flipped.write_bytes(flipped.read_bytes()[:-1] + b"\x00")  # same size: only a hash sees it
    repaired = run_cli(built, "verify", "semeion", "--repair")
    assert repaired.returncode == 0, repaired.stderr[-3000:]
    assert "dataset_info.json" in repaired.stdout and flipped.name in repaired.stdout
    assert snapshot(built, "semeion") == built.original


def test_repair_plans_again_from_the_artifacts_when_staging_is_gone(built):
    shutil.rmtree(locate.staging_dir(built.data_dir, "semeion"))
    _damage(built)
    repaired = run_cli(built, "verify", "semeion", "--repair")
    assert repaired.returncode == 0, repaired.stderr[-3000:]
    assert "staging is gone; planning it again" in repaired.stderr
    assert snapshot(built, "semeion") == built.original


def test_repair_without_staging_or_artifacts_says_what_is_missing_and_deletes_nothing(built):
    shutil.rmtree(locate.staging_dir(built.data_dir, "semeion"))
    artifact = locate.artifacts_dir(built.data_dir, "semeion") / "semeion.data"
    artifact.unlink()
    flipped = _shards(built, "train")[0]
    flipped.write_bytes(flipped.read_bytes()[:-1] + b"\x00")
    result = run_cli(built, "verify", "semeion", "--repair")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert str(artifact) in result.stderr and "Nothing was deleted" in result.stderr
    assert flipped.exists()


def test_repair_refuses_when_the_inputs_changed_since_the_build(built):
    damaged = _damage(built)
    before = snapshot(built, "semeion")
    built.settings["convert"]["min_shards"] = "3"  # another shard count: not the original
    built.write_config()
    result = run_cli(built, "verify", "semeion", "--repair")
    assert result.returncode == 1 and "other inputs than the current ones" in result.stderr
    assert "min_shards" in result.stderr
    assert snapshot(built, "semeion") == before and damaged[0] in result.stderr  # untouched


def test_the_build_notices_a_shard_of_the_wrong_size_and_rebuilds_it(built):
    cut = _shards(built, "train")[1]
    cut.write_bytes(cut.read_bytes()[:-100])
    built.build("semeion")
    assert snapshot(built, "semeion") == built.original
