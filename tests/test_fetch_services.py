"""Google Drive and Kaggle downloads against local fakes of their protocols."""

from __future__ import annotations

import hashlib
import json
import logging

import pytest
from fakes.drive_fake import FakeDrive
from fakes.kaggle_fake import FakeKaggle
from fakes.server import Drop

from fetch import ChecksumError, FetchError, FetchSettings, fetch
from fetch.gdrive import DriveError
from fetch.kaggle import KaggleCredentialsError
from handlers._spec import Artifact

BODY = b"PK\x03\x04" + bytes(range(256)) * 2000
SHA = hashlib.sha256(BODY).hexdigest()
USER, KEY = "researcher", "s3cr3t-kaggle-key-0123456789"


@pytest.fixture
def drive(server):
    return FakeDrive(server)


@pytest.fixture
def kaggle(server):
    return FakeKaggle(server, USER, KEY)


@pytest.fixture
def token(tmp_path, monkeypatch):
    """A kaggle.json in a temporary KAGGLE_CONFIG_DIR, and no token in the environment."""
    folder = tmp_path / "kaggle-config"
    folder.mkdir()
    (folder / "kaggle.json").write_text(json.dumps({"username": USER, "key": KEY}))
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(folder))
    monkeypatch.delenv("KAGGLE_USERNAME", raising=False)
    monkeypatch.delenv("KAGGLE_KEY", raising=False)
    return folder / "kaggle.json"


def _settings(server, **changes) -> FetchSettings:
    fields = dict(attempts=3, backoff=0.01, timeout=5.0, gdrive_url=server.url("/drive"),
                  kaggle_api=server.url("/kaggle/api/v1"))
    return FetchSettings(**{**fields, **changes})


@pytest.mark.parametrize("mode", ["direct", "form", "link", "cookie"])
def test_drive_file_is_fetched_past_every_kind_of_warning_page(server, drive, tmp_path, mode):
    drive.add("1AbCdEfGhIjKlMnOp", "data.zip", BODY, mode)
    artifact = Artifact("data.zip", gdrive_id="1AbCdEfGhIjKlMnOp", sha256=SHA,
                        content_disposition=True)
    target = tmp_path / "data.zip"
    fetch(artifact, "toy", target, _settings(server))
    assert target.read_bytes() == BODY


def test_drive_download_resumes_through_the_confirmation(server, drive, tmp_path):
    drive.add("1AbCdEfGhIjKlMnOp", "data.zip", BODY, "form")
    # The first confirmed download breaks off after 100 kB.
    server.resources["/drive/usercontent/download"] = drive.files["1AbCdEfGhIjKlMnOp"][0]
    server.script("/drive/usercontent/download", Drop(after=100_000))
    target = tmp_path / "data.zip"
    fetch(Artifact("data.zip", gdrive_id="1AbCdEfGhIjKlMnOp", sha256=SHA), "toy", target,
          _settings(server))
    assert target.read_bytes() == BODY
    downloads = server.requests_for("/drive/usercontent/download")
    assert [r.headers.get("Range") for r in downloads] == [None, "bytes=100000-"]
    assert downloads[-1].query["confirm"] == "t" and downloads[-1].query["uuid"]


def test_drive_wrong_file_name_is_reported(server, drive, tmp_path):
    drive.add("1AbCdEfGhIjKlMnOp", "other.rar", BODY)
    with pytest.raises(FetchError, match="serves 'other.rar'.*declares 'data.zip'"):
        fetch(Artifact("data.zip", gdrive_id="1AbCdEfGhIjKlMnOp", sha256=SHA,
                       content_disposition=True), "toy", tmp_path / "data.zip", _settings(server))


@pytest.mark.parametrize("mode, message", [
    ("quota", "download quota is exceeded"),
    ("private", "not shared publicly"),
])
def test_drive_refusals_are_named_not_checksum_errors(server, drive, tmp_path, mode, message):
    drive.add("1AbCdEfGhIjKlMnOp", "data.zip", BODY, mode)
    target = tmp_path / "data.zip"
    with pytest.raises(DriveError, match=message) as caught:
        fetch(Artifact("data.zip", gdrive_id="1AbCdEfGhIjKlMnOp", sha256=SHA), "toy", target,
              _settings(server))
    assert not isinstance(caught.value, ChecksumError)
    assert "1AbCdEfGhIjKlMnOp" in str(caught.value) and str(target.resolve()) in str(caught.value)
    assert not target.exists() and not list(tmp_path.glob("data.zip.rejected-*"))


def test_drive_unknown_id_is_reported(server, drive, tmp_path):
    with pytest.raises(FetchError, match="no file 1ZzZzZzZzZzZz.*gdrive_id is wrong"):
        fetch(Artifact("data.zip", gdrive_id="1ZzZzZzZzZzZz", sha256=SHA), "toy",
              tmp_path / "data.zip", _settings(server))


def test_kaggle_dataset_download_sends_the_token_to_the_api_only(server, kaggle, token, tmp_path,
                                                                 caplog):
    kaggle.add_dataset("owner/some-dataset", BODY)
    target = tmp_path / "some-dataset.zip"
    with caplog.at_level(logging.DEBUG):
        fetch(Artifact("some-dataset.zip", kaggle="owner/some-dataset", sha256=SHA), "toy", target,
              _settings(server))
    assert target.read_bytes() == BODY
    assert kaggle.storage_auth == [None]  # the redirect target got no credentials
    assert KEY not in caplog.text


def test_kaggle_token_from_the_environment(server, kaggle, tmp_path, monkeypatch):
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setenv("KAGGLE_USERNAME", USER)
    monkeypatch.setenv("KAGGLE_KEY", KEY)
    kaggle.add_competition("some-challenge", BODY, rules_accepted=True)
    target = tmp_path / "some-challenge.zip"
    fetch(Artifact("some-challenge.zip", kaggle="competitions/some-challenge", sha256=SHA), "toy",
          target, _settings(server))
    assert target.read_bytes() == BODY


def test_missing_kaggle_credentials_say_how_to_get_them(server, kaggle, tmp_path, monkeypatch):
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "empty"))
    monkeypatch.delenv("KAGGLE_USERNAME", raising=False)
    monkeypatch.delenv("KAGGLE_KEY", raising=False)
    kaggle.add_dataset("owner/some-dataset", BODY)
    with pytest.raises(KaggleCredentialsError) as caught:
        fetch(Artifact("some-dataset.zip", kaggle="owner/some-dataset", sha256=SHA), "toy",
              tmp_path / "some-dataset.zip", _settings(server))
    message = str(caught.value)
    assert str(tmp_path / "empty" / "kaggle.json") in message
    assert "KAGGLE_USERNAME" in message and "Create New Token" in message
    assert server.requests == []  # nothing was sent without credentials


def test_rejected_kaggle_token_is_reported_without_leaking_it(server, kaggle, token, tmp_path,
                                                              caplog):
    token.write_text(json.dumps({"username": USER, "key": "wrong-key-987"}))
    kaggle.add_dataset("owner/some-dataset", BODY)
    with caplog.at_level(logging.DEBUG), pytest.raises(FetchError, match="HTTP 401") as caught:
        fetch(Artifact("some-dataset.zip", kaggle="owner/some-dataset", sha256=SHA), "toy",
              tmp_path / "some-dataset.zip", _settings(server))
    assert str(token) in str(caught.value)
    for text in (str(caught.value), caplog.text):
        assert "wrong-key-987" not in text and USER not in text


def test_kaggle_competition_rules_not_accepted(server, kaggle, token, tmp_path):
    kaggle.add_competition("some-challenge", BODY, rules_accepted=False)
    with pytest.raises(FetchError, match="accept its rules at https://www.kaggle.com/competitions/some-challenge/rules"):
        fetch(Artifact("c.zip", kaggle="competitions/some-challenge", sha256=SHA), "toy",
              tmp_path / "c.zip", _settings(server))


def test_service_artifacts_are_declared_with_their_pages():
    drive = Artifact("data.zip", gdrive_id="1AbCdEfGhIjKlMnOp", md5="0" * 32)
    assert drive.url == "https://drive.google.com/file/d/1AbCdEfGhIjKlMnOp/view"
    dataset = Artifact("d.zip", kaggle="owner/slug", md5="0" * 32)
    assert dataset.url == "https://www.kaggle.com/datasets/owner/slug"
    assert dataset.kaggle_ref == ("dataset", "owner/slug")
    with pytest.raises(ValueError, match="must be 'owner/slug'"):
        Artifact("d.zip", kaggle="just-a-slug")
    with pytest.raises(ValueError, match="not a Google Drive file id"):
        Artifact("d.zip", gdrive_id="../etc")
