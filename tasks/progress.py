"""Progress of a build: in the luigid UI per task, and on the console per dataset.

Every task reports through ``Reporter``: the scheduler's status message and progress
bar (the luigid UI) and a small JSON file per task in a folder the ``luigi`` process
creates for the run (``$DATASETS_STORAGE_PROGRESS_DIR``; worker processes are forked
from it and inherit the variable). In that process a ``Display`` thread folds the files
into one line per dataset (fetching by bytes, planning and conversion by examples):
on a terminal a live status line, redrawn twice a second, that every log line first
erases (so it never glues onto one, whichever worker writes it); without a terminal a
plain log line at most every ``QUIET_INTERVAL`` seconds, only when something changed.
"""

from __future__ import annotations

import fcntl
import io
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ENV = "DATASETS_STORAGE_PROGRESS_DIR"
WRITE_INTERVAL = 0.5
TTY_INTERVAL = 0.5
QUIET_INTERVAL = 10.0
_ERASE = "\r\x1b[K"

log = logging.getLogger("luigi-interface")


class Reporter:
    """One task's progress: ``update(done, total)`` and ``finish(text)``."""

    def __init__(self, task, dataset: str, stage: str, unit: str):
        self.task, self.dataset, self.stage, self.unit = task, dataset, stage, unit
        self._last = 0.0
        folder = os.environ.get(ENV)
        self._file = Path(folder) / f"{task.task_id}.json" if folder else None

    def update(self, done: int, total: int | None, message: str | None = None) -> None:
        if message:
            self.task.set_status_message(message)
        if total:
            self.task.set_progress_percentage(min(100, round(100 * done / total)))
        now = time.monotonic()
        if now - self._last >= WRITE_INTERVAL:
            self._last = now
            self._write(done, total, False)

    def finish(self, done: int, total: int | None, message: str) -> None:
        self.task.set_status_message(message)
        self.task.set_progress_percentage(100)
        self._write(done, total if total is not None else done, True)

    def _write(self, done: int, total: int | None, finished: bool) -> None:
        if self._file is None:
            return
        state = {"dataset": self.dataset, "stage": self.stage, "unit": self.unit,
                 "done": done, "total": total, "finished": finished}
        temporary = self._file.with_name(f".{self._file.name}.{os.getpid()}")
        try:
            temporary.write_text(json.dumps(state))
            os.replace(temporary, self._file)
        except OSError:  # the display is a convenience: never fail a task for it
            pass


_STAGES = ("fetch", "plan", "convert", "metadata")


def summarize(states: list[dict]) -> dict[str, str]:
    """dataset -> one line of where its build is (the latest stage with any progress)."""
    by_dataset: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for state in states:
        by_dataset[state["dataset"]][state["stage"]].append(state)
    lines = {}
    for dataset, stages in sorted(by_dataset.items()):
        parts = []
        planned = [e for e in stages.get("plan", []) if e["finished"]]
        for stage in _STAGES:
            entries = stages.get(stage)
            if entries:
                # Shards report when they start; the plan knows how many examples in all.
                whole = planned[0]["done"] if stage == "convert" and planned else None
                parts.append(_describe(stage, entries, whole))
        lines[dataset] = " | ".join(parts)
    return lines


def _describe(stage: str, entries: list[dict], whole: int | None = None) -> str:
    done = sum(e["done"] for e in entries)
    finished = sum(e["finished"] for e in entries)
    totals = [e["total"] for e in entries]
    total = whole or (sum(totals) if all(t is not None for t in totals) else None)
    if entries[0]["unit"] == "bytes":
        amount = f"{done / 1e6:.1f}" + (f"/{total / 1e6:.1f}" if total else "") + " MB"
    else:
        amount = f"{done:,}" + (f"/{total:,}" if total else "") + f" {entries[0]['unit']}"
    tasks = f" ({finished} of {len(entries)} tasks done)" if len(entries) > 1 else (" done" if finished else "")
    return f"{stage} {amount}{tasks}"


class _ErasingStream(io.TextIOBase):
    """stderr for log handlers: erases the status line before each line it writes."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(_ERASE + text)
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._stream.fileno()


def erase_before_logging() -> None:
    """Makes every log handler writing to the terminal erase the status line first."""
    for logger in (logging.getLogger(), logging.getLogger("luigi-interface")):
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stderr:
                handler.setStream(_ErasingStream(sys.stderr))


class Display(threading.Thread):
    """Folds the run's progress files into per-dataset lines until stopped."""

    def __init__(self, folder: Path, stream=None):
        super().__init__(name="progress-display", daemon=True)
        self.folder = folder
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self._stop_event = threading.Event()
        self._shown: dict[str, str] = {}

    def run(self) -> None:
        interval = TTY_INTERVAL if self.live else QUIET_INTERVAL
        while not self._stop_event.wait(interval):
            self.render()

    def states(self) -> list[dict]:
        states = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                states.append(json.loads(path.read_text()))
            except (OSError, ValueError):
                continue
        return states

    def render(self) -> None:
        lines = summarize(self.states())
        if self.live:
            erase_before_logging()  # again each time: Luigi sets its handlers up after we start
            width = shutil.get_terminal_size((120, 20)).columns - 1
            text = "  ".join(f"[{name}] {line}" for name, line in lines.items())
            self.stream.write(_ERASE + text[:width])
            self.stream.flush()
        else:
            for name, line in lines.items():
                if self._shown.get(name) != line:
                    log.info("progress %s: %s", name, line)
            self._shown = lines

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=2)
        if self.live:
            self.stream.write(_ERASE)
            self.stream.flush()


def start_for_this_run() -> Display | None:
    """In the ``luigi`` command's process only: a folder for the run's progress files
    (inherited by forked workers through the environment) and the display over it."""
    if os.environ.get(ENV) or not _is_luigi_command():
        return None
    _sweep_abandoned()
    folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
    # Held for the life of this process: a run killed before its atexit (SIGTERM,
    # SIGKILL) leaves a folder whose lock is free, which the next run removes.
    _held_locks.append(_lock(folder / RUN_LOCK, blocking=True))
    os.environ[ENV] = str(folder)
    display = Display(folder)
    display.start()

    import atexit

    def _end() -> None:
        display.stop()
        if not display.live:
            display.render()
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(_end)
    return display


FOLDER_PREFIX = "datasets-storage-progress-"
RUN_LOCK = "run.lock"
_held_locks: list[int] = []


def _lock(path: Path, blocking: bool) -> int | None:
    """An fd holding an exclusive flock on ``path`` (None if another process holds it)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _sweep_abandoned(grace_seconds: float = 60.0) -> list[Path]:
    """Remove the progress folders of runs that were killed: their lock is free (or,
    for a folder without one, it is older than ``grace_seconds``: a run that has just
    created it takes its lock in the next instant). Returns the folders removed."""
    removed = []
    for folder in Path(tempfile.gettempdir()).glob(FOLDER_PREFIX + "*"):
        try:
            if not folder.is_dir() or folder.stat().st_uid != os.getuid():
                continue
            if (folder / RUN_LOCK).exists():
                fd = _lock(folder / RUN_LOCK, blocking=False)
                if fd is None:
                    continue  # a live run's
                os.close(fd)
            elif time.time() - folder.stat().st_mtime < grace_seconds:
                continue
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _is_luigi_command() -> bool:
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return program == "luigi" or (program == "__main__.py" and Path(sys.argv[0]).parent.name == "luigi")
