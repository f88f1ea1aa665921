"""fetch.fetch against a real loopback HTTP server that misbehaves on cue."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time

import pytest
from fakes.server import Drop, IgnoreRange, Redirect, Status

from data.artifacts import partial_path, record_path, recorded_sha256
from fetch import (
    ChecksumError,
    FetchError,
    FetchSettings,
    HtmlPageError,
    ManualDownloadError,
    download_host,
    fetch,
)
from fetch.http import served_file_name
from handlers._spec import Artifact

BODY = bytes(range(256)) * 4096  # 1 MiB, every offset distinguishable
SHA = hashlib.sha256(BODY).hexdigest()
FAST = dict(attempts=4, backoff=0.01, max_backoff=2.0, timeout=5.0)


def _settings(**changes) -> FetchSettings:
    return FetchSettings(**{**FAST, **changes})


def _artifact(url, **fields) -> Artifact:
    fields.setdefault("sha256", SHA)
    return Artifact("toy.bin", url, **fields)


def _ranges(server, path="/toy.bin"):
    return [request.headers.get("Range") for request in server.requests_for(path)]


def test_dropped_connection_resumes_with_the_remaining_range(server, target):
    server.add("/toy.bin", BODY)
    server.script("/toy.bin", Drop(after=400_000))
    fetch(_artifact(server.url("/toy.bin")), "toy", target, _settings())
    assert target.read_bytes() == BODY
    assert _ranges(server) == [None, "bytes=400000-"]
    assert server.requests_for("/toy.bin")[1].headers.get("If-Range") == '"v1"'
    assert recorded_sha256(target) == SHA
    assert not partial_path(target).exists()


def test_server_errors_are_retried_then_succeed(server, target):
    server.add("/toy.bin", BODY)
    server.script("/toy.bin", Status(500), Status(503))
    fetch(_artifact(server.url("/toy.bin")), "toy", target, _settings())
    assert target.read_bytes() == BODY
    assert len(server.requests_for("/toy.bin")) == 3


def test_429_waits_as_long_as_retry_after_says(server, target):
    server.add("/toy.bin", BODY)
    server.script("/toy.bin", Status(429, headers={"Retry-After": "1"}))
    started = time.monotonic()
    fetch(_artifact(server.url("/toy.bin")), "toy", target, _settings())
    assert time.monotonic() - started >= 1.0  # the backoff alone would be ~0.01 s
    assert len(server.requests_for("/toy.bin")) == 2


def test_client_errors_are_not_retried(server, target):
    server.script("/toy.bin", Status(403))
    with pytest.raises(FetchError, match="HTTP 403") as caught:
        fetch(_artifact(server.url("/toy.bin")), "toy", target, _settings())
    assert len(server.requests_for("/toy.bin")) == 1
    assert str(target.resolve()) in str(caught.value)  # says where a hand download goes


def test_persistent_failure_gives_up_after_the_configured_attempts(server, target):
    server.script("/toy.bin", *[Status(502)] * 10)
    with pytest.raises(FetchError, match="gave up after 3 attempts"):
        fetch(_artifact(server.url("/toy.bin")), "toy", target, _settings(attempts=3))
    assert len(server.requests_for("/toy.bin")) == 3


def test_server_ignoring_range_restarts_cleanly(server, target):
    server.add("/toy.bin", BODY)
    server.script("/toy.bin", Drop(after=300_000), IgnoreRange())
    fetch(_artifact(server.url("/toy.bin")), "toy", target, _settings())
    assert target.read_bytes() == BODY  # not the first 300 kB twice
    assert _ranges(server) == [None, "bytes=300000-"]


@pytest.mark.parametrize("if_range", [True, False], ids=["server-honours-if-range", "server-ignores-if-range"])
def test_file_changed_between_attempts_starts_over(server, target, if_range):
    new = BODY[::-1]
    resource = server.add("/toy.bin", BODY, if_range=if_range)
    server.script("/toy.bin", Drop(after=500_000))
    with pytest.raises(FetchError):
        fetch(_artifact(server.url("/toy.bin"), sha256=hashlib.sha256(new).hexdigest()), "toy",
              target, _settings(attempts=1))
    assert partial_path(target).stat().st_size == 500_000
    resource.body, resource.etag = new, '"v2"'
    fetch(_artifact(server.url("/toy.bin"), sha256=hashlib.sha256(new).hexdigest()), "toy",
          target, _settings())
    assert target.read_bytes() == new
    # Either the server answers the stale range with the whole new file (If-Range), or
    # the client sees the new ETag on the 206 and asks for the whole file again.
    assert _ranges(server) == [None, "bytes=500000-"] + ([] if if_range else [None])


def test_changed_size_without_validators_starts_over(server, target):
    resource = server.add("/toy.bin", BODY, etag=None, last_modified=None)
    server.script("/toy.bin", Drop(after=500_000))
    with pytest.raises(FetchError):
        fetch(_artifact(server.url("/toy.bin"), sha256=None), "toy", target, _settings(attempts=1))
    resource.body = BODY + b"appended"
    fetch(_artifact(server.url("/toy.bin"), sha256=None), "toy", target, _settings())
    assert target.read_bytes() == BODY + b"appended"
    assert _ranges(server) == [None, "bytes=500000-", None]


def test_wrong_bytes_are_kept_aside_and_named(server, target):
    server.add("/toy.bin", b"not the artifact" * 100)
    url = server.url("/toy.bin")
    with pytest.raises(ChecksumError) as caught:
        fetch(_artifact(url), "toy", target, _settings())
    message = str(caught.value)
    actual = hashlib.sha256(b"not the artifact" * 100).hexdigest()
    assert url in message and SHA in message and actual in message and "1600 bytes" in message
    assert f'sha256="{actual}"' in message  # ready to paste
    aside = target.with_name(f"toy.bin.rejected-{actual[:12]}")
    assert aside.read_bytes() == b"not the artifact" * 100 and str(aside) in message
    assert not target.exists() and not partial_path(target).exists()


def test_md5_only_checksum_is_verified(server, target):
    server.add("/toy.bin", BODY)
    fetch(_artifact(server.url("/toy.bin"), sha256=None, md5=hashlib.md5(BODY).hexdigest()),
          "toy", target, _settings())
    assert target.read_bytes() == BODY and recorded_sha256(target) == SHA
    other = target.with_name("other.bin")
    with pytest.raises(ChecksumError, match="md5 is"):
        fetch(Artifact("other.bin", server.url("/toy.bin"), md5="0" * 32), "toy", other, _settings())


def test_html_error_page_with_status_200_is_recognised(server, target):
    page = b"<!DOCTYPE html><html><head><title>Service unavailable</title></head></html>"
    server.add("/toy.bin", page, content_type="text/html; charset=utf-8")
    with pytest.raises(HtmlPageError, match="HTML page.*Service unavailable"):
        fetch(_artifact(server.url("/toy.bin")), "toy", target, _settings())
    assert not target.exists()


def test_html_page_with_a_binary_content_type_is_sniffed(server, target):
    server.add("/toy.bin", b"\n  <html><title>Login required</title></html>")
    with pytest.raises(HtmlPageError, match="Login required"):
        fetch(_artifact(server.url("/toy.bin"), sha256=None), "toy", target, _settings())
    assert not target.exists() and not record_path(target).exists()


def test_redirect_chain_ending_on_the_file_works(server, target):
    server.add("/final/toy.bin", BODY)
    server.script("/a", Redirect("/b", 301))
    server.script("/b", Redirect(server.url("/c"), 307))
    server.script("/c", Redirect("final/toy.bin", 302))
    fetch(_artifact(server.url("/a")), "toy", target, _settings())
    assert target.read_bytes() == BODY


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/toy.bin"])
def test_redirect_to_another_scheme_is_refused(server, target, location):
    server.script("/toy.bin", Redirect(location))
    with pytest.raises(FetchError, match="only http and https redirects are followed"):
        fetch(_artifact(server.url("/toy.bin")), "toy", target, _settings())
    assert not target.exists()


def test_artifact_url_with_an_unsupported_scheme_is_refused(target):
    with pytest.raises(FetchError, match="unsupported URL scheme 'ftp'"):
        fetch(_artifact("ftp://127.0.0.1/toy.bin"), "toy", target, _settings())


def test_checksumless_artifact_is_recorded_then_must_not_change(server, target, caplog):
    server.add("/toy.bin", BODY)
    artifact = _artifact(server.url("/toy.bin"), sha256=None)
    with caplog.at_level(logging.WARNING, logger="fetch.download"):
        fetch(artifact, "toy", target, _settings())
    assert recorded_sha256(target) == SHA
    assert record_path(target).read_text() == f"{SHA}  toy.bin\n"
    assert f'sha256="{SHA}"' in caplog.text and "no published checksum" in caplog.text

    target.unlink()
    server.add("/toy.bin", BODY[:-1] + b"!")
    with pytest.raises(ChecksumError, match="refresh = true"):
        fetch(artifact, "toy", target, _settings())
    assert not target.exists() and recorded_sha256(target) == SHA

    fetch(artifact, "toy", target, _settings(refresh=True))
    assert target.read_bytes() == BODY[:-1] + b"!"
    assert recorded_sha256(target) == hashlib.sha256(BODY[:-1] + b"!").hexdigest()


def test_content_disposition_is_checked_only_where_the_handler_asks(server, target):
    server.add("/download", BODY, filename="something_else.zip")
    fetch(_artifact(server.url("/download")), "toy", target, _settings())
    assert target.read_bytes() == BODY  # the declared name wins, the header is ignored
    strict = target.with_name("toy2.bin")
    with pytest.raises(FetchError, match="serves 'something_else.zip'.*declares 'toy2.bin'"):
        fetch(Artifact("toy2.bin", server.url("/download"), sha256=SHA, content_disposition=True),
              "toy", strict, _settings())
    assert not strict.exists()


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/toy.bin"


def test_mirror_folder_is_used_before_the_provider(tmp_path, target):
    mirror = tmp_path / "mirror"
    (mirror / "toy").mkdir(parents=True)
    (mirror / "toy" / "toy.bin").write_bytes(BODY)
    fetch(_artifact(_closed_port_url()), "toy", target, _settings(mirrors=(str(mirror),)))
    assert target.read_bytes() == BODY


def test_mirrors_are_tried_in_order_then_the_provider(server, tmp_path, target):
    server.add("/provider/toy.bin", BODY)
    server.add("/bad/toy/toy.bin", b"corrupted copy")
    mirrors = (str(tmp_path / "empty"), server.url("/gone"), server.url("/bad"))
    fetch(_artifact(server.url("/provider/toy.bin")), "toy", target, _settings(mirrors=mirrors))
    assert target.read_bytes() == BODY
    assert [r.path for r in server.requests] == ["/gone/toy/toy.bin", "/bad/toy/toy.bin",
                                                 "/provider/toy.bin"]
    assert list(target.parent.glob("toy.bin.rejected-*"))  # the bad copy is kept aside


def test_offline_without_a_mirror_holding_it_says_what_to_do(server, tmp_path, target):
    settings = _settings(offline=True, mirrors=(str(tmp_path / "empty"), server.url("/m")))
    with pytest.raises(FetchError, match="offline and no mirror holds it") as caught:
        fetch(_artifact(_closed_port_url()), "toy", target, settings)
    assert "<mirror>/toy/toy.bin" in str(caught.value)
    assert [r.path for r in server.requests] == ["/m/toy/toy.bin"]


def test_unreachable_provider_fails_after_retries(target):
    with pytest.raises(FetchError, match="gave up after 2 attempts: connection to"):
        fetch(_artifact(_closed_port_url()), "toy", target, _settings(attempts=2))


def test_manual_artifact_missing_names_the_exact_path_and_page(target):
    artifact = Artifact("toy.bin", manual="register at https://example.org/form, then download",
                        sha256=SHA)
    with pytest.raises(ManualDownloadError) as caught:
        fetch(artifact, "toy", target, _settings(), page="https://example.org/")
    message = str(caught.value)
    assert str(target.resolve()) in message and "https://example.org/form" in message
    assert "toy.bin" in message and "https://example.org/" in message


def test_manual_artifact_placed_by_hand_is_verified(target):
    artifact = Artifact("toy.bin", manual="by hand", sha256=SHA)
    target.parent.mkdir(parents=True)
    target.write_bytes(BODY[:1000])
    with pytest.raises(ChecksumError, match="the file found at"):
        fetch(artifact, "toy", target, _settings())
    assert not target.exists() and list(target.parent.glob("toy.bin.rejected-*"))
    target.write_bytes(BODY)
    assert fetch(artifact, "toy", target, _settings()) == target
    assert recorded_sha256(target) == SHA


def test_killed_after_the_last_byte_verifies_without_downloading(server, target):
    server.add("/toy.bin", BODY)
    server.script("/toy.bin", Drop(after=len(BODY)))  # all bytes sent, then the link dies
    fetch(_artifact(server.url("/toy.bin")), "toy", target, _settings())
    assert target.read_bytes() == BODY
    assert len(server.requests_for("/toy.bin")) == 1


def test_partial_from_another_source_is_not_continued(server, target):
    server.add("/toy.bin", BODY)
    target.parent.mkdir(parents=True)
    partial_path(target).write_bytes(b"x" * 1000)  # no validators: origin unknown
    fetch(_artifact(server.url("/toy.bin")), "toy", target, _settings())
    assert target.read_bytes() == BODY and _ranges(server) == [None]


def test_progress_is_reported_with_the_total(server, target):
    server.add("/toy.bin", BODY)
    seen = []
    fetch(_artifact(server.url("/toy.bin")), "toy", target, _settings(),
          progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(BODY), len(BODY))


def test_existing_verified_artifact_needs_no_network(server, target):
    server.add("/toy.bin", BODY)
    fetch(_artifact(server.url("/toy.bin")), "toy", target, _settings())
    before = os.stat(target).st_mtime_ns
    fetch(_artifact(server.url("/toy.bin")), "toy", target, _settings())
    assert len(server.requests) == 1 and os.stat(target).st_mtime_ns == before


def test_partial_longer_than_the_file_starts_over(server, target):
    server.add("/toy.bin", BODY)
    server.script("/toy.bin", Drop(after=100))
    with pytest.raises(FetchError):
        fetch(_artifact(server.url("/toy.bin")), "toy", target, _settings(attempts=1))
    with open(partial_path(target), "ab") as grow:
        grow.write(bytes(len(BODY)))  # now longer than the file: the server answers 416
    fetch(_artifact(server.url("/toy.bin")), "toy", target, _settings())
    assert target.read_bytes() == BODY
    assert _ranges(server) == [None, f"bytes={100 + len(BODY)}-", None]


def test_served_file_names_are_parsed_safely():
    assert served_file_name('attachment; filename="data.zip"') == "data.zip"
    assert served_file_name("attachment; filename*=UTF-8''na%C3%AFve%20set.zip") == "naïve set.zip"
    assert served_file_name('attachment; filename="../../etc/passwd"') == "passwd"
    assert served_file_name("inline") is None


def test_downloads_are_limited_per_host():
    from tasks.graph import FetchArtifact

    plain = Artifact("a.zip", "https://data.example.org/a.zip", sha256=SHA)
    assert download_host(plain, FetchSettings()) == "data.example.org"
    assert download_host(plain, FetchSettings(mirrors=("/srv/mirror", "http://Mirror.lan:8000/d"))) \
        == "mirror.lan"
    assert download_host(plain, FetchSettings(offline=True, mirrors=("/srv/mirror",))) is None
    drive = Artifact("d.zip", gdrive_id="1AbCdEfGhIjKlMnOp", sha256=SHA)
    assert download_host(drive, FetchSettings()) == "drive.google.com"
    resources = FetchArtifact(source="toyset", file="toyset.zip").process_resources()
    assert resources["downloads"] == 1 and resources.get("downloads@example.invalid") == 1


def test_file_urls_work_for_mirrors_and_artifacts(tmp_path, target):
    mirror = tmp_path / "mirror dir"
    (mirror / "toy").mkdir(parents=True)
    (mirror / "toy" / "toy.bin").write_bytes(BODY)
    fetch(_artifact(_closed_port_url()), "toy", target, _settings(mirrors=(mirror.as_uri(),)))
    assert target.read_bytes() == BODY
    other = target.with_name("other.bin")
    fetch(Artifact("other.bin", (mirror / "toy" / "toy.bin").as_uri(), sha256=SHA), "toy", other,
          _settings())
    assert other.read_bytes() == BODY


def test_binary_file_labelled_text_html_is_judged_by_its_bytes(server, target):
    server.add("/toy.bin", BODY, content_type="text/html")
    fetch(_artifact(server.url("/toy.bin")), "toy", target, _settings())
    assert target.read_bytes() == BODY
