"""cli.gc and `python -m tasks gc`: what is garbage, what is held, what is removed."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time

from cli import gc
from data.artifacts import ArtifactStore

OLD = time.time() - 2 * gc.MIN_AGE


def _blob_file(store: ArtifactStore, source: str, file: str, body: bytes):
    target = store.path(source, file)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{file}.download")
    temporary.write_bytes(body)
    store.accept(target, temporary, hashlib.sha256(body).hexdigest(), None)
    return target


def _age(*paths, when=OLD):
    for path in paths:
        for folder, _, files in os.walk(path):
            for name in files:
                os.utime(os.path.join(folder, name), (when, when))
            os.utime(folder, (when, when))
        os.utime(path, (when, when))


def test_garbage_is_listed_held_and_removed(tmp_path):
    data_dir = tmp_path / "data"
    store = ArtifactStore(data_dir / "artifacts")
    kept = _blob_file(store, "toy", "kept.bin", b"kept" * 100)
    replaced = _blob_file(store, "toy", "old.bin", b"old" * 100)
    store.supersede(replaced)  # its only name is now the superseded one
    orphan = store.blob("0" * 64)
    orphan.write_bytes(b"nobody links here")
    rejected = store.path("toy", "bad.bin.rejected-abcdefabcdef")
    rejected.write_bytes(b"bad")
    stale, fresh = store.path("toy", ".a.bin.download"), store.path("toy", ".b.bin.download")
    stale.write_bytes(b"12345")
    fresh.write_bytes(b"678")
    staging = data_dir / "staging"
    for folder in ("toyset/current", "toyset/older", "retired/abc"):
        (staging / folder).mkdir(parents=True)
        (staging / folder / "plan.json").write_text("{}")
    _age(data_dir)
    os.utime(fresh)  # a download in progress

    current = {"toyset": "current"}.get
    removable, held = gc.collect(data_dir, current)
    listed = {(item.kind, item.path.relative_to(data_dir).as_posix()) for item in removable}
    assert listed == {
        ("staging", "staging/toyset/older"), ("staging", "staging/retired/abc"),
        ("superseded", f"artifacts/toy/old.bin.superseded-{hashlib.sha256(b'old' * 100).hexdigest()[:12]}"),
        ("unreferenced", f"artifacts/.by-sha256/{hashlib.sha256(b'old' * 100).hexdigest()}"),
        ("unreferenced", f"artifacts/.by-sha256/{'0' * 64}"),
        ("rejected", "artifacts/toy/bad.bin.rejected-abcdefabcdef"),
        ("partial", "artifacts/toy/.a.bin.download"),
    }
    assert [(item.kind, item.path) for item in held] == [("partial", fresh)]
    # The superseded name and its blob are one file: its bytes are counted once.
    assert sum(item.size for item in removable) == 2 + 2 + 300 + len(b"nobody links here") + 3 + 5
    report = gc.format_report(removable, held, data_dir, deleted=False)
    assert "--delete" in report and "held" in report and "staging/toyset/older" in report

    gc.remove(removable)
    assert kept.read_bytes() == b"kept" * 100 and os.path.samefile(kept, store.blob(
        hashlib.sha256(b"kept" * 100).hexdigest()))
    assert fresh.exists() and not stale.exists() and not orphan.exists() and not rejected.exists()
    assert sorted(p.relative_to(staging).as_posix() for p in staging.glob("*/*")) == ["toyset/current"]
    assert gc.collect(data_dir, current) == ([], [gc._measure("partial", fresh)])


def test_gc_command_keeps_the_current_build(workspace):
    workspace.fixture("semeion")
    workspace.build("semeion")
    staging = workspace.data_dir / "staging" / "semeion"
    (current,) = staging.iterdir()
    (staging / "0123456789abcdef").mkdir()
    (staging / "0123456789abcdef" / "plan.json").write_text("{}")
    command = [sys.executable, "-m", "tasks", "--data-dir", str(workspace.data_dir), "gc",
               "--min-age", "0"]
    listed = subprocess.run(command, cwd=workspace.path, env=workspace.env(),
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert "staging/semeion/0123456789abcdef" in listed.stdout
    assert current.name not in listed.stdout and "--delete" in listed.stdout
    deleted = subprocess.run([*command, "--delete"], cwd=workspace.path, env=workspace.env(),
                             capture_output=True, text=True, timeout=120)
    assert deleted.returncode == 0 and "removed 1 item(s)" in deleted.stdout, deleted.stdout
    assert [p.name for p in staging.iterdir()] == [current.name]
    rebuilt = workspace.build("semeion")
    assert "running   FetchArtifact" not in rebuilt.stderr and "running   PlanExamples" not in rebuilt.stderr
