"""Starting the central scheduler (luigid) the safe way: on loopback, state in the data dir.

luigid listens on every interface unless told otherwise and its web UI has no
authentication, so the default address is 127.0.0.1; expose it deliberately, behind a
reverse proxy with authentication (see README).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

# luigid's own entry point, run by this interpreter: found whether or not the
# environment's scripts folder is on PATH.
_LUIGID = "import sys; from luigi.cmdline import luigid; luigid(sys.argv[1:])"


def luigid_program() -> list[str]:
    """The command that runs luigid with this interpreter's packages."""
    return [sys.executable, "-c", _LUIGID]
LISTEN_TIMEOUT = 15.0


def luigid_command(data_dir: Path, address: str, port: int, background: bool) -> list[str]:
    root = Path(data_dir).resolve() / "scheduler"
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
    command = luigid_command(data_dir, address, port, background)
    root = Path(data_dir).resolve() / "scheduler"
    (root / "log").mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(command)
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
    if background:
        return 0
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        return process.wait()


def _listening(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=0.5):
            return True
    except OSError:
        return False
