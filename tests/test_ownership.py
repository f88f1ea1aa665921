"""Ownership of files being written, by lock (data/ownership.py), with real processes:
a live writer's temporaries are kept, a dead one's are removed whatever its PID says
(zombie, reused), concurrent writers of one file take turns, and a real build killed
with SIGKILL while planning or converting leaves nothing a rerun does not remove."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import ROOT

from data import ownership
from data.atomic import atomic_path, write_text_atomic


def _python(code: str) -> subprocess.Popen:
    """A child Python process running ``code`` with this project importable; it prints
    'ready' once it holds what it was told to hold."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env,
                               stdout=subprocess.PIPE, text=True)
    lines = []
    while (line := process.stdout.readline()) and line.strip() != "ready":
        lines.append(line)  # whatever an import printed first
    assert line.strip() == "ready", f"the helper process ended early: {lines}"
    return process


def _holding_a_partial(final: Path) -> subprocess.Popen:
    """A live writer of ``final``, stopped halfway: its temporary exists, its lock is held."""
    return _python(f"""
        import time
        from pathlib import Path
        from data.atomic import atomic_path
        with atomic_path(Path({str(final)!r})) as temporary:
            temporary.write_bytes(b"half")
            print("ready", flush=True)
            time.sleep(120)
    """)


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_a_live_writers_partial_is_kept_and_its_zombies_removed(tmp_path):
    final = tmp_path / "shard-00000-of-00002"
    writer = _holding_a_partial(final)
    try:
        [partial] = ownership.partials_of(final)
        assert ownership.is_owned(final)
        assert ownership.remove_partials(final) == [] and ownership.sweep(tmp_path) == []
        assert partial.exists() and ownership.lock_path(final).exists()

        # Killed but not reaped: a zombie, whose PID is still taken (the old rule kept
        # its partial). It holds no lock, so its partial is removed.
        writer.kill()
        deadline = time.monotonic() + 10
        # Z once its last thread is gone (threads of a killed process exit one by one,
        # the last one closing its files).
        while _state(writer.pid) != "Z" or len(os.listdir(f"/proc/{writer.pid}/task")) > 1:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert not ownership.is_owned(final)
        assert ownership.sweep(tmp_path) == [partial]
        assert not partial.exists() and not ownership.lock_path(final).exists()
        assert _state(writer.pid) == "Z"  # removed while the zombie was still there
    finally:
        writer.kill()
        writer.wait()


def test_a_partial_named_after_a_live_pid_but_with_a_free_lock_is_removed(tmp_path):
    """A PID in the name means nothing: this very process's (alive), init's, and a
    lock file a killed writer left behind."""
    host = socket.gethostname()
    stale = [tmp_path / f".records.bin{ownership.PARTIAL_MARK}{host}-{os.getpid()}-0a0b0c0d",
             tmp_path / f".plan.json{ownership.PARTIAL_MARK}{host}-1-01020304"]
    for path in stale:
        path.write_bytes(b"left over")
    (tmp_path / ".plan.json.lock").write_text("a writer (pid 1)\n")
    (tmp_path / "records.bin").write_bytes(b"kept")
    assert sorted(ownership.sweep(tmp_path)) == sorted(stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["records.bin"]


def test_a_second_writer_waits_for_the_first_then_sees_its_file(tmp_path):
    final = tmp_path / "artifact.bin"
    first = _python(f"""
        import time
        from pathlib import Path
        from data.atomic import atomic_path
        with atomic_path(Path({str(final)!r})) as temporary:
            temporary.write_bytes(b"first")
            print("ready", flush=True)
            time.sleep(1.0)
    """)
    started = time.monotonic()
    with ownership.owned(final):
        waited = time.monotonic() - started
        assert final.read_bytes() == b"first"  # in place when the lock came free
    first.wait()
    assert waited > 0.5, waited
    assert ownership.leftovers(tmp_path) == []


def test_writers_that_delete_their_lock_files_still_exclude_each_other(tmp_path):
    """Four processes add 1 to a counter 40 times each under its lock; every holder
    deletes the lock file on release, so waiters must notice they locked a deleted file."""
    counter = tmp_path / "counter"
    counter.write_text("0")
    code = f"""
        from pathlib import Path
        from data import ownership
        counter = Path({str(counter)!r})
        print("ready", flush=True)
        for _ in range(40):
            with ownership.owned(counter):
                value = int(counter.read_text())
                counter.write_text(str(value + 1))
    """
    workers = [_python(code) for _ in range(4)]
    for worker in workers:
        assert worker.wait(timeout=120) == 0
    assert counter.read_text() == "160"
    assert ownership.leftovers(tmp_path) == []


def test_the_lock_is_reentrant_and_a_holder_never_removes_its_own_temporary(tmp_path):
    final = tmp_path / "plan.json"
    with ownership.owned(final), atomic_path(final) as temporary:
        temporary.write_text("{}")
        assert ownership.remove_partials(final) == []  # the same thread: its own file
        assert temporary.exists()
    assert final.read_text() == "{}" and ownership.leftovers(tmp_path) == []
    write_text_atomic(final, "[]")
    assert final.read_text() == "[]"


def test_another_thread_of_the_same_process_waits_like_another_process(tmp_path):
    """Locks are per thread within a process: a second thread waits like another process."""
    import threading

    final = tmp_path / "x"
    order = []

    def second():
        with ownership.owned(final):
            order.append("thread")

    with ownership.owned(final):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)
        order.append("main")
    thread.join(timeout=10)
    assert order == ["main", "thread"]


@pytest.fixture(scope="module")
def slow_zip(tmp_path_factory):
    """(mirror folder, sha256, counts) of the slowset fixture (tests/fakes/slowset.py)."""
    import hashlib

    from fakes import slowset

    mirror = tmp_path_factory.mktemp("slow-mirror")
    (mirror / "slowset").mkdir()
    counts = slowset.write_zip(mirror / "slowset" / slowset.FILE)
    return mirror, hashlib.sha256((mirror / "slowset" / slowset.FILE).read_bytes()).hexdigest(), counts


def _slow_workspace(workspace, slow_zip, delay: float = 0.0) -> dict:
    """Configure ``workspace`` to build slowset from a folder mirror; return the env."""
    import json

    mirror, sha256, _ = slow_zip
    overrides = Path(workspace.settings["fetch"]["checksum_overrides"])
    overrides.write_text(json.dumps({"slowset/slowset.zip": {"sha256": sha256}}))
    workspace.settings["fetch"].update(mirrors=str(mirror), offline="false")
    workspace.write_config()
    env = workspace.env()
    env.update(DATASETS_STORAGE_HANDLERS="toyset,leakset,slowset", SLOWSET_DELAY=str(delay),
               PYTHONPATH=f"{ROOT / 'tests' / 'fakes'}{os.pathsep}{env['PYTHONPATH']}")
    return env


def _slow_dir(workspace) -> Path:
    return workspace.data_dir / "datasets" / "slowset" / "1.0.0"


def _kill_when(process: subprocess.Popen, seen, timeout: float = 120) -> None:
    """SIGKILL the build's process group at a moment ``seen()`` is true: the group is
    stopped first, so the moment is checked while nothing moves."""
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, "the build ended before it could be killed"
        assert time.monotonic() < deadline, "the moment to kill never came"
        if seen():
            os.killpg(process.pid, signal.SIGSTOP)
            if seen():
                break
            os.killpg(process.pid, signal.SIGCONT)
        time.sleep(0.003)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _start(workspace, env, *names, workers=1) -> subprocess.Popen:
    return subprocess.Popen(workspace.luigi_command(*names, workers=workers), cwd=workspace.path,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_sigkill_while_planning_then_a_rerun_removes_every_partial(workspace, slow_zip):
    import data

    env = _slow_workspace(workspace, slow_zip, delay=0.05)
    staging = workspace.data_dir / "staging" / "slowset"
    records = lambda: list(staging.glob(f"*/.records.bin{ownership.PARTIAL_MARK}*"))  # noqa: E731
    _kill_when(_start(workspace, env, "slowset"), lambda: records() and records()[0].stat().st_size)
    [partial] = records()
    assert ownership.lock_path(partial.parent / "records.bin").exists()  # what a kill leaves
    assert not list(staging.glob("*/plan.json"))

    result = workspace.build("slowset", env_extra={**env, "SLOWSET_DELAY": "0"}, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not partial.exists()
    assert ownership.leftovers(workspace.data_dir) == []
    assert data.verify(_slow_dir(workspace))["examples"] == sum(slow_zip[2].values())


def test_sigkill_while_converting_then_a_rerun_finishes_identically(workspace, slow_zip, tmp_path, http_mirror):
    """Two workers killed while a shard is half written; the rerun keeps the finished
    shards, removes the partial ones and a stale partial named after a live PID, keeps a
    live writer's partial, and ends byte-identical to a clean build."""
    from conftest import Workspace

    workspace.settings["convert"]["min_shards"] = "3"
    env = _slow_workspace(workspace, slow_zip)
    directory = _slow_dir(workspace)
    partials = lambda: list(directory.glob(f".slowset-*{ownership.PARTIAL_MARK}*"))  # noqa: E731
    _kill_when(_start(workspace, env, "slowset", workers=2), lambda: any(p.stat().st_size for p in partials()))
    left = partials()
    assert left and not (directory / "dataset_info.json").exists()
    finished = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in directory.glob("slowset-*")}

    other_count = directory / "slowset-train.tfrecord-00000-of-00099"
    stale = other_count.with_name(f".{other_count.name}{ownership.PARTIAL_MARK}{socket.gethostname()}-{os.getpid()}-00000000")
    stale.write_bytes(b"stale")
    live_final = directory / "slowset-train.tfrecord-00001-of-00099"
    live = _holding_a_partial(live_final)
    try:
        result = workspace.build("slowset", workers=2, env_extra=env, check=False)
        assert result.returncode == 0, result.stderr[-3000:]
        assert not any(p.exists() for p in left) and not stale.exists()
        [kept] = ownership.partials_of(live_final)  # its writer holds the lock: kept
        after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in directory.glob("slowset-*")}
        assert all(after[name] == stamp for name, stamp in finished.items())
    finally:
        live.kill()
        live.wait()
    assert ownership.sweep(directory) == [kept]
    assert ownership.leftovers(workspace.data_dir) == []

    clean = Workspace(tmp_path / "clean", *http_mirror)
    clean.path.mkdir()
    clean.settings["convert"]["min_shards"] = "3"
    clean.build("slowset", env_extra=_slow_workspace(clean, slow_zip))
    assert _tree(clean.data_dir / "datasets") == _tree(workspace.data_dir / "datasets")


def test_writeback_flushes_a_growing_temporary_and_stops_with_it(tmp_path, monkeypatch):
    """``atomic_path(writeback=True)``: a thread flushes the temporary while it grows (seen
    here by counting its fdatasync calls on that file), and is gone when the file is in
    place, or when the writer fails (its temporary removed, as without it)."""
    import threading
    import time

    from data import atomic

    monkeypatch.setattr(atomic.Writeback, "INTERVAL", 0.05)
    flushed = []
    real = os.fdatasync
    monkeypatch.setattr(os, "fdatasync", lambda fd: (flushed.append(os.readlink(f"/proc/self/fd/{fd}")), real(fd)))
    final = tmp_path / "big.bin"
    with atomic.atomic_path(final, writeback=True) as temporary, open(temporary, "wb") as out:
        for _ in range(8):
            out.write(os.urandom(1 << 16))
            out.flush()
            time.sleep(0.05)
    assert final.stat().st_size == 8 << 16
    assert flushed and all(Path(path).name == temporary.name for path in flushed)
    assert not [t for t in threading.enumerate() if t.name.startswith("writeback-")]

    with pytest.raises(RuntimeError), atomic.atomic_path(tmp_path / "failed.bin", writeback=True) as temporary:
        temporary.write_bytes(b"x" * 1000)
        time.sleep(0.2)
        raise RuntimeError("the writer failed")
    assert not temporary.exists() and not (tmp_path / "failed.bin").exists()
    assert not [t for t in threading.enumerate() if t.name.startswith("writeback-")]
