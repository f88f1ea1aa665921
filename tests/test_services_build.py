"""Whole builds through the real ``luigi`` command, with the artifacts served by local fakes
of the Google Drive and Kaggle protocols on 127.0.0.1 (no mirror): the Drive
virus-scan confirmation page, Kaggle's authenticated API and its redirect to storage.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from fakes.drive_fake import FakeDrive
from fakes.kaggle_fake import FakeKaggle
from fakes.server import FaultServer

import data
import handlers

USER, KEY = "researcher", "k4ggle-key-never-logged-0123456789"


@pytest.fixture
def services():
    server = FaultServer()
    yield server, FakeDrive(server), FakeKaggle(server, USER, KEY)
    server.close()


def _serve(workspace, name: str, drive: FakeDrive, kaggle: FakeKaggle, mode: str = "form") -> dict:
    """Write ``name``'s fixture, publish each artifact on the fake service it names and pin
    its checksum; return the fixture's counts."""
    spec = handlers.get(name)
    folder = workspace.path / "fixture" / spec.source
    folder.mkdir(parents=True)
    counts = spec.write_fixture(folder)
    pins = {}
    for artifact in spec.artifacts:
        body = (folder / artifact.file).read_bytes()
        if artifact.gdrive_id:
            drive.add(artifact.gdrive_id, artifact.file, body, mode=mode)
        elif artifact.kaggle:
            kaggle.add_dataset(artifact.kaggle, body)
        else:
            raise AssertionError(f"{name}: {artifact.file} is served by neither Drive nor Kaggle")
        pins[f"{spec.source}/{artifact.file}"] = {"sha256": hashlib.sha256(body).hexdigest()}
    Path(workspace.settings["fetch"]["checksum_overrides"]).write_text(json.dumps(pins))
    return counts


def _configure(workspace, server: FaultServer, monkeypatch) -> None:
    config_dir = workspace.path / "kaggle-config"
    config_dir.mkdir()
    (config_dir / "kaggle.json").write_text(json.dumps({"username": USER, "key": KEY}))
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(config_dir))
    monkeypatch.delenv("KAGGLE_USERNAME", raising=False)
    monkeypatch.delenv("KAGGLE_KEY", raising=False)
    workspace.settings["fetch"].update(
        mirrors="", offline="false", gdrive_url=server.url("/drive"),
        kaggle_api=server.url("/kaggle/api/v1"),
    )
    workspace.write_config()


def _built_counts(workspace, name: str) -> dict:
    info = data.info(workspace.dataset_dir(name))
    return {split: entry["num_examples"] for split, entry in info["splits"].items()}


@pytest.mark.parametrize(("name", "mode"), [("mnist_m", "form"), ("lfwa", "cookie")])
def test_drive_dataset_builds_past_the_confirmation_page(workspace, services, monkeypatch, name, mode):
    server, drive, kaggle = services
    counts = _serve(workspace, name, drive, kaggle, mode)
    _configure(workspace, server, monkeypatch)
    workspace.build(name)
    assert _built_counts(workspace, name) == counts
    first = next(iter(counts))
    assert sum(1 for _ in data.load(workspace.dataset_dir(name), first)) == counts[first]


def test_kaggle_dataset_builds_and_the_token_goes_nowhere_else(workspace, services, monkeypatch):
    server, drive, kaggle = services
    counts = _serve(workspace, "olivetti_face", drive, kaggle)
    _configure(workspace, server, monkeypatch)
    result = workspace.build("olivetti_face")
    assert _built_counts(workspace, "olivetti_face") == counts
    # The storage host got no credentials, and nothing written or printed holds the key.
    assert kaggle.storage_auth and all(auth is None for auth in kaggle.storage_auth)
    assert KEY not in result.stdout + result.stderr
    for path in workspace.data_dir.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_drive_quota_page_fails_the_build_with_the_file_id(workspace, services, monkeypatch):
    server, drive, kaggle = services
    _serve(workspace, "mnist_m", drive, kaggle, mode="quota")
    _configure(workspace, server, monkeypatch)
    result = workspace.build("mnist_m", check=False)
    artifact = handlers.get("mnist_m").artifacts[0]
    assert result.returncode != 0
    errors = " ".join(path.read_text() for path in (workspace.data_dir / "errors").glob("*.json"))
    assert "quota" in errors.lower() and artifact.gdrive_id in errors
    assert not (workspace.data_dir / "artifacts" / "mnist_m" / artifact.file).exists()
