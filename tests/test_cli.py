"""The dataset command line, run as a user runs it (a subprocess), on fixture builds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

import handlers


def run_cli(workspace, *args):
    return subprocess.run(
        [sys.executable, "-m", "tasks", "--data-dir", str(workspace.data_dir), *args],
        cwd=workspace.path, env=workspace.env(), capture_output=True, text=True, timeout=120,
    )


@pytest.fixture
def built(workspace):
    workspace.fixture("semeion")
    workspace.build("semeion")
    return workspace


def test_list_shows_every_dataset_and_what_is_built(built):
    result = run_cli(built, "list")
    assert result.returncode == 0
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:]}
    assert set(rows) == set(handlers.names())
    assert rows["semeion"][1:] == ["single_label", "10", "HTTP", "no", "yes"]
    assert rows["mnist"][-1] == "no"


def test_info_names_artifacts_and_splits(built):
    result = run_cli(built, "info", "semeion")
    assert result.returncode == 0
    assert "semeion.data [present]" in result.stdout
    assert "split train:" in result.stdout and "md5:cb545d371d2ce14ec121470795a77432" in result.stdout


def test_verify_passes_then_catches_a_changed_shard(built):
    assert run_cli(built, "verify", "semeion").returncode == 0
    shard = next(built.dataset_dir("semeion").glob("semeion-train.tfrecord-*"))
    shard.write_bytes(shard.read_bytes()[:-1] + b"\x00")
    result = run_cli(built, "verify", "semeion")
    assert result.returncode == 2 and shard.name in result.stderr and "sha256" in result.stderr


def test_unknown_and_unbuilt_datasets_get_clear_errors(workspace):
    unknown = run_cli(workspace, "info", "cifar1O")
    assert unknown.returncode == 2 and "did you mean cifar10" in unknown.stderr
    unbuilt = run_cli(workspace, "verify", "mnist")
    assert unbuilt.returncode == 2 and "BuildDataset --dataset mnist" in unbuilt.stderr
    assert "Traceback" not in unbuilt.stderr + unknown.stderr


def test_every_command_has_help(workspace):
    for command in ([], ["list"], ["info"], ["verify"]):
        result = run_cli(workspace, *command, "--help")
        assert result.returncode == 0 and "usage:" in result.stdout


def test_datasets_md_is_current():
    env = {k: v for k, v in os.environ.items() if k != handlers.EXTRA_HANDLERS_ENV}
    listing = subprocess.run([sys.executable, "-m", "tasks", "list", "--markdown"], cwd=ROOT,
                             env=env, capture_output=True, text=True, check=True).stdout
    assert (ROOT / "DATASETS.md").read_text() == listing, (
        "DATASETS.md is stale: python -m tasks list --markdown > DATASETS.md"
    )


def test_every_subcommand_has_help(capsys):
    from cli.main import build_parser, main

    commands = next(a for a in build_parser()._actions if a.dest == "command").choices
    assert "preview" in commands
    for command in commands:
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0 and "usage:" in capsys.readouterr().out, command


def test_info_shows_statistics_and_how_to_open_with_tfds(built):
    result = run_cli(built, "info", "semeion")
    assert result.returncode == 0
    directory = built.dataset_dir("semeion")
    assert f"tfds.builder_from_directory('{directory / 'tfds'}')" in result.stdout
    assert f"Croissant: {directory / 'croissant.json'}" in result.stdout
    assert "pixel mean" in result.stdout and "height min/median/max 16/16/16" in result.stdout
    shutil.rmtree(directory / "tfds")  # as in a build made before the tfds/ folder existed
    older = run_cli(built, "info", "semeion")
    assert "TFDS, Croissant: not written yet" in older.stdout and "tfds.builder" not in older.stdout


def test_unfinished_build_gets_clear_errors(built):
    (built.dataset_dir("semeion") / "dataset_info.json").unlink()
    finish = "luigi --module tasks BuildDataset --dataset semeion --local-scheduler"
    info = run_cli(built, "info", "semeion")
    shards = len(list(built.dataset_dir("semeion").glob("semeion-*.tfrecord-*")))
    assert shards >= 4
    assert info.returncode == 0 and f"unfinished: {shards} shard file(s)" in info.stdout and finish in info.stdout
    for command in ("verify", "preview"):
        result = run_cli(built, command, "semeion")
        assert result.returncode == 2, command
        assert "unfinished" in result.stderr and finish in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    listing = run_cli(built, "list")
    assert next(line for line in listing.stdout.splitlines() if line.startswith("semeion ")).endswith("no")


def test_preview_errors_name_the_problem(built):
    unknown = run_cli(built, "preview", "cifar1O")
    assert unknown.returncode == 2 and "did you mean cifar10" in unknown.stderr
    unbuilt = run_cli(built, "preview", "mnist")
    assert unbuilt.returncode == 2 and "BuildDataset --dataset mnist" in unbuilt.stderr
    split = run_cli(built, "preview", "semeion", "--split", "validation")
    assert split.returncode == 2 and "has no split 'validation'; it has dev, dev-test, test, train" in split.stderr
    assert "Traceback" not in unknown.stderr + unbuilt.stderr + split.stderr
