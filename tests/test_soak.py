"""Soak: a build with two workers killed with SIGKILL at random moments, many times over,
then finished. Not in the default suite (minutes): ``python -m pytest -m soak -n 0 -s
tests/test_soak.py``; ``SOAK_KILLS`` (default 20) and ``SOAK_SEED`` steer it.

Each round starts from an empty data dir and is killed until a run finishes by itself;
rounds repeat until enough kills landed. After every run: nothing finished before it was
rewritten (inode and mtime of shards, plans, verified artifacts). At the end of a round:
outputs byte-identical to a clean build, and not one partial, lock or temporary file left
anywhere under the data dir.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import ROOT, Workspace

from data import ownership

pytestmark = pytest.mark.soak

DATASETS = ("mnist", "cifar10", "semeion", "slowset")
FAKES = ROOT / "tests" / "fakes"


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _finished(data_dir: Path) -> dict[str, tuple[int, int]]:
    """Files that, once there, must never be written again: shards with their sidecars
    (a sidecar alone is a shard killed before its rename), plans, verified artifacts."""
    shards = list(data_dir.glob("datasets/*/*/[!.]*.tfrecord-*"))
    names = {p.name for p in shards}
    sidecars = [p for p in data_dir.glob("staging/*/*/shards-*/[!.]*.json") if p.stem in names]
    paths = [*shards, *sidecars, *data_dir.glob("staging/*/*/plan.json"),
             *data_dir.glob("artifacts/.by-sha256/*")]
    return {str(p.relative_to(data_dir)): (p.stat().st_ino, p.stat().st_mtime_ns) for p in paths}


def _stranded(data_dir: Path) -> set[str]:
    """What a kill left half-written: partial shards, staging or metadata files, and
    downloads (partial files or their locks), by kind."""
    kinds = set()
    for path in [*ownership.leftovers(data_dir), *data_dir.glob("artifacts/*/.*.download")]:
        if ".tfrecord-" in path.name and "datasets" in path.parts:
            kinds.add("shard")
        elif "staging" in path.parts:
            kinds.add("staging")
        elif "artifacts" in path.parts:
            kinds.add("download")
        else:
            kinds.add("metadata")
    return kinds


def _stray(data_dir: Path) -> list[str]:
    """Hidden files that are not an artifact's record: partials, locks, downloads, links."""
    return sorted(str(p.relative_to(data_dir)) for p in data_dir.rglob(".*")
                  if p.is_file() and not (p.name.endswith(".sha256") and p.parent.parent.name == "artifacts"))


def _workspace(tmp_path: Path, http_mirror, label: str, slow_mirror: Path, sha256: str) -> tuple[Workspace, dict]:
    workspace = Workspace(tmp_path / label, *http_mirror)
    workspace.path.mkdir()
    for name in DATASETS[:-1]:
        workspace.fixture(name)
    overrides = Path(workspace.settings["fetch"]["checksum_overrides"])
    table = json.loads(overrides.read_text())
    table["slowset/slowset.zip"] = {"sha256": sha256}
    overrides.write_text(json.dumps(table))
    workspace.settings["fetch"]["mirrors"] += f",{slow_mirror}"
    workspace.settings["convert"].update(min_shards="4", target_shard_mb="0.5")
    workspace.write_config()
    env = workspace.env()
    env.update(DATASETS_STORAGE_HANDLERS="toyset,leakset,slowset",
               PYTHONPATH=f"{FAKES}{os.pathsep}{env['PYTHONPATH']}")
    return workspace, env


def test_random_sigkills_then_a_finished_build_identical_to_a_clean_one(tmp_path, http_mirror):
    from fakes import slowset

    wanted = int(os.environ.get("SOAK_KILLS", "20"))
    rng = random.Random(int(os.environ.get("SOAK_SEED", "16")))
    slow_mirror = tmp_path / "slow-mirror"
    (slow_mirror / "slowset").mkdir(parents=True)
    slowset.write_zip(slow_mirror / "slowset" / slowset.FILE, count=240, side=192)
    sha256 = hashlib.sha256((slow_mirror / "slowset" / slowset.FILE).read_bytes()).hexdigest()

    clean, env = _workspace(tmp_path, http_mirror, "clean", slow_mirror, sha256)
    started = time.monotonic()
    clean.build(*DATASETS, workers=2, env_extra=env)
    duration = time.monotonic() - started
    expected = _tree(clean.data_dir / "datasets")
    assert _stray(clean.data_dir) == []

    kills = rounds = runs = stranded = 0
    phases: collections.Counter = collections.Counter()
    moments: list[float] = []
    while kills < wanted:
        rounds += 1
        workspace, env = _workspace(tmp_path, http_mirror, f"round{rounds}", slow_mirror, sha256)
        finished: dict[str, tuple[int, int]] = {}
        while True:
            runs += 1
            log = workspace.path / f"run{runs}.log"
            with open(log, "w") as stderr:
                process = subprocess.Popen(
                    workspace.luigi_command(*DATASETS, workers=2), cwd=workspace.path, env=env,
                    stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
            moment = rng.uniform(0.2, duration)
            try:
                process.wait(timeout=moment)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                kills += 1
                moments.append(moment)
                left = _stranded(workspace.data_dir)
                stranded += bool(left)
                phases.update(left)
            else:
                assert process.returncode == 0, log.read_text()[-4000:]
            now = _finished(workspace.data_dir)
            redone = {name for name, stamp in finished.items() if now.get(name) != stamp}
            assert not redone, f"rewritten or lost after run {runs}: {sorted(redone)[:5]}"
            finished = now
            if process.returncode == 0:
                break
        assert _tree(workspace.data_dir / "datasets") == expected
        assert _stray(workspace.data_dir) == [] and ownership.leftovers(workspace.data_dir) == []
    print(f"\nsoak: {kills} SIGKILLs in {rounds} rounds of {runs} runs (clean build "
          f"{duration:.1f}s; kill moments {min(moments):.1f}-{max(moments):.1f}s; {stranded} kills "
          f"left half-written files behind, by kind {dict(sorted(phases.items()))}); every round "
          f"byte-identical to the clean build ({len(expected)} files), no partial file left, "
          "nothing finished rewritten")
