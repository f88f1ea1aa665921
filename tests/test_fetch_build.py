"""Fetching through the real ``luigi`` command: a killed download resumes, mirrors work
with the provider unreachable, and manual artifacts are asked for then verified."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from fakes import fetchset
from fakes.server import Stall

import data

FAKES = Path(__file__).resolve().parent / "fakes"


def _prepare(workspace, name: str, file: str, provider_url: str) -> tuple[bytes, dict]:
    """Write the fixture zip, pin its checksum; return its bytes and the build env."""
    folder = workspace.path / "fixture"
    folder.mkdir(exist_ok=True)
    fetchset.write_zip(folder / file)
    body = (folder / file).read_bytes()
    overrides = Path(workspace.settings["fetch"]["checksum_overrides"])
    overrides.write_text(json.dumps({f"{name}/{file}": {"sha256": hashlib.sha256(body).hexdigest()}}))
    env = workspace.env()
    env.update(DATASETS_STORAGE_HANDLERS="toyset,fetchset", FETCHSET_URL=provider_url,
               PYTHONPATH=f"{FAKES}{os.pathsep}{env['PYTHONPATH']}")
    return body, env


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/fetchset.zip"


def test_sigkill_during_download_then_rerun_resumes_the_partial_file(workspace, server):
    body, env = _prepare(workspace, "fetchset", "fetchset.zip", _closed_port_url())
    server.add("/fetchset/fetchset.zip", body)
    release = threading.Event()
    server.script("/fetchset/fetchset.zip", Stall(after=len(body) // 2, release=release))
    workspace.settings["fetch"]["mirrors"] = server.url("")
    workspace.write_config()
    partial = workspace.data_dir / "artifacts" / "fetchset" / ".fetchset.zip.download"

    process = subprocess.Popen(
        workspace.luigi_command("fetchset"), cwd=workspace.path, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (partial.exists() and partial.stat().st_size > 0):
            assert process.poll() is None, "the build ended before it could be killed"
            assert time.monotonic() < deadline, "the download never started"
            time.sleep(0.02)
        time.sleep(0.2)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        release.set()
    kept = partial.stat().st_size
    assert 0 < kept <= len(body) // 2

    workspace.build("fetchset", env_extra=env)
    ranges = [r.headers.get("Range") for r in server.requests_for("/fetchset/fetchset.zip")]
    assert ranges == [None, f"bytes={kept}-"]
    artifact = workspace.data_dir / "artifacts" / "fetchset" / "fetchset.zip"
    assert artifact.read_bytes() == body and not partial.exists()
    assert data.verify(workspace.data_dir / "datasets" / "fetchset" / "1.0.0")["examples"] == 24


def test_mirror_folder_serves_a_build_whose_provider_is_unreachable(workspace, tmp_path):
    _, env = _prepare(workspace, "fetchset", "fetchset.zip", _closed_port_url())
    mirror = tmp_path / "org-mirror"
    (mirror / "fetchset").mkdir(parents=True)
    os.replace(workspace.path / "fixture" / "fetchset.zip", mirror / "fetchset" / "fetchset.zip")
    workspace.settings["fetch"].update(mirrors=str(mirror), offline="false")
    workspace.build("fetchset", env_extra=env)
    assert (workspace.data_dir / "datasets" / "fetchset" / "1.0.0" / "dataset_info.json").exists()

    # The same build without the mirror really has nowhere to go.
    workspace.settings["fetch"]["mirrors"] = ""
    workspace.settings["storage"]["data_dir"] = str(tmp_path / "other-data")
    failed = workspace.build("fetchset", env_extra=env, check=False)
    assert failed.returncode == 30
    assert "connection to http://127.0.0.1:" in failed.stderr


def test_manual_artifact_is_asked_for_then_verified_when_placed(workspace):
    body, env = _prepare(workspace, "fetchset_manual", "fetchset_manual.zip", _closed_port_url())
    workspace.settings["fetch"]["mirrors"] = ""
    target = workspace.data_dir / "artifacts" / "fetchset_manual" / "fetchset_manual.zip"
    missing = workspace.build("fetchset_manual", env_extra=env, check=False)
    assert missing.returncode == 30
    assert f"Put it at exactly {target.resolve()}" in missing.stderr
    assert "https://example.invalid/fetchset/licence" in missing.stderr

    target.write_bytes(body[:-10] + b"0123456789")  # a wrong file is refused
    wrong = workspace.build("fetchset_manual", env_extra=env, check=False)
    assert wrong.returncode == 30 and "failed verification" in wrong.stderr
    assert not target.exists() and list(target.parent.glob("fetchset_manual.zip.rejected-*"))

    target.write_bytes(body)
    workspace.build("fetchset_manual", env_extra=env)
    info = workspace.data_dir / "datasets" / "fetchset_manual" / "1.0.0" / "dataset_info.json"
    assert json.loads(info.read_text())["splits"]["train"]["num_examples"] == 24
