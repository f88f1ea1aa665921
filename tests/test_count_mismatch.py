"""A real build whose split sizes differ from the handler's declaration fails with one
paragraph that says what differs, how to build anyway and what to report."""

from __future__ import annotations

import hashlib
import re

from countset import MISSING, UNEXPECTED

HANDLERS = {"DATASETS_STORAGE_HANDLERS": "toyset,leakset,countset"}


def _failed_build(workspace, name: str) -> str:
    """Build ``name`` with the count check on; return the error paragraph from the log."""
    workspace.fixture("toyset")  # countset reads toyset's zip
    workspace.settings["convert"]["check_counts"] = "true"
    result = workspace.build(name, check=False, env_extra=HANDLERS)
    assert result.returncode == 30, result.stderr[-3000:]
    # One line, however the log frames it (with a traceback or without).
    message = re.search(rf"\b{name}: the artifacts give other split sizes[^\n]*", result.stderr)
    assert message, result.stderr[-3000:]
    assert not list((workspace.data_dir / "staging" / name).glob("*/plan.json"))
    return message[0]


def _zip_sha256(workspace) -> str:
    return hashlib.sha256((workspace.mirror_root / "toyset" / "toyset.zip").read_bytes()).hexdigest()


def _assert_how_to_build_anyway_and_report(message: str, name: str, workspace) -> None:
    assert "set `check_counts = false` in the [convert] section of luigi.cfg" in message
    assert "no command-line flag turns it off" in message
    assert f"python -m tasks doctor {name}" in message and "tasks verify" not in message
    assert "issue tracker" in message and f"dataset name ({name})" in message
    assert f"toyset.zip sha256:{_zip_sha256(workspace)}" in message


def test_counts_only_handler_names_the_splits_and_differences(workspace):
    message = _failed_build(workspace, "countset")
    assert message.startswith("countset: ")
    assert "dev declared 5, found 0 (-5); test declared 10, found 12 (+2)." in message
    assert "train declared" not in message  # train matches
    assert "declares counts only, not keys, so which examples differ cannot be named" in message
    assert "declared {'dev': 5, 'test': 10, 'train': 48}, found {'test': 12, 'train': 48}" in message
    _assert_how_to_build_anyway_and_report(message, "countset", workspace)


def test_handler_that_lists_its_keys_gets_a_few_of_each_named(workspace):
    message = _failed_build(workspace, "countset_keys")
    assert "train declared 42, found 48 (+6)." in message and "test declared" not in message
    produced = re.search(r"Keys produced but not expected: (\d+) \(e\.g\. (.*?)\); expected", message)
    assert produced, message
    assert int(produced[1]) == len(UNEXPECTED)
    assert produced[2].endswith(" in train") and produced[2].count(" in ") == 1
    shown = re.findall(r"'([^']+)'", produced[2])
    assert len(shown) == 5 and set(shown) <= set(UNEXPECTED)
    missing = re.search(r"expected but not produced: 2 \((.*?)\)\.", message)
    assert missing, message
    assert missing[1].endswith(" in train")
    assert set(re.findall(r"'([^']+)'", missing[1])) == set(MISSING)
    _assert_how_to_build_anyway_and_report(message, "countset_keys", workspace)


def test_check_counts_false_builds_anyway(workspace):
    """What the message says to do works: the same build passes with the setting off."""
    _failed_build(workspace, "countset")
    workspace.settings["convert"]["check_counts"] = "false"
    workspace.build("countset", env_extra=HANDLERS)
    assert (workspace.data_dir / "datasets" / "countset" / "1.0.0" / "dataset_info.json").exists()
