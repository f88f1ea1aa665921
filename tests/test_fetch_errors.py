"""Failures told apart by their cause, against a real loopback HTTP server: a local write
error fails at once naming the file; an answer to a Range request that is not the rest
of the file never costs the bytes already downloaded."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fakes.server import Drop, IgnoreRange, Status

from data import disk_errors, locate
from data.artifacts import partial_path
from fetch import FetchError, FetchSettings, HtmlPageError, fetch
from handlers._spec import Artifact
from tasks import logs

ROOT = Path(__file__).resolve().parent.parent
BODY = bytes(range(256)) * 4096  # 1 MiB, every offset distinguishable
SHA = hashlib.sha256(BODY).hexdigest()
FAST = dict(attempts=4, backoff=0.01, max_backoff=0.05, timeout=5.0)
PAGE = b"<!DOCTYPE html><html><head><title>Quota exceeded</title></head><body>later</body></html>"


def _artifact(server, **fields) -> Artifact:
    fields.setdefault("sha256", SHA)
    return Artifact("toy.bin", server.url("/toy.bin"), **fields)


def _ranges(server):
    return [request.headers.get("Range") for request in server.requests_for("/toy.bin")]


def _partial_after_a_drop(server, target, after: int) -> Path:
    """A partial file of ``after`` good bytes, as a killed or cut-off run leaves it."""
    server.add("/toy.bin", BODY)
    server.script("/toy.bin", Drop(after=after))
    with pytest.raises(FetchError, match="gave up after 1 attempts"):
        fetch(_artifact(server), "toy", target, FetchSettings(**{**FAST, "attempts": 1}))
    partial = partial_path(target)
    assert partial.read_bytes() == BODY[:after]
    return partial


# --- an answer to a Range request that is not the rest of the file ---------------------


def test_html_page_answering_a_range_request_keeps_the_partial(server, target):
    partial = _partial_after_a_drop(server, target, 400_000)
    validators = partial.with_name(partial.name + ".json").read_text()
    server.script("/toy.bin", Status(200, body=PAGE, content_type="text/html"))
    with pytest.raises(HtmlPageError) as caught:
        fetch(_artifact(server), "toy", target, FetchSettings(**FAST))
    message = str(caught.value)
    assert "bytes 400000-" in message and "Quota exceeded" in message
    assert "400000 bytes already downloaded are kept" in message and str(partial) in message
    assert partial.read_bytes() == BODY[:400_000]  # not a byte lost, none replaced
    assert partial.with_name(partial.name + ".json").read_text() == validators
    assert _ranges(server) == [None, "bytes=400000-"]  # a failure of the source: no loop
    # The next run continues the same bytes.
    fetch(_artifact(server), "toy", target, FetchSettings(**FAST))
    assert target.read_bytes() == BODY
    assert _ranges(server)[-1] == "bytes=400000-"


def test_html_page_without_a_content_type_is_sniffed_and_keeps_the_partial(server, target):
    partial = _partial_after_a_drop(server, target, 300_000)
    server.script("/toy.bin", Status(200, body=b"\n <html><title>Sign in</title></html>",
                                     content_type="application/octet-stream"))
    with pytest.raises(HtmlPageError, match="Sign in"):
        fetch(_artifact(server, sha256=None), "toy", target, FetchSettings(**FAST))
    assert partial.read_bytes() == BODY[:300_000]


@pytest.mark.parametrize("answer", [
    Status(200, body=b"rate limit exceeded, try again later"),  # shorter than the partial
    Status(200, body=bytes(2 * len(BODY))),                      # not the declared size
], ids=["shorter-than-the-partial", "not-the-declared-size"])
def test_a_non_206_body_that_is_not_the_artifact_keeps_the_partial(server, target, answer):
    partial = _partial_after_a_drop(server, target, 500_000)
    server.script("/toy.bin", answer)
    with pytest.raises(FetchError, match="not the artifact. The 500000 bytes already "
                                         "downloaded are kept"):
        fetch(_artifact(server, size=len(BODY)), "toy", target, FetchSettings(**FAST))
    assert partial.read_bytes() == BODY[:500_000]
    assert len(server.requests_for("/toy.bin")) == 2


def test_a_server_ignoring_range_keeps_the_bytes_it_repeats(server, target, caplog):
    partial = _partial_after_a_drop(server, target, 600_000)
    server.script("/toy.bin", IgnoreRange())
    with caplog.at_level("INFO", logger="fetch"):
        fetch(_artifact(server), "toy", target, FetchSettings(**FAST))
    assert target.read_bytes() == BODY
    assert _ranges(server) == [None, "bytes=600000-"]
    assert "kept where it repeats the partial file" in caplog.text
    assert "differs from the partial file" not in caplog.text
    assert not partial.exists()


def test_a_whole_file_that_differs_from_the_partial_rewrites_it_from_the_difference(server, target, caplog):
    partial = _partial_after_a_drop(server, target, 600_000)
    changed = BODY[:250_000] + bytes(len(BODY) - 250_000)
    server.add("/toy.bin", changed, etag=None, last_modified=None)  # no validator to tell
    server.script("/toy.bin", IgnoreRange())
    with caplog.at_level("INFO", logger="fetch"):
        fetch(_artifact(server, sha256=hashlib.sha256(changed).hexdigest()), "toy", target,
              FetchSettings(**FAST))
    assert target.read_bytes() == changed
    assert "differs from the partial file at byte 250000" in caplog.text
    assert not partial.exists()


def test_a_range_refused_with_416_keeps_the_bytes_the_whole_file_repeats(server, target, caplog):
    partial = _partial_after_a_drop(server, target, 400_000)
    server.script("/toy.bin", Status(416, body=PAGE, content_type="text/html"))
    with caplog.at_level("INFO", logger="fetch"):
        fetch(_artifact(server), "toy", target, FetchSettings(**FAST))
    assert target.read_bytes() == BODY
    assert _ranges(server) == [None, "bytes=400000-", None]  # then the whole file, compared
    assert "kept where it repeats the partial file" in caplog.text
    assert "differs from the partial file" not in caplog.text and not partial.exists()


def test_a_partial_running_past_the_end_of_the_file_is_cut_to_it(server, target, caplog):
    partial = _partial_after_a_drop(server, target, 400_000)
    with open(partial, "ab") as grow:
        grow.write(BODY[400_000:] + b"tail")  # the whole file, then bytes it does not have
    with caplog.at_level("INFO", logger="fetch"):
        fetch(_artifact(server), "toy", target, FetchSettings(**FAST))
    assert target.read_bytes() == BODY
    assert _ranges(server) == [None, f"bytes={len(BODY) + 4}-", None]  # 416, then whole
    assert "ran past the end of the file; cut to its 1048576 bytes" in caplog.text


# --- local write errors: at once, naming the file -------------------------------------

_FETCH_UNDER_A_LIMIT = textwrap.dedent("""
    import json, resource, signal, sys
    from pathlib import Path
    from fetch import FetchSettings, fetch
    from handlers._spec import Artifact
    from tasks import logs

    url, sha, target, limit = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write raises EFBIG instead of a kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    try:
        fetch(Artifact("toy.bin", url, sha256=sha), "toy", target,
              FetchSettings(attempts=4, backoff=0.01, max_backoff=0.05, timeout=5.0))
    except BaseException as error:
        print(json.dumps({"type": type(error).__name__, "errno": getattr(error, "errno", None),
                          "filename": getattr(error, "filename", None), "text": str(error),
                          "explained": logs.explain(error)}))
""")


def test_file_size_limit_fails_at_once_naming_the_partial_file(server, target):
    server.add("/toy.bin", BODY)
    result = subprocess.run(
        [sys.executable, "-c", _FETCH_UNDER_A_LIMIT, server.url("/toy.bin"), SHA, str(target),
         "300000"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["type"] == "OSError" and outcome["errno"] == 27, outcome  # EFBIG
    assert outcome["filename"] == str(partial_path(target))
    assert len(server.requests_for("/toy.bin")) == 1  # not retried
    text = outcome["explained"]
    assert str(partial_path(target)) in text and "ulimit -f" in text and "Not retried" in text
    assert "connection" not in text


@contextlib.contextmanager
def _unwritable(folder: Path):
    """``folder`` made unwritable for this process: read-only mode, or for root (whom
    modes do not stop) the immutable attribute; skip when neither is possible."""
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield
        finally:
            folder.chmod(0o700)
        return
    chattr = shutil.which("chattr")
    if not chattr or subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("running as root without a way to make a folder immutable here")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


def test_an_unwritable_artifacts_folder_fails_at_once_naming_the_file(server, target):
    server.add("/toy.bin", BODY)
    target.parent.mkdir(parents=True)
    with _unwritable(target.parent), pytest.raises(OSError) as caught:
        fetch(_artifact(server), "toy", target, FetchSettings(**FAST))
    error = caught.value
    assert disk_errors.is_local(error) and not isinstance(error, FetchError)
    # The fetch's lock file (data/ownership.py) is the first write: no request is sent.
    assert len(server.requests_for("/toy.bin")) == 0
    text = logs.explain(error)
    assert str(target.parent) in text and "chmod" in text and "[storage] data_dir" in text


@pytest.mark.parametrize("code", sorted(disk_errors.LOCAL_ERRNOS))
def test_every_local_write_error_is_one_paragraph_naming_the_path(code):
    with pytest.raises(OSError) as caught, disk_errors.writing("/data/staging/x/records.bin"):
        raise OSError(code, os.strerror(code))  # as write() and close() raise: no file name
    text = logs.explain(caught.value)
    assert "/data/staging/x/records.bin" in text and "run the same command again" in text
    assert "\n" not in text


def test_a_failed_write_through_atomic_path_names_the_file(tmp_path):
    from data.atomic import atomic_path

    final = tmp_path / "staging" / "records.bin"
    with pytest.raises(OSError) as caught, atomic_path(final) as temporary, open(temporary, "wb"):
        raise OSError(28, os.strerror(28))  # ENOSPC as write() raises it
    assert caught.value.filename == str(final) and not list(final.parent.iterdir())
    assert str(final) in logs.explain(caught.value)


def test_a_build_under_a_file_size_limit_fails_once_with_one_paragraph(workspace):
    """Through the real graph: the download stops at the limit, is not retried, and the
    log says which file and what to do, without a traceback."""
    workspace.fixture("semeion")
    workspace.write_config()
    launcher = ("import os, resource, signal, sys; "
                "signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
                "resource.setrlimit(resource.RLIMIT_FSIZE, (60000, 60000)); "
                "os.execv(sys.executable, [sys.executable] + sys.argv[1:])")
    result = subprocess.run(
        [sys.executable, "-c", launcher, *workspace.luigi_command("semeion")[1:]],
        cwd=workspace.path, env=workspace.env(), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 30, result.stderr[-3000:]
    partial = partial_path(locate.artifacts_dir(workspace.data_dir, "semeion") / "semeion.data")
    log = result.stderr
    assert "the file is larger than this process may write" in log and str(partial) in log
    assert "ulimit -f" in log and "Traceback" not in log
    assert "retry 1/" not in log and "connection dropped" not in log
