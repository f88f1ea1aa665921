"""The validation stage inside real builds: findings in dataset_info.json, failures."""

from __future__ import annotations

import subprocess
import sys

from PIL import Image

import data


def test_planted_leakage_is_reported_with_its_keys(workspace):
    workspace.fixture("leakset")
    result = workspace.build("leakset")
    section = data.info(workspace.dataset_dir("leakset"))["validation"]
    exact = section["exact_duplicates_across_splits"]
    assert exact["count"] == 1
    assert exact["examples"] == [{"test": ["leakset/test/copy.png"], "train": ["leakset/train/c1_003.png"]}]
    near = section["near_duplicates"]
    # One group; the exact copy is reported as exact only.
    assert [e["keys"] for e in near["examples"]] == [
        {"test": ["leakset/test/reencoded.jpg"], "train": ["leakset/train/c0_005.png"]}]
    assert near["count"] == 1 and near["by_split_pair"] == {"test/train": 1}
    assert near["held_out_records"] == 1
    assert {split: m["method"] for split, m in near["method"].items()} == {"test": "dhash", "train": "dhash"}
    assert "near-duplicate groups" in result.stderr  # printed in the build log


def test_preview_draws_the_duplicate_groups(workspace):
    workspace.fixture("leakset")
    workspace.build("leakset")
    result = subprocess.run(
        [sys.executable, "-m", "tasks", "--data-dir", str(workspace.data_dir), "preview", "leakset",
         "--duplicates", "--tile", "40", "-o", "sheet.png"],
        cwd=workspace.path, env=workspace.env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "2 duplicate groups of leakset" in result.stdout
    # Two rows (the near-duplicate group, the exact copy), two tiles each.
    with Image.open(workspace.path / "sheet.png") as sheet:
        assert sheet.size == (4 + 2 * 44, 4 + 2 * (14 + 40 + 14 + 4))
        # The tiles hold the images, not the background.
        assert sheet.convert("RGB").getpixel((4 + 20, 4 + 14 + 20)) != (245, 245, 245)


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
                  "exact_duplicates_across_splits", "near_duplicates"):
        assert section[check]["count"] == 0, check
    assert sum(section["num_records"].values()) == 99
    result = subprocess.run(
        [sys.executable, "-m", "tasks", "--data-dir", str(workspace.data_dir), "preview", "caltech101",
         "--duplicates"], cwd=workspace.path, env=workspace.env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "validation found no duplicate groups; no sheet written" in result.stdout
    assert not list(workspace.path.glob("*.png"))


def test_label_out_of_range_fails(workspace):
    """A handler bug that slips past planning is caught when the shards are read back."""
    workspace.fixture("leakset")
    workspace.settings["validate"] = {"enabled": "true"}
    result = workspace.build("leakset", check=False, env_extra={**workspace.env(), "LEAKSET_BAD_LABEL": "1"})
    assert result.returncode == 30
    assert "leakset/train/c0_000.png" in result.stderr and "label 7" in result.stderr


def test_tiny_images_get_exact_checks_only(workspace):
    """landsat's 3x3 patches: no near-duplicate search on them, and the metadata says why."""
    workspace.fixture("landsat")
    result = workspace.build("landsat")
    near = data.info(workspace.dataset_dir("landsat"))["validation"]["near_duplicates"]
    assert near["count"] == near["groups"] == 0 and near["search"]["comparisons"] == 0
    assert {m["method"] for m in near["method"].values()} == {"exact"}
    assert {tuple(m["smallest_image"]) for m in near["method"].values()} == {(3, 3)}
    assert "smaller than the 9x8 dHash grid (smallest 3x3)" in near["exact_only_reason"]
    assert "near-duplicate" not in result.stderr
