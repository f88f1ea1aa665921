"""luigid's state is private, and a rerun after kill -9 finishes in seconds: real luigid
processes on loopback, real builds, real SIGKILL."""

from __future__ import annotations

import os
import pickle
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_scheduler import Luigid, _central_command, _free_port

import data
from cli import scheduler_state

ROOT = Path(__file__).resolve().parent.parent

# Hangs the build that has it right before its first shard is renamed into place (its
# ConvertShard then shows as RUNNING in luigid), after saying so in a file.
HOLD_BEFORE_SHARD = """
import os, sys, time
_marker = os.environ.get("HOLD_MARKER")
def _hook(event, args):
    if _marker and event in ("os.rename", "os.replace"):
        target = os.fsdecode(args[1])
        if "/datasets/" in target and ".tfrecord-" in target and "/." not in target:
            open(_marker, "w").close()
            time.sleep(300)
if _marker:
    sys.addaudithook(_hook)
"""


class Planted:
    """A state file whose unpickling touches ``marker`` (code runs), then yields a valid
    empty state, so a luigid that loads it keeps running."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        code = f"(__import__('pathlib').Path({str(self.marker)!r}).touch(), ({{}}, {{}}, {{}}))[1]"
        return eval, (code,)


def _plant(path: Path, marker: Path, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(Planted(marker)))
    os.chmod(path, mode)


def _held_build(workspace, luigid, tmp_path, marker: Path) -> subprocess.Popen:
    hook = tmp_path / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(HOLD_BEFORE_SHARD)
    env = workspace.env()
    env.update(HOLD_MARKER=str(marker), PYTHONPATH=f"{hook}{os.pathsep}{env['PYTHONPATH']}")
    process = subprocess.Popen(_central_command(workspace, luigid.port, "semeion"),
                               cwd=workspace.path, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None and time.monotonic() < deadline, "the build never got to a shard"
        time.sleep(0.05)
    assert [t["name"] for t in luigid.tasks("RUNNING").values()] == ["ConvertShard"]
    return process


def test_a_rerun_waits_seconds_for_a_killed_worker_and_leaves_a_live_one_alone(workspace, luigid, tmp_path):
    workspace.fixture("semeion")
    workspace.write_config()
    marker = tmp_path / "holding"
    first = _held_build(workspace, luigid, tmp_path, marker)
    rerun = _central_command(workspace, luigid.port, "semeion")

    # The first build is alive (it pings while its shard task hangs): the rerun leaves
    # the task to it, stops with Luigi's code, and says who holds what.
    started = time.monotonic()
    blocked = subprocess.run(rerun, cwd=workspace.path, env=workspace.env(), capture_output=True,
                             text=True, timeout=120)
    assert blocked.returncode == 25, blocked.stderr[-3000:]
    assert time.monotonic() - started < 30
    why = blocked.stderr.split("Why tasks were being run by another worker:")[1]
    assert re.search(rf"ConvertShard\S* is being run by the worker with pid {first.pid} on "
                     r"host \S+, which is alive", why), why
    assert "Run the same command again once that build is done" in why

    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    killed = time.monotonic()
    done = subprocess.run(rerun, cwd=workspace.path, env=workspace.env(), capture_output=True,
                          text=True, timeout=120)
    took = time.monotonic() - killed
    assert done.returncode == 0, done.stderr[-3000:]
    # Luigi's defaults (a 60 s disconnect delay, a 60 s pruner) made this about 2 minutes.
    print(f"rerun finished {took:.1f} s after the kill")
    assert took < 20, f"the rerun took {took:.1f} s"
    waited = re.search(rf"ConvertShard\S* is held by the worker with pid {first.pid} on host \S+, "
                       r"silent for \d+ s \(killed\?\): waiting for luigid to give it up", done.stderr)
    taken_over = f"luigid gave up the worker with pid {first.pid}: running ConvertShard" in done.stderr
    # (Unless the rerun, slowed down, came after luigid had given the worker up itself.)
    assert (waited and taken_over) or took > 10, done.stderr[-3000:]
    assert "being run by another worker" not in done.stderr
    assert len(re.findall(r"running +ConvertShard", done.stderr)) >= 1
    assert not luigid.tasks("FAILED") and not luigid.tasks("RUNNING")
    assert data.verify(workspace.dataset_dir("semeion"))


def test_luigid_gives_a_killed_worker_up_within_seconds(workspace, luigid, tmp_path):
    """Without any rerun asking: luigid's own look for silent workers (every 60 s in Luigi)
    runs every half [scheduler] worker_disconnect_delay."""
    workspace.fixture("semeion")
    workspace.write_config()
    first = _held_build(workspace, luigid, tmp_path, tmp_path / "holding")
    held = next(iter(luigid.tasks("RUNNING")))
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    killed = time.monotonic()
    while luigid.tasks("RUNNING"):
        assert time.monotonic() - killed < 20, "luigid still shows the killed worker's task running"
        time.sleep(0.2)
    print(f"luigid gave the killed worker up {time.monotonic() - killed:.1f} s after the kill")
    # Pending at once (not failed until [scheduler] retry_delay): a helper takes it over.
    assert held in luigid.tasks("PENDING")
    assert not luigid.tasks("FAILED")
    assert time.monotonic() - killed > 7, "given up long before [scheduler] worker_disconnect_delay"


def _scheduler(tmp_path: Path, data_dir: Path, state_home: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, XDG_STATE_HOME=str(state_home), PYTHONPATH=str(ROOT))
    env.pop("LUIGI_CONFIG_PATH", None)
    return subprocess.Popen(
        [sys.executable, "-m", "tasks", "--data-dir", str(data_dir), "scheduler", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _serve_once(tmp_path, data_dir, state_home) -> tuple[int, str]:
    """Start ``python -m tasks scheduler``; once it listens (or exits), stop it. Returns
    (exit code, everything it printed)."""
    port = _free_port()
    process = _scheduler(tmp_path, data_dir, state_home, port)
    first = process.stdout.readline()  # "luigid listening ...", or nothing once it exits
    if "listening on" in first:
        process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired as error:
        raise AssertionError(f"the command did not stop; its first line: {first!r}, "
                             f"then: {error.stderr!r}") from error
    finally:
        process.kill()
    return process.returncode, first + out + err


def _state_dir(state_home: Path) -> Path:
    return state_home / "datasets-storage" / "scheduler" / os.uname().nodename


def test_state_lives_in_a_private_folder_and_the_data_dirs_is_never_loaded(tmp_path):
    data_dir, state_home, marker = tmp_path / "shared", tmp_path / "home-state", tmp_path / "ran"
    _plant(data_dir / "scheduler" / "state.pickle", marker, mode=0o644)

    code, printed = _serve_once(tmp_path, data_dir, state_home)
    assert code == 0, printed
    private = _state_dir(state_home)
    assert f"state and logs in {private}" in printed
    for folder in (state_home, *private.relative_to(state_home).parents, private.relative_to(state_home)):
        assert stat.S_IMODE((state_home / folder).stat().st_mode) == 0o700, folder
    assert f"{data_dir / 'scheduler' / 'state.pickle'} is ignored" in printed
    assert not marker.exists(), "the state file planted in the data dir was loaded"
    # luigid saved its state at exit: private too, and trusted at the next start.
    assert stat.S_IMODE((private / "state.pickle").stat().st_mode) == 0o600
    # A [scheduler] state_path meant for plain luigid is named, not used.
    (tmp_path / "luigi.cfg").write_text(f"[scheduler]\nstate_path = {data_dir / 'x.pickle'}\n")
    code, printed = _serve_once(tmp_path, data_dir, state_home)
    assert code == 0 and "is ignored" not in printed, "the old location is reported once"
    assert "not loading" not in printed and not marker.exists()
    assert f"[scheduler] state_path in {tmp_path / 'luigi.cfg'} is for plain luigid" in printed
    assert not (data_dir / "x.pickle").exists()

    # Control: the same planted file, ours and private, is loaded (so the test can see it).
    _plant(tmp_path / "trusted" / "state.pickle", marker)
    Luigid(tmp_path / "trusted").stop()
    assert marker.exists()


@pytest.mark.parametrize("unsafe", ["world-writable file", "group-writable file", "file of another user",
                                    "hard link", "symbolic link", "world-writable folder"])
def test_a_state_file_others_could_write_is_moved_aside(tmp_path, unsafe):
    """The checks luigid's start runs (in ``cli.luigid``, before the state is unpickled);
    end to end with a real luigid in the tests around."""
    state, marker = _state_dir(tmp_path) / "state.pickle", tmp_path / "ran"
    _plant(state, marker)
    if unsafe == "world-writable file":
        os.chmod(state, 0o666)
    elif unsafe == "group-writable file":
        os.chmod(state, 0o620)
        os.chown(state, -1, 65534)  # nogroup: a group with other members than us
    elif unsafe == "file of another user":
        if os.getuid() != 0:
            pytest.skip("giving a file away needs root")
        os.chown(state, 65534, 65534)
    elif unsafe == "hard link":
        os.link(state, tmp_path / "another-name")
    elif unsafe == "symbolic link":
        state.rename(tmp_path / "elsewhere")
        state.symlink_to(tmp_path / "elsewhere")
    else:
        os.chmod(state.parent, 0o777)
    notes = scheduler_state.secure(state)
    assert len(notes) == 1 + (unsafe == "world-writable folder"), notes
    assert f"not loading the scheduler state {state}" in notes[-1]
    assert not os.path.lexists(state)
    aside = [p.name for p in state.parent.iterdir() if p.name.startswith("state.pickle.unsafe-")]
    assert len(aside) == 1 and aside[0] in notes[-1]
    assert stat.S_IMODE(state.parent.stat().st_mode) == 0o700
    assert scheduler_state.secure(state) == [], "nothing left to distrust"
    assert not marker.exists()


def test_a_state_folder_under_a_folder_others_can_write_is_refused(tmp_path):
    shared = tmp_path / "everyone"
    shared.mkdir()
    os.chmod(shared, 0o777)
    marker = tmp_path / "ran"
    _plant(_state_dir(shared) / "state.pickle", marker)
    code, printed = _serve_once(tmp_path, tmp_path / "data", shared)
    assert code == 1
    assert re.search(rf"lies under {shared}, and everyone can write it \(mode 0777\).*"
                     r"Set \[scheduler\] state_dir", printed, re.S), printed
    assert not marker.exists()
    with pytest.raises(scheduler_state.UnsafeStateError, match="everyone can write it"):
        scheduler_state.secure_dir(_state_dir(shared))
    # A sticky folder (as /tmp) is fine: others cannot rename our entries there.
    os.chmod(shared, 0o1777)
    assert scheduler_state.secure_dir(_state_dir(shared)) == (_state_dir(shared), [])


def test_luigid_started_directly_refuses_an_unsafe_state_path(tmp_path):
    """``luigid_program`` (what tests, the bench and the scheduler command run) checks a
    --state-path given to it as well."""
    marker = tmp_path / "ran"
    state = tmp_path / "luigid" / "state.pickle"
    _plant(state, marker, mode=0o622)
    root = tmp_path / "luigid"
    server = Luigid(root)
    try:
        assert server.api("worker_list") == []
    finally:
        server.stop()
    assert not marker.exists()
    assert [p.name.split("-")[0] for p in root.iterdir() if "unsafe" in p.name] == ["state.pickle.unsafe"]


def test_settings_of_the_central_scheduler(tmp_path):
    """The luigid we start reads the project's defaults: a silent worker is given up in
    seconds; ``[scheduler] state_dir`` moves the state."""
    probe = ("from cli import luigid, scheduler_state; luigid.install_defaults(); "
             "scheduler_state.known_to_luigi(); "
             "from luigi.scheduler import scheduler; from luigi.worker import worker; "
             "print(scheduler().worker_disconnect_delay, worker().ping_interval)")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("LUIGI_CONFIG_PATH", None)
    out = subprocess.run([sys.executable, "-W", "error::UserWarning", "-c", probe], cwd=tmp_path,
                         env=env, capture_output=True, text=True, check=True).stdout.split()
    delay, ping = map(float, out)
    assert delay <= 15 and ping * 5 <= delay
    # A build's own (local) scheduler reads [scheduler] too: our key warns nothing there.
    local = "import tasks, luigi.scheduler as s; s.Scheduler(); print(s.scheduler().worker_disconnect_delay)"
    assert subprocess.run([sys.executable, "-W", "error::UserWarning", "-c", local], cwd=tmp_path,
                          env=env, capture_output=True, text=True, check=True).stdout.strip() == "10.0"

    (tmp_path / "luigi.cfg").write_text("[scheduler]\nstate_dir = here/state\n")
    where = subprocess.run([sys.executable, "-c", "from cli import scheduler_state as s; print(s.state_dir())"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout
    assert where.strip() == str(tmp_path / "here" / "state")
    assert scheduler_state.default_state_dir().parts[-3:-1] == ("datasets-storage", "scheduler")


def test_the_summary_says_who_holds_a_task_and_what_to_do(monkeypatch):
    import logging

    from tasks import central_scheduler, logs

    def summary():
        text = ("===== Luigi Execution Summary =====\n\nScheduled 2 tasks of which:\n"
                "* 1 were being run by another worker:\n    - 1 FetchArtifact(source=x, file=y)\n")
        return logging.LogRecord("luigi-interface", logging.INFO, __file__, 1, text, (), None)

    monkeypatch.setattr(central_scheduler, "HOLDERS", {})
    record = summary()
    logs._WithoutTraceback().filter(record)
    assert "run the same command again in a few seconds" in record.getMessage().lower()

    holder = central_scheduler.Holder("FetchArtifact_x_y", "Worker(pid=7)", "hostb", "7", 1.0,
                                      silence=4.2, alive=False)
    monkeypatch.setattr(central_scheduler, "HOLDERS", {holder.task_id: holder})
    record = summary()
    logs._WithoutTraceback().filter(record)
    text = record.getMessage()
    assert text.startswith("===== Luigi Execution Summary")
    assert ("- FetchArtifact_x_y is held by the worker with pid 7 on host hostb, silent for 4 s, "
            "which luigid has not given up yet") in text
    assert "worker_disconnect_delay (10 s in this host's settings" in text
    unrelated = logging.LogRecord("luigi-interface", logging.INFO, __file__, 1, "Done", (), None)
    logs._WithoutTraceback().filter(unrelated)
    assert unrelated.getMessage() == "Done"


def test_a_group_of_our_own_may_write(tmp_path):
    """With umask 002 and a "user private group", group-writable files are still ours alone."""
    if not scheduler_state._private_group(os.getgid()):
        pytest.skip("this user's primary group is shared")
    state = _state_dir(tmp_path) / "state.pickle"
    _plant(state, tmp_path / "ran", mode=0o660)
    os.chown(state, -1, os.getgid())
    assert scheduler_state.secure(state) == [] and state.exists()


def test_a_daemonized_luigid_saves_a_state_it_trusts_at_the_next_start(tmp_path):
    """A daemon starts with umask 0: luigid's state file would be world-writable, and moved
    aside (all history lost) at every restart."""
    pytest.importorskip("daemon")
    state_home, private = tmp_path / "home-state", _state_dir(tmp_path / "home-state")
    for _ in range(2):
        port = _free_port()
        command = [sys.executable, "-m", "tasks", "--data-dir", str(tmp_path / "data"), "scheduler",
                   "--port", str(port), "--background"]
        env = dict(os.environ, XDG_STATE_HOME=str(state_home), PYTHONPATH=str(ROOT))
        started = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert started.returncode == 0 and "listening on" in started.stdout, started.stderr
        assert "not loading" not in started.stderr
        pid = int((private / "luigid.pid").read_text())
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while _alive(pid):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert stat.S_IMODE((private / "state.pickle").stat().st_mode) == 0o600
    assert not [p for p in private.iterdir() if "unsafe" in p.name]


def _alive(pid: int) -> bool:
    """Running (a daemon's zombie, which an init that does not reap leaves, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True
