"""What a new user meets first: the README's commands, from any directory, failing fast."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import handlers
from cli.main import build_parser

ROOT = Path(__file__).resolve().parent.parent


def _env(tmp_path: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("LUIGI_CONFIG_PATH", "PYTHONPATH")}
    env.pop(handlers.EXTRA_HANDLERS_ENV, None)
    return env | {"DATASETS_STORAGE_DIR": str(tmp_path / "store")} | extra


def _luigi(tmp_path: Path, *args: str, cwd: Path, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "luigi", "--module", "tasks", "BuildDataset", *args],
                          cwd=cwd, env=env or _env(tmp_path), capture_output=True, text=True, timeout=120)


def test_readme_offline_demo_builds_reads_back_and_is_marked_as_fixture(tmp_path):
    elsewhere = tmp_path / "anywhere"
    elsewhere.mkdir()
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "tasks", "demo", "mnist"], cwd=elsewhere,
                            env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert time.monotonic() - started < 60
    built = tmp_path / "store" / "fixture-builds" / "datasets" / "mnist" / "1.0.0"
    info = json.loads((built / "dataset_info.json").read_text())
    assert info["fixture_data"] is True and info["description"].startswith("FIXTURE DATA")
    (tmp_path / "check").mkdir()
    fixture = handlers.get("mnist").write_fixture(tmp_path / "check")
    assert {s: e["num_examples"] for s, e in info["splits"].items()} == dict(fixture)
    assert "reading it back" in result.stdout and "train: " in result.stdout
    # Workers ran (two of them), and nothing went to the real data dir's datasets/.
    assert "workers=2" in result.stderr
    assert not (tmp_path / "store" / "datasets").exists()


def test_a_failed_build_outside_the_checkout_exits_non_zero_in_seconds(tmp_path):
    """No luigi.cfg here: the packaged defaults (retcodes, offline-fast failures) apply."""
    elsewhere = tmp_path / "anywhere"
    elsewhere.mkdir()
    started = time.monotonic()
    # Offline with no mirror: the fetch fails at once, as it would without a network.
    result = _luigi(tmp_path, "--dataset", "semeion", "--local-scheduler", cwd=elsewhere,
                    env=_env(tmp_path, LUIGI_CONFIG_PATH=str(_config(tmp_path, "[fetch]\noffline = true\n"))))
    assert result.returncode == 30, result.stderr[-2000:]
    assert time.monotonic() - started < 30
    assert "Traceback" not in result.stderr
    assert "offline and no mirror holds it" in result.stderr
    assert not (elsewhere / "data_dir").exists()  # nothing lands in the current directory


def test_unknown_dataset_and_zero_workers_end_with_one_readable_line(tmp_path):
    unknown = _luigi(tmp_path, "--dataset", "mnistt", "--local-scheduler", cwd=tmp_path)
    assert unknown.returncode != 0
    assert "Traceback" not in unknown.stderr
    assert "unknown dataset 'mnistt'; did you mean mnist" in unknown.stderr
    zero = _luigi(tmp_path, "--dataset", "mnist", "--local-scheduler", "--workers", "0", cwd=tmp_path)
    assert zero.returncode != 0 and "Traceback" not in zero.stderr
    assert "--workers 0: at least one worker is needed" in zero.stderr


def test_no_scheduler_fails_within_seconds_and_suggests_the_ways_out(tmp_path):
    config = _config(tmp_path, "[core]\nscheduler_port = 9\n")  # nothing listens on port 9
    started = time.monotonic()
    result = _luigi(tmp_path, "--dataset", "mnist", cwd=tmp_path,
                    env=_env(tmp_path, LUIGI_CONFIG_PATH=str(config)))
    assert result.returncode != 0
    assert time.monotonic() - started < 15
    assert "Traceback" not in result.stderr
    assert "--local-scheduler" in result.stderr and "python -m tasks scheduler" in result.stderr


def test_a_luigi_cfg_in_the_current_directory_overrides_key_by_key(tmp_path):
    from data import settings

    (tmp_path / "luigi.cfg").write_text("[storage]\ndata_dir = here\n")
    probe = ("from data import settings; from tasks import config; import luigi.retcodes as r; "
             "print(settings.data_dir(), config.data_dir(), r.retcode().task_failed, "
             "config.fetch().attempts)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=_env(tmp_path),
                         capture_output=True, text=True, check=True).stdout.split()
    # Relative to the file that set it; the untouched keys keep the packaged defaults.
    assert out == [str(tmp_path / "here"), str(tmp_path / "here"), "30", "5"]
    assert settings.DEFAULTS.exists()


def test_data_load_uses_the_configured_data_dir(tmp_path):
    config = _config(tmp_path, f"[storage]\ndata_dir = {tmp_path / 'elsewhere'}\n")
    probe = ("import data\ntry:\n    data.info('mnist')\nexcept FileNotFoundError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path,
                         env=_env(tmp_path, LUIGI_CONFIG_PATH=str(config)),
                         capture_output=True, text=True, check=True).stdout
    assert str(tmp_path / "elsewhere") in out


def test_every_command_and_file_the_readme_names_exists():
    readme = (ROOT / "README.md").read_text()
    commands = next(a for a in build_parser()._actions if a.dest == "command").choices
    named = set(re.findall(r"python -m tasks ([a-z][a-z-]+)", readme))
    assert named and named <= set(commands), named - set(commands)
    for path in re.findall(r"`((?:data|tasks|handlers|tests|bench)/[\w./-]+)`", readme):
        if "<" not in path:
            assert (ROOT / path.rstrip("/")).exists(), path
    assert "-of-00004" in readme  # the default shard count (min_shards = 4)


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.cfg"
    path.write_text(text)
    return path


def test_a_full_or_read_only_data_dir_is_one_paragraph_not_a_traceback():
    import errno
    import logging

    from tasks import logs

    for code, words in ((errno.ENOSPC, "disk of the data dir is full"),
                        (errno.EROFS, "read-only file system")):
        error = OSError(code, os.strerror(code), "/data/staging/x/records.bin")
        try:
            raise error
        except OSError:
            record = logging.LogRecord("luigi-interface", logging.ERROR, __file__, 1,
                                       "[pid 1] Worker failed    %s", ("PlanExamples(dataset=x)",),
                                       sys.exc_info())
        assert logs._WithoutTraceback().filter(record)
        assert record.exc_info is None
        text = record.getMessage()
        assert words in text and "[storage] data_dir" in text and "PlanExamples(dataset=x)" in text
