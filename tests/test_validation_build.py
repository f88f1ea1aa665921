"""The validation stage inside real builds: findings in dataset_info.json, failures."""

from __future__ import annotations

import data


def test_planted_leakage_is_reported_with_its_keys(workspace):
    workspace.fixture("leakset")
    result = workspace.build("leakset")
    section = data.info(workspace.dataset_dir("leakset"))["validation"]
    exact = section["exact_duplicates_across_splits"]
    assert exact["count"] == 1
    assert exact["examples"] == [{"test": ["leakset/test/copy.png"], "train": ["leakset/train/c1_003.png"]}]
    near = section["near_duplicates_train_test"]
    pairs = {(e["train"], e["test"]) for e in near["examples"]}
    assert ("leakset/train/c0_005.png", "leakset/test/reencoded.jpg") in pairs
    assert ("leakset/train/c1_003.png", "leakset/test/copy.png") not in pairs  # counted as exact
    assert "near-duplicate" in result.stderr  # printed in the build log


def test_leakage_fails_the_build_when_configured(workspace):
    workspace.fixture("leakset")
    workspace.settings["validate"] = {"leakage_fails": "true"}
    result = workspace.build("leakset", check=False)
    assert result.returncode == 30 and "failed validation" in result.stderr
    assert not (workspace.dataset_dir("leakset") / "dataset_info.json").exists()


def test_clean_fixture_reports_zero(workspace):
    workspace.fixture("caltech101")
    workspace.build("caltech101")
    section = data.info(workspace.dataset_dir("caltech101"))["validation"]
    for check in ("undecodable", "wrong_channels", "label_out_of_range", "duplicate_keys",
                  "exact_duplicates_across_splits", "near_duplicates_train_test"):
        assert section[check]["count"] == 0, check
    assert sum(section["num_records"].values()) == 99


def test_label_out_of_range_fails(workspace):
    """A handler bug that slips past planning is caught when the shards are read back."""
    workspace.fixture("leakset")
    workspace.settings["validate"] = {"enabled": "true"}
    result = workspace.build("leakset", check=False, env_extra={**workspace.env(), "LEAKSET_BAD_LABEL": "1"})
    assert result.returncode == 30
    assert "leakset/train/c0_000.png" in result.stderr and "label 7" in result.stderr
