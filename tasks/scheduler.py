"""Starting the central scheduler (luigid) the safe way: on loopback, state in the data dir.

luigid listens on every interface unless told otherwise and its web UI has no
authentication, so the default address is 127.0.0.1; expose it deliberately, behind a
reverse proxy with authentication (see README).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def luigid_command(data_dir: Path, address: str, port: int, background: bool) -> list[str]:
    root = Path(data_dir).resolve() / "scheduler"
    command = [
        shutil.which("luigid") or "luigid",
        "--address", address,
        "--port", str(port),
        "--state-path", str(root / "state.pickle"),
        "--logdir", str(root / "log"),
        "--pidfile", str(root / "luigid.pid"),
    ]
    return command + (["--background"] if background else [])


def run_luigid(data_dir: Path, address: str, port: int, background: bool) -> None:
    """Replace this process with luigid (foreground), or start it as a daemon."""
    command = luigid_command(data_dir, address, port, background)
    (Path(data_dir) / "scheduler" / "log").mkdir(parents=True, exist_ok=True)
    print(f"luigid on http://{address}:{port} (state and logs in {Path(data_dir).resolve() / 'scheduler'})",
          flush=True)
    os.execvp(command[0], command)
