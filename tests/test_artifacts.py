"""data.artifacts: content-addressed storage, which checksum applies, adopting older stores."""

from __future__ import annotations

import hashlib
import os

from data.artifacts import ArtifactStore, pinned, record_path, recorded_sha256

BODY = b"the artifact's bytes" * 100
SHA = hashlib.sha256(BODY).hexdigest()
MD5 = hashlib.md5(BODY).hexdigest()


def _accept(store: ArtifactStore, source: str, file: str, checked=None):
    target = store.path(source, file)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{file}.download")
    temporary.write_bytes(BODY)
    store.accept(target, temporary, SHA, checked)
    return target


def test_an_artifact_of_two_sources_is_stored_once(tmp_path):
    store = ArtifactStore(tmp_path / "artifacts")
    first = _accept(store, "caltech256", "256.tar")
    second = _accept(store, "office_caltech_10", "256.tar")
    blob = store.blob(SHA)
    assert first.read_bytes() == second.read_bytes() == BODY
    assert os.path.samefile(first, blob) and os.path.samefile(second, blob)
    assert [p.name for p in blob.parent.iterdir()] == [SHA]
    assert recorded_sha256(first) == recorded_sha256(second) == SHA
    assert not list(first.parent.glob(".*.download"))


def test_the_checksum_that_applies(tmp_path):
    store = ArtifactStore(tmp_path / "artifacts")
    target = _accept(store, "toy", "toy.bin")
    handler = ("md5", MD5)
    assert store.applicable(target, handler, handler).origin == "the handler"
    assert store.applicable(target, ("sha256", SHA), handler).origin == "a [fetch] checksum override"
    recorded = store.applicable(target, None)
    assert (recorded.algorithm, recorded.digest, recorded.published) == ("sha256", SHA, False)
    assert store.applicable(target, None, refresh=True) is None


def test_verified_against_the_checksum_it_was_checked_with(tmp_path):
    store = ArtifactStore(tmp_path / "artifacts")
    checked = store.applicable(tmp_path / "artifacts/toy/toy.bin", ("md5", MD5))
    target = _accept(store, "toy", "toy.bin", checked)
    assert pinned(target) == f"md5:{MD5}"
    assert store.verified(target, ("md5", MD5))
    assert store.verified(target, ("sha256", SHA)) and store.verified(target, None)
    assert not store.verified(target, ("md5", "0" * 32))
    aside = store.supersede(target)
    assert aside.name == f"toy.bin.superseded-{SHA[:12]}" and aside.read_bytes() == BODY
    assert not target.exists() and not record_path(target).exists()


def test_an_older_store_is_adopted_on_first_use(tmp_path):
    store = ArtifactStore(tmp_path / "artifacts")
    target = store.path("toy", "toy.bin")
    target.parent.mkdir(parents=True)
    target.write_bytes(BODY)  # a plain file with the sidecars of the older layout
    record_path(target).write_text(f"{SHA}  toy.bin\n")
    target.with_name(".toy.bin.expected").write_text(f"md5:{MD5}\n")
    assert store.verified(target, ("md5", MD5))
    assert os.path.samefile(target, store.blob(SHA))
    assert not target.with_name(".toy.bin.expected").exists()
    assert pinned(target) == f"md5:{MD5}" and recorded_sha256(target) == SHA
    # A second plain copy of the same bytes elsewhere becomes a link to the one blob.
    other = store.path("other", "toy.bin")
    other.parent.mkdir()
    other.write_bytes(BODY)
    record_path(other).write_text(f"{SHA}  toy.bin\n")
    assert store.verified(other, None) and os.path.samefile(other, store.blob(SHA))


def test_rejected_bytes_are_kept_aside(tmp_path):
    store = ArtifactStore(tmp_path / "artifacts")
    target = store.path("toy", "toy.bin")
    target.parent.mkdir(parents=True)
    bad = target.with_name(".toy.bin.download")
    bad.write_bytes(b"not it")
    aside = store.reject(bad, target, "ab" * 32)
    assert aside.name == "toy.bin.rejected-abababababab" and aside.read_bytes() == b"not it"
    assert not target.exists()
