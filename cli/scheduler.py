"""Starting the central scheduler (luigid) the safe way: on loopback, its state private.

luigid listens on every interface unless told otherwise and its web UI has no
authentication, so the default address is 127.0.0.1; expose it deliberately, behind a
reverse proxy with authentication (see README). Its state is a pickle that luigid loads
(runs) at start: it lives on this host in a folder only its owner can write
(``cli.scheduler_state``), never in the shared data dir.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from cli import scheduler_state
from data import settings

# Our luigid entry point (cli.luigid), run by this interpreter with this copy of the
# project first on its path: found whether or not the environment's scripts folder is on
# PATH, and the same code whatever the current directory.
_LUIGID = ("import sys; sys.path.insert(0, {root!r}); from cli.luigid import main; "
           "sys.exit(main(sys.argv[1:]))")
LISTEN_TIMEOUT = 15.0


def luigid_program() -> list[str]:
    """The command that runs luigid with this interpreter's packages and the project's
    defaults, refusing state files others could have written."""
    return [sys.executable, "-c", _LUIGID.format(root=str(Path(__file__).resolve().parent.parent))]


def luigid_command(root: Path, address: str, port: int, background: bool) -> list[str]:
    """luigid on ``address:port`` with its state, log and pid file in ``root``."""
    command = [
        *luigid_program(),
        "--address", address,
        "--port", str(port),
        "--state-path", str(root / "state.pickle"),
        "--logdir", str(root / "log"),
        "--pidfile", str(root / "luigid.pid"),
    ]
    return command + (["--background"] if background else [])


def run_luigid(data_dir: Path, address: str, port: int, background: bool) -> int:
    """Start luigid, say so only once it accepts connections, then wait for it (foreground)
    or leave it running (background). Returns the exit code for the command."""
    try:
        root, notes = scheduler_state.secure_dir(scheduler_state.state_dir())
        notes += scheduler_state.secure_file(root / scheduler_state.STATE_FILE)
        (root / "log").mkdir(mode=0o700, exist_ok=True)
    except (scheduler_state.UnsafeStateError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    notes.append(scheduler_state.old_state_notice(data_dir, root))
    state_path, source = settings.value("scheduler", "state_path")
    if state_path:
        notes.append(f"note: [scheduler] state_path in {source} is for plain luigid; this "
                     f"command keeps the state in {root} ([scheduler] state_dir)")
    for note in filter(None, notes):
        print(note, file=sys.stderr, flush=True)
    _drop_stale_pidfile(root / "luigid.pid")
    process = subprocess.Popen(luigid_command(root, address, port, background))
    try:
        code = _until_listening(process, root, address, port, background)
        if code is not None or background:
            return code or 0
        return process.wait()
    except KeyboardInterrupt:  # Ctrl-C, at any moment: luigid stops too, saving its state
        if not background:
            return _stop(process)
        return 130


def _stop(process, grace: float = 15.0) -> int:
    """Stop a foreground luigid after Ctrl-C: SIGTERM (it saves its state and exits),
    then SIGKILL after ``grace`` seconds, so the command never hangs. Ctrl-C on a
    terminal has sent luigid the SIGINT too, and a second signal while it saves would
    interrupt the save (Luigi's handler is not re-entrant): then it is only waited for."""
    if not _signalled_with_us():
        process.terminate()
    try:
        return process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        print(f"luigid (pid {process.pid}) did not stop within {grace:.0f} s; killed it",
              file=sys.stderr, flush=True)
        process.kill()
        return process.wait()


def _signalled_with_us() -> bool:
    """True when this process is in its terminal's foreground process group: the
    terminal's Ctrl-C then went to luigid (a child in the same group) as well."""
    try:
        return os.getpgrp() == os.tcgetpgrp(sys.stdin.fileno())
    except (OSError, ValueError, AttributeError):
        return False


def _drop_stale_pidfile(pidfile: Path) -> None:
    """Remove a pid file whose luigid has stopped. luigid takes any process with that pid
    for itself, and a stopped daemon stays a zombie where nothing reaps it (containers
    whose first process does not): it would refuse to start "already running"."""
    if not Path("/proc/self/stat").exists():
        return  # no way to tell a zombie here; luigid's own check stands
    try:
        pid = int(pidfile.read_text().strip())
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, ValueError, IndexError):
        state = "gone"
    if state in ("gone", "Z", "X"):
        pidfile.unlink(missing_ok=True)


def _until_listening(process, root: Path, address: str, port: int, background: bool) -> int | None:
    """None once luigid accepts connections (said so), else the exit code for the command."""
    deadline = time.monotonic() + LISTEN_TIMEOUT
    while not _listening(address, port):
        code = process.poll()
        if code is not None and not background:
            print(f"error: luigid exited with code {code} before listening on {address}:{port} "
                  "(is the port taken? see the lines above)", file=sys.stderr)
            return 1
        if time.monotonic() > deadline:
            print(f"error: luigid did not listen on {address}:{port} within {LISTEN_TIMEOUT:.0f} s; "
                  f"its log is in {root / 'log'}", file=sys.stderr)
            if process.poll() is None and not background:
                process.terminate()
            return 1
        time.sleep(0.1)
    print(f"luigid listening on http://{address}:{port} (state and logs in {root}); "
          f"build with: luigi --module tasks BuildDataset --dataset NAME "
          f"--scheduler-host {address} --scheduler-port {port}", flush=True)
    return None


def _listening(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=0.5):
            return True
    except OSError:
        return False
