"""Where luigid keeps its state, and the checks that make loading it safe.

luigid unpickles its state file at start, and unpickling runs code: whoever can write that
file, or replace it through any directory above it, runs code as the scheduler's user.
So the state lives on each host in a folder only its owner can write (never in the data
dir, which several hosts and users share), and a state file another user could have
written is moved aside, never loaded.
"""

from __future__ import annotations

import os
import pwd
import socket
import stat
import time
from pathlib import Path

from data import settings

STATE_FILE = "state.pickle"
# luigi's own [scheduler] section holds our key too; Luigi is told it is ours (see
# ``known_to_luigi``) so that it does not warn about an unconsumed parameter.
SETTING = ("scheduler", "state_dir")
OLD_LOCATION = Path("scheduler") / STATE_FILE  # inside the data dir, before it moved
_NOTICED = "old-state-ignored"


class UnsafeStateError(RuntimeError):
    """The state folder, or a folder above it, can be written by another user."""


def default_state_dir() -> Path:
    """``$XDG_STATE_HOME`` (else ``~/.local/state``) / datasets-storage / scheduler / host:
    state that belongs to this host and user (a home shared over NFS still keeps one
    folder per host)."""
    base = os.environ.get("XDG_STATE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path("~/.local/state").expanduser()
    return root / "datasets-storage" / "scheduler" / socket.gethostname()


def state_dir() -> Path:
    """``[scheduler] state_dir`` (a relative path from the folder of the file setting it),
    else the default."""
    configured, source = settings.value(*SETTING)
    if not configured:
        return default_state_dir()
    path = Path(configured).expanduser()
    if not path.is_absolute() and source is not None:
        path = source.resolve().parent / path
    return path


def known_to_luigi() -> None:
    """Tell Luigi's scheduler config class that ``state_dir`` is consumed (by us)."""
    from luigi.scheduler import scheduler

    scheduler.ignore_unconsumed = set(getattr(scheduler, "ignore_unconsumed", ())) | {SETTING[1]}


def _private_group(gid: int) -> bool:
    """A group holding this user alone (a "user private group", common with umask 002)."""
    try:
        import grp

        group = grp.getgrgid(gid)
        me = pwd.getpwuid(os.getuid())
    except (KeyError, ImportError):
        return False
    # Named after us and our primary group (a shared primary group such as "users" lists
    # no members either, so the name is what tells them apart).
    return (gid == me.pw_gid and group.gr_name == me.pw_name
            and not [m for m in group.gr_mem if m != me.pw_name])


def _others_can_write(info: os.stat_result) -> str | None:
    """Who else could create, replace or rename entries here (None: nobody but us)."""
    uid = os.getuid()
    if info.st_uid not in (uid, 0):
        return f"it belongs to {_user(info.st_uid)}"
    sticky = stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_ISVTX
    if info.st_mode & stat.S_IWOTH and not sticky:
        return f"everyone can write it (mode {stat.S_IMODE(info.st_mode):04o})"
    if info.st_mode & stat.S_IWGRP and not sticky and not _private_group(info.st_gid):
        return f"its group can write it (mode {stat.S_IMODE(info.st_mode):04o})"
    return None


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _check_ancestors(directory: Path) -> None:
    """Every folder above ``directory`` is owned by us or root and writable by no one else
    (a sticky folder such as /tmp is fine: others cannot rename our entries there)."""
    for folder in reversed(directory.parents):
        why = _others_can_write(folder.stat())
        if why is not None:
            raise UnsafeStateError(
                f"the scheduler's state folder {directory} lies under {folder}, and {why}: "
                "another user could swap in a state file, which luigid loads as code. Set "
                "[scheduler] state_dir in luigi.cfg to a folder under your home (default "
                f"{default_state_dir()}), or make {folder} writable by its owner only")


def _make_private(directory: Path) -> None:
    """Create the missing folders down to ``directory``, each 0700."""
    missing = [d for d in [directory, *directory.parents] if not d.exists()]
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            pass
        else:
            os.chmod(folder, 0o700)


def secure_dir(directory: Path) -> tuple[Path, list[str]]:
    """(the folder, resolved; notes for the user) once ``directory`` exists, is ours with
    mode 0700, and only we (or root) can write every folder above. A folder that others
    could write is made 0700 (our own) or refused (someone else's); a state file in a
    folder others could write is distrusted."""
    notes: list[str] = []
    directory = Path(directory).expanduser().absolute()
    _make_private(directory)
    directory = directory.resolve()
    _check_ancestors(directory)
    info = directory.stat()
    if info.st_uid != os.getuid():
        raise UnsafeStateError(
            f"the scheduler's state folder {directory} belongs to {_user(info.st_uid)}, not "
            "to you: its state file could hold anything. Set [scheduler] state_dir in "
            f"luigi.cfg to a folder of your own (default {default_state_dir()})")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(directory, 0o700)  # its logs and pid file are no one else's business either
    if _others_can_write(info) is not None:
        notes.append(f"the scheduler's state folder {directory} was writable by others "
                     f"(mode {stat.S_IMODE(info.st_mode):04o}); it is now 0700")
        notes += _move_aside(directory / STATE_FILE, "its folder was writable by others")
    return directory, notes


def secure_file(path: Path) -> list[str]:
    """Notes; afterwards ``path`` is absent or a regular file of ours that only we can
    write. Anything else there is renamed aside, never opened."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return []
    if not stat.S_ISREG(info.st_mode):
        return _move_aside(path, "it is not a regular file (a link or other)")
    if info.st_uid != os.getuid():
        return _move_aside(path, f"it belongs to {_user(info.st_uid)}")
    if info.st_nlink != 1:
        return _move_aside(path, "it has other names (hard links) it could be written through")
    why = _others_can_write(info)
    return _move_aside(path, why) if why else []


def _move_aside(path: Path, reason: str) -> list[str]:
    if not os.path.lexists(path):
        return []
    aside = path.with_name(f"{path.name}.unsafe-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
    os.rename(path, aside)
    return [f"not loading the scheduler state {path}: {reason}, so it could hold code from "
            f"someone else. It is kept as {aside} (delete it when you like); the scheduler "
            "starts with an empty state (finished work on disk is unaffected)"]


def secure(path: Path) -> list[str]:
    """Everything ``luigid --state-path path`` needs before it may load ``path``: its
    folder private (created if missing), and the file itself trusted or moved aside.
    Raises ``UnsafeStateError`` when that cannot be made true."""
    directory, notes = secure_dir(Path(path).expanduser().absolute().parent)
    return notes + secure_file(directory / Path(path).name)


def old_state_notice(data_dir: Path, directory: Path) -> str | None:
    """Once per old file: a state file left in the shared data dir by an older version is
    never loaded (it is not deleted either: it may belong to someone else)."""
    old = Path(data_dir).expanduser().absolute() / OLD_LOCATION
    if not os.path.lexists(old):
        return None
    record = Path(directory) / _NOTICED
    seen = record.read_text().splitlines() if record.exists() else []
    if str(old) in seen:
        return None
    with open(record, "a") as out:
        out.write(f"{old}\n")
    return (f"note: {old} is ignored: the scheduler's state no longer lives in the shared "
            f"data dir (anyone who can write there could plant code in it); it lives in "
            f"{directory}. Delete the old file when no older version needs it")
