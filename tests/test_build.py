"""End to end: the real `luigi` command, artifacts over loopback HTTP, read back with TF."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_labels_match, read_back
from PIL import Image

import data
import handlers
from data import images
from data.atomic import PARTIAL_MARK

FOUNDATION = ["mnist", "cifar10", "semeion", "caltech101"]


def _pixels(image, channels: int) -> np.ndarray:
    """HxWxC pixels of a handler's image (encoded bytes, array or PIL image), via PIL."""
    if isinstance(image, bytes):
        pil = Image.open(io.BytesIO(image))
    elif isinstance(image, np.ndarray):
        pil = Image.fromarray(image)
    else:
        pil = image
    return np.asarray(pil.convert(images.mode_for(channels))).reshape(pil.size[1], pil.size[0], -1)


@pytest.mark.parametrize("name", FOUNDATION)
def test_build_reads_back_the_fixture_exactly(workspace, name):
    spec = handlers.get(name)
    counts = workspace.fixture(name)
    workspace.build(name)
    raw = {want.key: record["image"] for _, record, want in read_back(workspace, name, counts, decode=False)}
    channels = data.info(workspace.dataset_dir(name))["features"]["channels"]
    for _, record, want in read_back(workspace, name, counts):
        assert_labels_match(spec, record, want)
        if isinstance(want.image, bytes) and raw[want.key] == want.image:
            continue  # passed through untouched: the very bytes of the source
        assert record["image"].shape[-1] == channels
        assert np.array_equal(record["image"], _pixels(want.image, spec.features.channels)), want.key
    assert data.verify(workspace.dataset_dir(name))["examples"] == sum(counts.values())


def test_larger_shards_are_converted_first(workspace):
    """ConvertShard's priority is its number of examples: the train shards of the fixture
    (larger than its test shards) all start before any test shard."""
    counts = workspace.fixture("mnist")
    assert counts["train"] > counts["test"]
    workspace.settings["convert"]["min_shards"] = "4"
    result = workspace.build("mnist")
    started = [line for line in result.stderr.splitlines() if " running " in line and "ConvertShard(" in line]
    splits = ["train" if "split=train" in line else "test" for line in started]
    assert len(splits) >= 2 * 4, started
    assert splits == sorted(splits, key=lambda split: split != "train"), splits


def test_jpeg_sources_are_passed_through(workspace):
    workspace.fixture("caltech101")
    workspace.build("caltech101")
    raw = [r["image"] for r in data.load(workspace.dataset_dir("caltech101"), "train", decode=False)
           .as_numpy_iterator()]
    jpegs = sum(r.startswith(images.JPEG_SIGNATURE) for r in raw)
    pngs = sum(r.startswith(images.PNG_SIGNATURE) for r in raw)
    assert jpegs >= len(raw) - 1 and pngs <= 1  # the fixture's one greyscale JPEG is converted


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_builds_are_byte_identical_whatever_the_workers(workspace, tmp_path, http_mirror):
    from conftest import Workspace

    other = Workspace(tmp_path / "other", *http_mirror)
    other.path.mkdir()
    for ws, workers in ((workspace, 1), (other, 2)):
        for name in ("caltech101", "semeion"):
            ws.fixture(name)
        ws.build("caltech101", "semeion", workers=workers)
    first, second = _tree(workspace.data_dir / "datasets"), _tree(other.data_dir / "datasets")
    assert first.keys() == second.keys() and len(first) >= 6
    assert first == second


def test_rerun_of_a_complete_build_does_nothing(workspace):
    workspace.fixture("semeion")
    workspace.build("semeion")
    info = workspace.dataset_dir("semeion") / "dataset_info.json"
    before = info.stat().st_mtime_ns
    result = workspace.build("semeion")
    assert "running" not in result.stderr
    assert info.stat().st_mtime_ns == before


def test_deleted_shard_is_rebuilt_alone(workspace):
    workspace.fixture("cifar10")
    workspace.build("cifar10")
    directory = workspace.dataset_dir("cifar10")
    shards = sorted(directory.glob("cifar10-*"))
    victim = shards[1]
    stamps = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in shards if p != victim}
    content = victim.read_bytes()
    victim.unlink()
    result = workspace.build("cifar10")
    assert result.stderr.count("running   ConvertShard") == 1
    assert victim.read_bytes() == content
    assert all((p.stat().st_ino, p.stat().st_mtime_ns) == stamp for p, stamp in stamps.items())


def _shard_stamps(directory: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in directory.glob("[!.]*.tfrecord-*")}


def test_killed_build_resumes_without_rewriting_finished_shards(workspace, tmp_path, http_mirror):
    from conftest import Workspace

    workspace.fixture("cifar10")
    workspace.settings["convert"]["target_shard_mb"] = "0.000001"  # one shard per example
    workspace.write_config()
    directory = workspace.dataset_dir("cifar10")
    process = subprocess.Popen(
        workspace.luigi_command("cifar10"), cwd=workspace.path, env=workspace.env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while len(list(directory.glob("[!.]*.tfrecord-*"))) < 4:
        assert process.poll() is None, "the build ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (directory / "dataset_info.json").exists()
    finished = _shard_stamps(directory)
    assert 4 <= len(finished) < 36

    workspace.build("cifar10")
    after = _shard_stamps(directory)
    assert len(after) == 36
    assert all(after[name] == stamp for name, stamp in finished.items())
    assert not list(workspace.data_dir.rglob(f"*{PARTIAL_MARK}*"))

    clean = Workspace(tmp_path / "clean", *http_mirror)
    clean.path.mkdir()
    clean.fixture("cifar10")
    clean.settings["convert"]["target_shard_mb"] = "0.000001"
    clean.build("cifar10")
    assert _tree(clean.data_dir / "datasets") == _tree(workspace.data_dir / "datasets")


def test_failed_shard_is_rerun_alone_after_the_fix(workspace):
    from toyset import BIG_MEMBER

    workspace.fixture("toyset")
    workspace.settings["convert"]["max_image_pixels"] = "1000"  # the 64x64 member trips it
    failed = workspace.build("toyset", check=False)
    assert failed.returncode == 30, failed.stderr[-3000:]
    assert BIG_MEMBER in failed.stderr and "max_image_pixels" in failed.stderr
    directory = workspace.dataset_dir("toyset")
    assert not (directory / "dataset_info.json").exists()
    before = _shard_stamps(directory)
    plan = next((workspace.data_dir / "staging" / "toyset").glob("*/plan.json"))
    plan_stamp = plan.stat().st_mtime_ns
    assert len(before) >= 3  # every other shard was written

    workspace.settings["convert"]["max_image_pixels"] = "100000"
    fixed = workspace.build("toyset")
    assert fixed.stderr.count("running   ConvertShard") == 1
    assert fixed.stderr.count("running   WriteMetadata") >= 1
    assert "running   PlanExamples" not in fixed.stderr
    assert plan.stat().st_mtime_ns == plan_stamp
    after = _shard_stamps(directory)
    assert len(after) == len(before) + 1
    assert all(after[name] == stamp for name, stamp in before.items())
    assert data.verify(directory)["examples"] == 60


def test_bad_checksum_fails_and_keeps_nothing_under_the_final_name(workspace):
    workspace.fixture("semeion")
    table_path = Path(workspace.settings["fetch"]["checksum_overrides"])
    table = json.loads(table_path.read_text())
    actual = table["semeion/semeion.data"]["sha256"]
    table["semeion/semeion.data"]["sha256"] = "ab" * 32
    table_path.write_text(json.dumps(table))
    result = workspace.build("semeion", check=False)
    assert result.returncode == 30
    assert "semeion.data" in result.stderr and "ab" * 32 in result.stderr and actual in result.stderr
    artifacts = workspace.data_dir / "artifacts" / "semeion"
    assert not (artifacts / "semeion.data").exists()
    assert list(artifacts.glob("semeion.data.rejected-*"))
    assert not list(workspace.data_dir.rglob("dataset_info.json"))


def test_unknown_dataset_fails_with_close_names(workspace):
    result = workspace.build("mnits", check=False)
    assert result.returncode != 0
    assert "unknown dataset 'mnits'" in result.stderr and "did you mean mnist" in result.stderr


def test_count_mismatch_fails_with_a_clear_error(workspace):
    workspace.fixture("mnist")
    workspace.settings["convert"]["check_counts"] = "true"
    result = workspace.build("mnist", check=False)
    assert result.returncode == 30
    assert "test declared 10000, found " in result.stderr and "train declared 60000, found " in result.stderr
    assert not list((workspace.data_dir / "staging" / "mnist").glob("*/plan.json"))


AUDIT_HOOK = """
import os, sys
_log = os.environ["OPEN_LOG"]
_watch = os.environ["OPEN_WATCH"]
def _hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        if path.startswith(_watch) and "/." not in path:
            with open(_log, "a") as out:
                out.write(path + "\\n")
sys.addaudithook(_hook)
"""


@pytest.mark.parametrize("name", ["caltech101", "cifar10"])
def test_each_compressed_archive_is_read_once_per_build(workspace, name):
    hook_dir = workspace.path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(AUDIT_HOOK)
    log = workspace.path / "opens.log"
    workspace.fixture(name)
    workspace.settings["convert"]["min_shards"] = "3"
    artifacts = workspace.data_dir / "artifacts" / handlers.get(name).source
    env = workspace.env()
    env.update(OPEN_LOG=str(log), OPEN_WATCH=str(artifacts),
               PYTHONPATH=f"{hook_dir}{os.pathsep}{env['PYTHONPATH']}")
    workspace.build(name, workers=2, env_extra=env)
    info = data.info(workspace.dataset_dir(name))
    assert sum(len(s["shards"]) for s in info["splits"].values()) >= 6
    opens = log.read_text().splitlines()
    archive = str(artifacts / handlers.get(name).artifacts[0].file)
    assert opens.count(archive) == 1, opens


def _records(directory: Path) -> dict[str, list[tuple]]:
    """split -> (key, label, image bytes) of every record, in stored order."""
    return {split: [(r["key"], int(r["label"]), r["image"].tobytes())
                    for r in data.load(directory, split, as_numpy=True)]
            for split in data.info(directory)["splits"]}


def test_a_new_shard_size_converts_again_from_staging(workspace):
    workspace.fixture("cifar10")
    workspace.build("cifar10")
    directory = workspace.dataset_dir("cifar10")
    first = data.info(directory)
    staged = {p: (p.stat().st_ino, p.stat().st_mtime_ns)
              for p in (workspace.data_dir / "staging" / "cifar10").glob("*/*") if p.is_file()}
    assert any(p.name == "records.bin" for p in staged)
    records = _records(directory)
    for setting, value in (("min_shards", "3"), ("target_shard_mb", "0.003")):
        workspace.settings["convert"][setting] = value
        result = workspace.build("cifar10")
        assert "running   PlanExamples" not in result.stderr, "no archive is read again"
        assert "running   ConvertShard" in result.stderr
        assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in staged} == staged
        info = data.info(directory)
        counts = {split: len(entry["shards"]) for split, entry in info["splits"].items()}
        assert counts != {split: len(entry["shards"]) for split, entry in first["splits"].items()}
        assert info["provenance"]["fingerprint"] == first["provenance"]["fingerprint"]
        assert info["provenance"]["settings"][setting] == json.loads(value), "the settings are recorded"
        listed = {shard["file"] for entry in info["splits"].values() for shard in entry["shards"]}
        assert {p.name for p in directory.glob("*.tfrecord-*")} == listed, "no shard of an old count"
        assert _records(directory) == records
        assert data.verify(directory)
        first = info


def test_unfinished_build_is_refused(workspace):
    directory = workspace.data_dir / "datasets" / "mnist" / "1.0.0"
    directory.mkdir(parents=True)
    with pytest.raises(data.IncompleteDatasetError, match="unfinished"):
        data.load(directory, "train")


def test_known_bad_members_are_skipped_and_counted(workspace):
    from toyset import BIG_MEMBER

    counts = workspace.fixture("toyset_skipping")
    workspace.settings["convert"]["max_image_pixels"] = "1000"  # the member would fail
    workspace.build("toyset_skipping")
    info = data.info(workspace.dataset_dir("toyset_skipping"))
    assert info["skipped_members"] == {"count": 1, "keys": [BIG_MEMBER]}
    assert sum(s["num_examples"] for s in info["splits"].values()) == sum(counts.values()) - 1
