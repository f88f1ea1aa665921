"""Getting one artifact onto disk, verified: the only code that moves an artifact's bytes.

The sources (``fetch.sources``) are tried in order. A download goes to the partial file
(``fetch.partial``) that survives a killed run and is resumed with a Range request; a
file that changed on the server meanwhile is started over instead of spliced. A
transient failure is retried with backoff; which outcomes those are is returned, not
raised (``Retry``, ``Restart``, ``Absent``). The verified bytes, and which checksum they
must match, are the artifact store's (``data.artifacts``).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
import urllib3
from tqdm import tqdm

from data import disk_errors
from data.artifacts import ArtifactStore, record_path, recorded_sha256
from fetch import http
from fetch.errors import ChecksumError, FetchError, HtmlPageError, ManualDownloadError
from fetch.http import CHUNK, origin, unexpected_html
from fetch.partial import Partial
from fetch.settings import FetchSettings
from fetch.sources import Bucket, Folder, Manual, Source, Web, sources_for
from handlers._spec import Artifact

log = logging.getLogger(__name__)

MAX_RESTARTS = 3
ProgressFn = Callable[[int, int | None], None]
# What reading a response can fail with: the network's, retried (writing is the disk's).
NETWORK_READ_ERRORS = (urllib3.exceptions.HTTPError, requests.RequestException, OSError)


@dataclass(frozen=True)
class Retry:
    """A transient failure: try the same source again after a while."""

    reason: str
    after: float | None = None


@dataclass(frozen=True)
class Restart:
    """The partial file cannot be continued: start over at once (not a failed attempt).
    ``whole``: ask for the whole file and keep the partial's bytes that it repeats,
    instead of discarding them (the server refused the range, HTTP 416)."""

    reason: str
    whole: bool = False


@dataclass(frozen=True)
class Absent:
    """The source does not hold the file (normal for a mirror; a manual artifact's only)."""

    reason: str

    def __str__(self) -> str:
        return self.reason


def file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(
    artifact: Artifact,
    source: str,
    target: Path,
    settings: FetchSettings,
    progress: ProgressFn = lambda done, total: None,
    page: str | None = None,
) -> Path:
    """Put ``artifact`` at ``target``, verified, or raise FetchError saying why (an
    OSError naming the file when the local disk refuses a write: no other source is
    tried for that, see ``data.disk_errors``).

    A file already at ``target`` without a record (placed by hand, or fetched by an
    older version) is verified where it is; with a record it is used as is. ``page``
    is where a human gets the file (the dataset's homepage), for error messages.
    """
    target = Path(target)
    # One fetch of a file at a time, across processes: a second one waits, then finds
    # the file there (the partial download belongs to the lock's holder).
    with ArtifactStore.holding(target).writing(target):
        return _fetch(artifact, source, target, settings, progress, page)


def _fetch(artifact: Artifact, source: str, target: Path, settings: FetchSettings,
           progress: ProgressFn, page: str | None) -> Path:
    if target.exists():
        if not record_path(target).exists():
            _adopt(artifact, source, target, settings)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    failed: list[tuple[Source, FetchError | Absent]] = []  # in the order tried
    with http.session() as session:
        for where in sources_for(artifact, source, settings):
            if isinstance(where, Manual):
                continue
            partial = Partial(target, _algorithms(artifact, source, settings))
            try:
                outcome = _transfer(where, partial, artifact, settings, session, progress)
                if outcome is None:
                    _verify_into_place(artifact, source, target, settings, partial, where.label)
                    return target
            except FetchError as error:
                outcome = error
            failed.append((where, outcome))
            # A mirror lacking a file is normal; anything else deserves a warning.
            level = logging.INFO if isinstance(outcome, Absent) else logging.WARNING
            log.log(level, "fetching %s from %s failed: %s", artifact.file, where.label, outcome)
    raise _failure(artifact, source, target, settings, failed, page)


def _failure(artifact, source: str, target: Path, settings, failed, page) -> FetchError:
    """The one error saying why no source gave the artifact, and what a human can do."""
    mismatches = [str(error) for _, error in failed if isinstance(error, ChecksumError)]
    others = [f"{where.label}: {error}" for where, error in failed
              if not isinstance(error, ChecksumError)]
    if mismatches:
        return ChecksumError("\n".join(mismatches)
                             + ("\nOther sources failed:\n  " + "\n  ".join(others) if others else ""))
    if artifact.url is None:
        return ManualDownloadError(
            f"{artifact.file} must be downloaded by hand: {artifact.manual}"
            + (f" (dataset page: {page})" if page else "")
            + f"\nPut it at exactly {target.resolve()} and rerun; it is verified like any "
            "other artifact." + (f"\nMirrors tried: {others}" if others else "")
        )
    hand = (f"\nOr download it yourself from {artifact.url} and put it at exactly "
            f"{target.resolve()}; it is verified like any other artifact.")
    if not failed or (settings.offline and all(isinstance(e, Absent) for _, e in failed)):
        return FetchError(
            f"{artifact.file}: offline and no mirror holds it; put it under a mirror "
            f"as <mirror>/{source}/{artifact.file} or set [fetch] offline=false"
            + hand
        )
    # One kind of failure everywhere (an HTML page, missing Kaggle credentials) keeps its type.
    kinds = {type(error) for _, error in failed}
    kind = kinds.pop() if len(kinds) == 1 else FetchError
    kind = kind if issubclass(kind, FetchError) else FetchError
    return kind(f"could not fetch {artifact.file}:\n  " + "\n  ".join(others) + hand)


def _algorithms(artifact: Artifact, source: str, settings: FetchSettings) -> tuple[str, ...]:
    checksum = settings.checksum_for(artifact, source)
    if checksum is None or checksum[0] == "sha256":
        return ("sha256",)
    return ("sha256", checksum[0])


# --- one source ---------------------------------------------------------------------


def _transfer(where: Source, partial: Partial, artifact, settings, session, progress) -> Absent | None:
    if isinstance(where, Folder):
        return _copy(where.path, partial, artifact, progress)
    if isinstance(where, Bucket):
        return _copy_object(where.url, partial, artifact, progress)
    assert isinstance(where, Web)
    return _download(where, partial, artifact, settings, session, progress)


def _copy(path: Path, partial: Partial, artifact: Artifact, progress) -> Absent | None:
    if not path.is_file():
        return Absent(f"no such file {path}")
    total = path.stat().st_size
    partial.discard()
    with disk_errors.writing(partial.path), open(path, "rb") as source, \
            partial.open(append=False) as out:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            out.write(chunk)
    progress(total, total)
    log.info("%s: copied %d bytes from %s", artifact.file, total, path)
    return None


def _copy_object(url: str, partial: Partial, artifact: Artifact, progress) -> Absent | None:
    """Stream an object of a bucket mirror into ``partial`` (verified like any download)."""
    from data.location import open_file

    try:
        stream = open_file(url)
    except FileNotFoundError:
        return Absent(f"no such object {url}")
    done = 0
    partial.discard()
    with stream, partial.open(append=False) as out:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            out.write(chunk)
            done += len(chunk)
            progress(done, None)
    progress(done, done)
    log.info("%s: copied %d bytes from %s", artifact.file, done, url)
    return None


def _download(where: Web, partial: Partial, artifact, settings, session, progress) -> Absent | None:
    """Stream the source into ``partial``, resuming and retrying transient failures."""
    attempt = restarts = 0
    whole = False  # once a range was refused, this source gets whole-file requests
    while True:
        try:
            outcome = _download_once(where, partial, artifact, settings, session, progress,
                                     ranged=not whole)
        except (requests.ConnectionError, requests.Timeout) as error:
            outcome = Retry(f"connection to {origin(where.url)} failed: {http.short(error)}")
        if outcome is None or isinstance(outcome, Absent):
            return outcome
        if isinstance(outcome, Restart):
            whole = whole or outcome.whole
            restarts += 1
            log.warning("%s: %s%s", artifact.file, outcome.reason,
                        "" if outcome.whole else "; starting over")
            if restarts > MAX_RESTARTS:
                raise FetchError(f"{where.label} kept changing while downloading: {outcome.reason}")
            continue
        attempt += 1
        if attempt >= settings.attempts:
            raise FetchError(f"gave up after {settings.attempts} attempts: {outcome.reason}")
        delay = outcome.after
        if delay is None:
            delay = min(settings.max_backoff, settings.backoff * 2 ** (attempt - 1))
            delay *= random.uniform(0.5, 1.5)
        delay = min(delay, max(settings.max_backoff, 0.0))
        log.warning("%s: %s; retry %d/%d in %.1fs", artifact.file, outcome.reason, attempt,
                    settings.attempts - 1, delay)
        time.sleep(delay)


def _download_once(where: Web, partial: Partial, artifact, settings, session, progress,
                   ranged: bool = True) -> Retry | Restart | Absent | None:
    have = partial.size()
    saved = partial.validators() if have else None
    if have and (saved is None or saved.get("key") != where.key):
        # Bytes from another source, or of unknown origin: they cannot be continued.
        log.info("%s: discarding a partial file from elsewhere", artifact.file)
        partial.discard()
        have, saved = 0, None
    if have and saved.get("total") == have:
        return None  # killed after the last byte, before verification
    headers = {}
    if have and ranged:
        headers["Range"] = f"bytes={have}-"
        validator = _if_range(saved)
        if validator:
            headers["If-Range"] = validator
    response = where.open(session, settings, headers)
    with response:
        status = response.status_code
        if status == 416 and have and ranged:
            return Restart("the server cannot continue the partial file (HTTP 416); asking "
                           "for the whole file, keeping the bytes it repeats", whole=True)
        if status in http.RETRY_STATUSES:
            return Retry(f"HTTP {status} from {origin(response.url)}", http.retry_after(response))
        if status in (404, 410) and where.mirror:
            return Absent(f"HTTP {status}: the mirror does not hold it")
        if status >= 400:
            raise FetchError(where.explain(response))
        resumed = status == 206
        if resumed and not (have and ranged):
            raise FetchError(f"{origin(response.url)} sent part of the file unasked (HTTP 206)")
        if resumed:
            changed = _changed(saved, response, have)
            if changed:
                partial.discard()
                return Restart(f"the file on the server changed ({changed})")
        if where.checks_served_name:
            _check_served_name(response, artifact)
        if http.says_html(response, artifact.file):
            # Decided by the first bytes below: some servers label every file text/html.
            log.info("%s: %s says text/html", artifact.file, origin(response.url))
        body = http.chunks(response)
        try:
            first = next(body, b"")
        except NETWORK_READ_ERRORS as error:
            return Retry(f"connection dropped before the first byte: {http.short(error)}")
        # Nothing on disk changes before the answer is known to be the file (or its rest).
        if not resumed and unexpected_html(first, artifact.file):
            raise _html_error(response, artifact, first, partial if have else None)
        total = _expected_total(response, have if resumed else 0, artifact)
        if have and not resumed:
            _check_whole_file(response, artifact, partial, have, total, shorter_ok=not ranged)
            log.info("%s: %s; kept where it repeats the partial file", artifact.file,
                     f"the server sent the whole file instead of bytes {have}-" if ranged
                     else "the whole file")
        if not have:
            partial.discard()
        validators = None if resumed else {
            "key": where.key,
            "etag": response.headers.get("ETag"),
            "last_modified": response.headers.get("Last-Modified"),
            "total": total,
        }
        return _stream(response, itertools.chain([first], body), partial, have if resumed else 0,
                       0 if resumed else have, total, artifact, progress, validators,
                       shorter_ok=not ranged)


def _if_range(saved: dict) -> str | None:
    etag = saved.get("etag")
    if etag and not etag.startswith("W/"):
        return etag
    return saved.get("last_modified")


def _changed(saved: dict, response, have: int) -> str | None:
    """Why the 206 response is not the rest of the saved partial file, or None."""
    content_range = response.headers.get("Content-Range", "")
    match = re.fullmatch(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*", content_range)
    if not match:
        return f"unusable Content-Range {content_range!r}"
    if int(match.group(1)) != have:
        return f"the range starts at {match.group(1)}, not {have}"
    total = None if match.group(3) == "*" else int(match.group(3))
    if total is not None and saved.get("total") is not None and total != saved["total"]:
        return f"size {saved['total']} became {total}"
    for header, key in (("ETag", "etag"), ("Last-Modified", "last_modified")):
        now = response.headers.get(header)
        if now and saved.get(key) and now != saved[key]:
            return f"{header} {saved[key]} became {now}"
    return None


def _check_served_name(response, artifact: Artifact) -> None:
    """With ``content_disposition``, the server must announce the declared file name."""
    if not artifact.content_disposition:
        return
    served = http.served_file_name(response.headers.get("Content-Disposition", ""))
    if served is None:
        raise FetchError(
            f"{origin(response.url)} did not name the file it sent (no Content-Disposition); "
            f"the handler expects {artifact.file!r}"
        )
    if served != artifact.file:
        raise FetchError(
            f"{origin(response.url)} serves {served!r}, but the handler declares "
            f"{artifact.file!r}: the link points at another file, or the handler needs "
            "the new name"
        )


def _html_error(response, artifact: Artifact, page: bytes, kept: Partial | None) -> HtmlPageError:
    title = http.page_title(page)
    asked = f" to a request for bytes {kept.size()}-" if kept else ""
    return HtmlPageError(
        f"{origin(response.url)} answered with an HTML page{asked} (HTTP {response.status_code}"
        + (f", title {title!r}" if title else "")
        + f") instead of {artifact.file}: a login, quota, moved-file or error page. Open the "
        "URL in a browser to see it; if the file moved, update the handler's URL"
        + (f". The {kept.size()} bytes already downloaded are kept in {kept.path}, to be "
           "continued when this source is tried again" if kept else "")
    )


def _check_whole_file(response, artifact: Artifact, partial: Partial, have: int,
                      total: int | None, shorter_ok: bool) -> None:
    """A non-206 answer to a Range request that cannot be the artifact (not its declared
    size, or shorter than the partial file already is, unless the server said the range
    lies past the end: ``shorter_ok``) fails this source; the partial file is kept."""
    if total is None:
        return
    if artifact.size is not None and total != artifact.size:
        wrong = f"not the file's {artifact.size}"
    elif total < have and not shorter_ok:
        wrong = _FEWER
    else:
        return
    raise _not_the_file(response, artifact, partial, have, total, wrong)


_FEWER = "fewer than already downloaded"


def _not_the_file(response, artifact, partial: Partial, have: int, total: int,
                  wrong: str) -> FetchError:
    return FetchError(
        f"{origin(response.url)} answered a request for bytes {have}- of {artifact.file} "
        f"with {total} bytes (HTTP {response.status_code}, "
        f"{response.headers.get('Content-Type', 'no Content-Type')}), {wrong}: not the "
        f"artifact. The {have} bytes already downloaded are kept in {partial.path}, to be "
        "continued when this source is tried again (if the file on the server really "
        "changed, delete that partial file and run again)"
    )


def _expected_total(response, have: int, artifact: Artifact) -> int | None:
    length = response.headers.get("Content-Length")
    if length and length.isdigit():
        return int(length) + have
    return artifact.size


def _stream(response, body, partial: Partial, start: int, keep: int, total, artifact, progress,
            validators: dict | None, shorter_ok: bool = False) -> Retry | Restart | None:
    """Write ``body``, which begins at byte ``start`` of the file, into ``partial``.

    ``keep`` > 0: a Range request was answered with the whole file. The partial's first
    ``keep`` bytes are compared, not rewritten: they stay where the body repeats them and
    the partial is cut where it first differs (a changed file). Failing to read is the
    network's (retried); failing to write is the disk's (raised at once, naming the file).
    ``validators`` (of a response that is not a 206) are saved when its first byte is.
    ``shorter_ok``: a whole file that is a prefix of the partial is the file (the server
    said the partial runs past its end); the partial is cut to it.
    """

    def writer():
        if validators is not None:
            with disk_errors.writing(partial.meta_path):
                partial.save_validators(validators)
        return stack.enter_context(partial.open(append=done > 0))

    done = start
    started = time.monotonic()
    last_report = 0.0
    with disk_errors.writing(partial.path), contextlib.ExitStack() as stack:
        old = stack.enter_context(open(partial.path, "rb")) if keep else None
        out = None if keep else writer()
        bar = stack.enter_context(tqdm(total=total, initial=done, unit="B", unit_scale=True,
                                       unit_divisor=1024, desc=artifact.file, leave=False,
                                       disable=None))
        while True:
            try:
                chunk = next(body, None)
            except NETWORK_READ_ERRORS as error:
                return Retry(f"connection dropped after {done} bytes: {http.short(error)}")
            if chunk is None:
                break
            if done < keep:
                same = _common_prefix(old.read(min(len(chunk), keep - done)), chunk)
                done += same
                bar.update(same)
                chunk = chunk[same:]
                if chunk and done < keep:
                    log.info("%s: the file sent differs from the partial file at byte %d; "
                             "rewritten from there", artifact.file, done)
                    os.truncate(partial.path, done)
                    keep = done
            if chunk:
                if out is None:
                    out = writer()
                out.write(chunk)
                done += len(chunk)
                bar.update(len(chunk))
            now = time.monotonic()
            if now - last_report > 1.0:
                progress(done, total)
                last_report = now
        if done < keep:  # the body ended inside what the partial file already holds
            if total is not None and done < total:
                return Retry(f"connection closed after {done} of {total} bytes")
            if not shorter_ok:
                raise _not_the_file(response, artifact, partial, keep, done, _FEWER)
            log.info("%s: the partial file ran past the end of the file; cut to its %d "
                     "bytes", artifact.file, done)
            os.truncate(partial.path, done)
    if total is not None and done < total:
        return Retry(f"connection closed after {done} of {total} bytes")
    if total is not None and done > total:
        partial.discard()
        return Restart(f"received {done} bytes, {total} were announced")
    progress(done, total)
    seconds = max(time.monotonic() - started, 1e-6)
    log.info("%s: %d bytes in %.1fs (%.1f MB/s)", artifact.file, done - start, seconds,
             (done - start) / seconds / 1e6)
    return None


def _common_prefix(a: bytes, b: bytes) -> int:
    """How many leading bytes ``a`` and ``b`` share."""
    if b.startswith(a):
        return len(a)
    low, high = 0, min(len(a), len(b))
    while low < high:  # a[:low] == b[:low] holds; find the first difference
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


# --- verification (the rules are the artifact store's) ---------------------------


def _expected_checksum(artifact, source, target, settings):
    return ArtifactStore.applicable(target, settings.checksum_for(artifact, source),
                                    artifact.checksum, settings.refresh)


def _verify_into_place(artifact, source, target: Path, settings, partial: Partial, where) -> None:
    digests = partial.digests()
    size = partial.size()
    with open(partial.path, "rb") as stream:
        html = unexpected_html(stream.read(1024), artifact.file)
    expected = _expected_checksum(artifact, source, target, settings)
    if expected is not None and digests[expected.algorithm] != expected.digest:
        _reject(partial.path, artifact, target, expected, digests, size, where, html)
    if html and expected is None:  # a matching checksum outranks any sniffing
        aside = ArtifactStore.reject(partial.path, target, digests["sha256"])
        raise HtmlPageError(
            f"{where} gave an HTML page ({size} bytes) instead of {artifact.file}; it was "
            f"kept at {aside}. Open the URL in a browser to see what it says"
        )
    if expected is None:
        previous = recorded_sha256(target)
        if previous and previous != digests["sha256"]:
            log.warning("%s changed upstream (sha256 %s, was %s); accepted because refresh "
                        "is on", artifact.file, digests["sha256"], previous)
        log.warning(
            "%s has no published checksum; recorded sha256 %s in %s. Pin it in the "
            'handler: sha256="%s"', artifact.file, digests["sha256"], record_path(target),
            digests["sha256"],
        )
    with disk_errors.writing(target):  # a copy across file systems names no file
        ArtifactStore.holding(target).accept(target, partial.path, digests["sha256"], expected)
    partial.meta_path.unlink(missing_ok=True)


def _reject(path, artifact, target, expected, digests, size, where, html) -> None:
    actual = digests[expected.algorithm]
    aside = ArtifactStore.reject(path, target, actual)
    if expected.published:
        fix = ("If the provider changed the file on purpose, update the handler's "
               f'checksum: {expected.algorithm}="{actual}".')
    else:
        fix = ("It has no published checksum and differs from the first fetch; if the "
               "change is expected, rerun with [fetch] refresh = true.")
    raise ChecksumError(
        f"{artifact.file} from {where} failed verification: {expected.algorithm} is {actual}, "
        f"expected {expected.digest} from {expected.origin} ({size} bytes"
        + (f", expected {artifact.size}" if artifact.size else "")
        + ")."
        + (" It is an HTML page, not the artifact (a login, quota or error page)." if html else "")
        + f" The file was kept at {aside} for inspection. {fix}"
    )


def _adopt(artifact: Artifact, source: str, target: Path, settings: FetchSettings) -> None:
    """Verify a file found at ``target`` (put there by hand) and record it, or move it aside."""
    algorithms = _algorithms(artifact, source, settings)
    digests = {name: file_digest(target, name) for name in algorithms}
    expected = _expected_checksum(artifact, source, target, settings)
    where = f"the file found at {target}"
    if expected is not None and digests[expected.algorithm] != expected.digest:
        with open(target, "rb") as stream:
            html = unexpected_html(stream.read(1024), artifact.file)
        _reject(target, artifact, target, expected, digests, target.stat().st_size, where, html)
    if expected is None:
        log.warning(
            "%s has no published checksum; recorded sha256 %s of %s. Pin it in the "
            'handler: sha256="%s"', artifact.file, digests["sha256"], where, digests["sha256"],
        )
    ArtifactStore.holding(target).accept(target, target, digests["sha256"], expected, move=False)
    log.info("%s: verified %s", artifact.file, where)
