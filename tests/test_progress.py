"""Progress: per-dataset lines folded from the tasks' reports, on a terminal and off it."""

from __future__ import annotations

import io
import json
import logging

from tasks import progress


def _state(folder, name, **fields):
    (folder / f"{name}.json").write_text(json.dumps(fields))


def test_lines_fold_every_task_of_a_dataset(tmp_path):
    _state(tmp_path, "f1", dataset="mnist", stage="fetch", unit="bytes", done=2_000_000,
           total=2_000_000, finished=True)
    _state(tmp_path, "f2", dataset="mnist", stage="fetch", unit="bytes", done=500_000,
           total=1_000_000, finished=False)
    _state(tmp_path, "p", dataset="mnist", stage="plan", unit="examples", done=70_000,
           total=70_000, finished=True)
    _state(tmp_path, "c1", dataset="mnist", stage="convert", unit="examples", done=1_000,
           total=8_750, finished=False)
    _state(tmp_path, "x", dataset="cifar10", stage="plan", unit="examples", done=12_000,
           total=None, finished=False)
    lines = progress.summarize(progress.Display(tmp_path, io.StringIO()).states())
    assert lines["mnist"] == ("fetch 2.5/3.0 MB (1 of 2 tasks done) | plan 70,000/70,000 examples "
                              "done | convert 1,000/70,000 examples")
    assert lines["cifar10"] == "plan 12,000 examples"


def test_off_a_terminal_a_line_is_logged_only_when_it_changed(tmp_path, caplog):
    display = progress.Display(tmp_path, io.StringIO())
    assert not display.live
    _state(tmp_path, "p", dataset="semeion", stage="plan", unit="examples", done=10,
           total=None, finished=False)
    with caplog.at_level(logging.INFO, logger="luigi-interface"):
        display.render()
        display.render()
    assert [r.getMessage() for r in caplog.records] == ["progress semeion: plan 10 examples"]


def test_on_a_terminal_the_status_line_is_erased_before_each_log_line(tmp_path, monkeypatch):
    terminal = io.StringIO()
    terminal.isatty = lambda: True
    monkeypatch.setattr("sys.stderr", terminal)
    handler = logging.StreamHandler()  # writes to the (fake) terminal
    logger = logging.getLogger("luigi-interface")
    logger.addHandler(handler)
    try:
        _state(tmp_path, "p", dataset="semeion", stage="plan", unit="examples", done=10,
               total=None, finished=False)
        display = progress.Display(tmp_path, terminal)
        display.render()
        logger.warning("a log line")
    finally:
        logger.removeHandler(handler)
    assert terminal.getvalue() == "\r\x1b[K[semeion] plan 10 examples\r\x1b[Ka log line\n"


def test_folders_of_killed_runs_are_removed_and_a_live_runs_kept(tmp_path, monkeypatch):
    import os
    import subprocess
    import sys
    import tempfile
    import time

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    live, killed, unlocked_old, unlocked_new = (tmp_path / f"{progress.FOLDER_PREFIX}{n}" for n in
                                                ("live", "killed", "old", "new"))
    for folder in (live, killed, unlocked_old, unlocked_new):
        folder.mkdir()
        (folder / "task.json").write_text("{}")
    # A run that holds its folder's lock (a live luigi command), and one killed while holding it.
    hold = ("import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)")
    holders = [subprocess.Popen([sys.executable, "-c", hold, str(folder / progress.RUN_LOCK)],
                                stdout=subprocess.PIPE, text=True) for folder in (live, killed)]
    try:
        for holder in holders:
            assert holder.stdout.readline().strip() == "held"
        holders[1].kill()
        holders[1].wait()
        old = time.time() - 3600
        os.utime(unlocked_old, (old, old))
        removed = progress._sweep_abandoned()
        assert sorted(removed) == sorted([killed, unlocked_old])
        assert live.is_dir() and unlocked_new.is_dir() and not killed.exists()
    finally:
        for holder in holders:
            holder.kill()
            holder.wait()
