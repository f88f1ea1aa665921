"""Two real build processes with different command lines over one data dir, without a
central scheduler (Luigi's own lock only matches identical command lines): each file has
one writer at a time (data/ownership.py), so both finish with the outputs of one clean
build, and a download in progress is waited for, never fetched twice or torn."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

from conftest import Workspace
from fakes.server import FaultServer, Stall

from data import ownership

DATASETS = ("mnist", "semeion")
STALLED = "/mnist/t10k-images-idx3-ubyte.gz"


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _workspace(tmp_path: Path, http_mirror, label: str) -> Workspace:
    workspace = Workspace(tmp_path / label, *http_mirror)
    workspace.path.mkdir()
    for name in DATASETS:
        workspace.fixture(name)
    workspace.write_config()
    return workspace


def _start(workspace: Workspace, order) -> subprocess.Popen:
    log = open(workspace.path / f"{','.join(order)}.log", "w")  # noqa: SIM115 - closed by the OS at exit
    return subprocess.Popen(workspace.luigi_command(*order), cwd=workspace.path, env=workspace.env(),
                            stdout=subprocess.DEVNULL, stderr=log)


def _finish(workspace: Workspace, processes) -> str:
    codes = [process.wait(timeout=300) for process in processes]
    logs = "".join(p.read_text() for p in workspace.path.glob("*.log"))
    assert codes == [0, 0], logs[-6000:]
    assert logs.count("This progress looks :)") == 2, logs[-4000:]
    assert ownership.leftovers(workspace.data_dir) == []
    return logs


def _waiters(lock: Path) -> int:
    """How many processes wait for ``lock`` (its blocked requests in /proc/locks)."""
    try:
        inode = lock.stat().st_ino
    except FileNotFoundError:
        return 0
    lines = Path("/proc/locks").read_text().splitlines()
    return sum(1 for line in lines if "->" in line and line.split()[-3].endswith(f":{inode}"))


def test_overlapping_builds_with_different_command_lines_both_finish_identically(tmp_path, http_mirror):
    reference = _workspace(tmp_path, http_mirror, "reference")
    reference.build(*DATASETS)
    expected = _tree(reference.data_dir / "datasets")
    assert len(expected) >= 10

    # Round 1, steered: the first download of one file stalls until the other build is
    # seen waiting for that file's lock; then the file is fetched once, by one build.
    server = FaultServer()
    try:
        steered = _workspace(tmp_path, http_mirror, "steered")
        for name in DATASETS:
            for path in (steered.mirror_root / name).iterdir():
                server.add(f"/{name}/{path.name}", path.read_bytes())
        body = server.resources[STALLED].body
        release = threading.Event()
        server.script(STALLED, Stall(after=len(body) // 2, release=release))
        steered.settings["fetch"]["mirrors"] = server.url("")
        steered.write_config()
        processes = [_start(steered, DATASETS), _start(steered, DATASETS[::-1])]
        lock = ownership.lock_path(steered.data_dir / "artifacts" / "mnist" / Path(STALLED).name)
        deadline = time.monotonic() + 120
        while not (server.requests_for(STALLED) and _waiters(lock)):
            assert all(p.poll() is None for p in processes), "a build ended early"
            assert time.monotonic() < deadline, "the second build never waited for the download"
            time.sleep(0.02)
        release.set()
        logs = _finish(steered, processes)
        requests = server.requests_for(STALLED)
        # The stalled transfer and its resumption, both by the build that owned the file.
        assert [r.headers.get("Range") for r in requests] == [None, f"bytes={len(body) // 2}-"]
        assert "was fetched by another process meanwhile" in logs
        assert _tree(steered.data_dir / "datasets") == expected
    finally:
        release.set()
        server.close()

    # Rounds 2 and 3, free: both started at once over a fast mirror.
    for round_ in (2, 3):
        free = _workspace(tmp_path, http_mirror, f"free{round_}")
        _finish(free, [_start(free, DATASETS), _start(free, DATASETS[::-1])])
        assert _tree(free.data_dir / "datasets") == expected
