"""Getting one artifact onto disk, verified: the only code that touches the network.

Sources are tried in order: configured mirrors (local folders or URL bases, laid out as
``<mirror>/<source>/<file>``), then the provider (a URL, a Google Drive file, a Kaggle
dataset) unless offline. A download goes to a hidden partial file that survives a
killed run and is resumed with a Range request; the validators of the response it came
from (ETag, Last-Modified, size) are kept beside it, so a file that changed on the
server is started over instead of spliced. The bytes are hashed as they arrive, and
the file gets its final name only after its checksum matched.

What happens to the verified bytes (stored once by sha256, linked under their name, a
record beside them) and which checksum they must match are the artifact store's rules
(``data.artifacts``); this module only gets the bytes and hashes them on the way.
"""

from __future__ import annotations

import email.message
import hashlib
import json
import logging
import os
import queue
import random
import re
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import requests
import urllib3
from tqdm import tqdm

from data.artifacts import ArtifactStore, partial_path, record_path, recorded_sha256
from handlers._spec import Artifact

log = logging.getLogger(__name__)

CHUNK = 1 << 20
RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
MAX_REDIRECTS = 10
MAX_RESTARTS = 3
NETWORK_SCHEMES = ("http", "https")
USER_AGENT = "datasets-storage/0.1 (research dataset builder)"
ProgressFn = Callable[[int, int | None], None]


class FetchError(RuntimeError):
    """An artifact could not be fetched or verified; the message says what to do."""


class ChecksumError(FetchError):
    """The bytes are not the expected ones; they were moved aside for inspection."""


class ManualDownloadError(FetchError):
    """A file only a human can fetch is not there yet."""


class HtmlPageError(FetchError):
    """A web page was served where the artifact was expected."""


class NoNetworkError(FetchError):
    """The host cannot be looked up or reached at all: not retried."""


class _NotInMirror(FetchError):
    """A mirror that does not hold the artifact (normal: mirrors are partial)."""


@dataclass(frozen=True)
class FetchSettings:
    mirrors: tuple[str, ...] = ()
    offline: bool = False
    attempts: int = 5
    timeout: float = 60.0
    backoff: float = 1.0
    max_backoff: float = 60.0
    # "<source>/<file>" -> {"sha256": ...}: checksums that replace the handler's, for
    # fixture builds and for mirrors that deliberately re-pack a provider's file.
    checksum_overrides: tuple[tuple[str, tuple[str, str]], ...] = ()
    # Accept a checksum-less artifact that differs from the sha256 recorded earlier.
    refresh: bool = False
    gdrive_url: str = "https://drive.google.com"
    kaggle_api: str = "https://www.kaggle.com/api/v1"

    def checksum_for(self, artifact: Artifact, source: str) -> tuple[str, str] | None:
        for name, checksum in self.checksum_overrides:
            if name == f"{source}/{artifact.file}":
                return checksum
        return artifact.checksum


def file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_verified(target: Path) -> bool:
    """True when ``target`` exists and was accepted by :func:`fetch` (cheap: two stats)."""
    return Path(target).exists() and record_path(target).exists()


def download_host(artifact: Artifact, settings: FetchSettings) -> str | None:
    """The host the first network attempt for ``artifact`` goes to (for politeness limits)."""
    for location in _locations(artifact, "-", settings):
        if location.kind != "dir":
            return (urllib.parse.urlsplit(location.url).hostname or "").lower() or None
    return None


def fetch(
    artifact: Artifact,
    source: str,
    target: Path,
    settings: FetchSettings,
    progress: ProgressFn = lambda done, total: None,
    page: str | None = None,
) -> Path:
    """Put ``artifact`` at ``target``, verified, or raise FetchError saying why.

    A file already at ``target`` without a record (placed by hand, or fetched by an
    older version) is verified where it is; with a record it is used as is. ``page``
    is where a human gets the file (the dataset's homepage), for error messages.
    """
    target = Path(target)
    if target.exists():
        if not record_path(target).exists():
            _adopt(artifact, source, target, settings)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    failed: list[tuple[str, FetchError]] = []  # (where, why), in the order tried
    with requests.Session() as session:
        session.headers.update({"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
        for location in _locations(artifact, source, settings):
            partial = _Partial(target, _algorithms(artifact, source, settings))
            try:
                _fetch_from(location, partial, artifact, settings, session, progress)
                _verify_into_place(artifact, source, target, settings, partial, location.label)
                return target
            except FetchError as error:
                failed.append((location.label, error))
                # A mirror lacking a file is normal; anything else deserves a warning.
                level = logging.INFO if isinstance(error, _NotInMirror) else logging.WARNING
                log.log(level, "fetching %s from %s failed: %s", artifact.file, location.label,
                        error)
    mismatches = [str(error) for _, error in failed if isinstance(error, ChecksumError)]
    others = [f"{where}: {error}" for where, error in failed
              if not isinstance(error, ChecksumError)]
    if mismatches:
        raise ChecksumError("\n".join(mismatches)
                            + ("\nOther sources failed:\n  " + "\n  ".join(others) if others else ""))
    if artifact.url is None:
        raise ManualDownloadError(
            f"{artifact.file} must be downloaded by hand: {artifact.manual}"
            + (f" (dataset page: {page})" if page else "")
            + f"\nPut it at exactly {target.resolve()} and rerun; it is verified like any "
            "other artifact." + (f"\nMirrors tried: {others}" if others else "")
        )
    hand = (f"\nOr download it yourself from {artifact.url} and put it at exactly "
            f"{target.resolve()}; it is verified like any other artifact.")
    if not failed or (settings.offline and all(isinstance(e, _NotInMirror) for _, e in failed)):
        raise FetchError(
            f"{artifact.file}: offline and no mirror holds it; put it under a mirror "
            f"as <mirror>/{source}/{artifact.file} or set [fetch] offline=false" + hand
        )
    # One kind of failure everywhere (an HTML page, missing Kaggle credentials) keeps its type.
    kinds = {type(error) for _, error in failed}
    kind = kinds.pop() if len(kinds) == 1 else FetchError
    raise kind(f"could not fetch {artifact.file}:\n  " + "\n  ".join(others) + hand)


# --- where an artifact can come from ---------------------------------------------


@dataclass(frozen=True)
class _Location:
    kind: str  # "dir" | "url" | "gdrive" | "kaggle"
    url: str  # a folder path for "dir"
    key: str  # identifies the resource a partial file came from
    mirror: bool = False

    @property
    def label(self) -> str:
        return self.url


def _locations(artifact: Artifact, source: str, settings: FetchSettings) -> list[_Location]:
    locations = []
    for mirror in settings.mirrors:
        if "://" in mirror:
            url = f"{mirror.rstrip('/')}/{source}/{urllib.parse.quote(artifact.file)}"
            kind = "dir" if urllib.parse.urlsplit(url).scheme == "file" else "url"
            if kind == "dir":
                url = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
            locations.append(_Location(kind, url, url, mirror=True))
        else:
            path = str(Path(mirror).expanduser() / source / artifact.file)
            locations.append(_Location("dir", path, path, mirror=True))
    if settings.offline:
        return locations
    if artifact.gdrive_id:
        from tasks import gdrive

        url = gdrive.download_url(settings.gdrive_url, artifact.gdrive_id)
        locations.append(_Location("gdrive", url, f"gdrive:{artifact.gdrive_id}"))
    elif artifact.kaggle:
        from tasks import kaggle

        url = kaggle.download_url(settings.kaggle_api, *artifact.kaggle_ref)
        locations.append(_Location("kaggle", url, f"kaggle:{artifact.kaggle}"))
    elif artifact.url:
        scheme = urllib.parse.urlsplit(artifact.url).scheme
        if scheme == "file":
            path = urllib.parse.unquote(urllib.parse.urlsplit(artifact.url).path)
            locations.append(_Location("dir", path, path))
        else:
            locations.append(_Location("url", artifact.url, artifact.url))
    return locations


def _algorithms(artifact: Artifact, source: str, settings: FetchSettings) -> tuple[str, ...]:
    checksum = settings.checksum_for(artifact, source)
    if checksum is None or checksum[0] == "sha256":
        return ("sha256",)
    return ("sha256", checksum[0])


def _fetch_from(location, partial, artifact, settings, session, progress) -> None:
    if location.kind == "dir":
        _copy(Path(location.url), partial, artifact, progress)
    else:
        scheme = urllib.parse.urlsplit(location.url).scheme
        if scheme not in NETWORK_SCHEMES:
            raise FetchError(f"unsupported URL scheme {scheme!r}; use http, https or file")
        _download(location, partial, artifact, settings, session, progress)


def _copy(path: Path, partial: _Partial, artifact: Artifact, progress) -> None:
    if not path.is_file():
        raise _NotInMirror(f"no such file {path}")
    total = path.stat().st_size
    partial.discard()
    with open(path, "rb") as source, partial.open(append=False) as out:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            out.write(chunk)
    progress(total, total)
    log.info("%s: copied %d bytes from %s", artifact.file, total, path)


# --- the partial file ---------------------------------------------------------------


class _Partial:
    """The hidden partial file of one artifact, hashed as it grows, with the
    validators of the response its bytes came from stored beside it."""

    def __init__(self, target: Path, algorithms: tuple[str, ...]):
        self.path = partial_path(target)
        self.meta_path = self.path.with_name(self.path.name + ".json")
        self.algorithms = algorithms
        self._reset_hash()

    def _reset_hash(self) -> None:
        self._hashers = {name: hashlib.new(name) for name in self.algorithms}
        self._hashed = 0

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def validators(self) -> dict | None:
        try:
            return json.loads(self.meta_path.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def save_validators(self, validators: dict) -> None:
        temporary = self.meta_path.with_name(self.meta_path.name + ".tmp")
        temporary.write_text(json.dumps(validators))
        os.replace(temporary, self.meta_path)

    def discard(self) -> None:
        for path in (self.path, self.meta_path):
            path.unlink(missing_ok=True)
        self._reset_hash()

    def open(self, append: bool) -> _HashingWriter:
        """A writer continuing the file, or truncating it (its validators are kept)."""
        if append:
            self._catch_up()
        else:
            self._reset_hash()
        return _HashingWriter(self, open(self.path, "ab" if append else "wb"))

    def digests(self) -> dict[str, str]:
        self._catch_up()
        return {name: hasher.hexdigest() for name, hasher in self._hashers.items()}

    def _catch_up(self) -> None:
        """Hash what an earlier run wrote, so a resumed file is verified whole."""
        if self._hashed == self.size():
            return
        self._reset_hash()
        if not self.path.exists():
            return
        with open(self.path, "rb") as stream:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                for hasher in self._hashers.values():
                    hasher.update(chunk)
                self._hashed += len(chunk)


class _HashingWriter:
    """Writes chunks to the partial file on this thread and hashes them on others,
    one thread per algorithm.

    Hashing runs at about the speed of a fast link, so doing both in turn would halve
    the download rate; hashlib releases the GIL, so writing and each digest overlap
    (md5 and sha256 of one file no longer add up). The queues are bounded: memory
    stays flat whatever the file size.
    """

    def __init__(self, partial: _Partial, out):
        self._partial, self._out = partial, out
        self._queues: list[queue.Queue] = []
        self._threads = []
        for name, hasher in partial._hashers.items():
            chunks: queue.Queue = queue.Queue(maxsize=16)
            thread = threading.Thread(target=self._hash, args=(hasher, chunks),
                                      name=f"fetch-{name}", daemon=True)
            thread.start()
            self._queues.append(chunks)
            self._threads.append(thread)

    @staticmethod
    def _hash(hasher, chunks: queue.Queue) -> None:
        while (chunk := chunks.get()) is not None:
            hasher.update(chunk)

    def write(self, chunk: bytes) -> None:
        self._out.write(chunk)
        for chunks in self._queues:
            chunks.put(chunk)
        self._partial._hashed += len(chunk)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        try:
            self._out.close()
        finally:
            for chunks in self._queues:
                chunks.put(None)
            for thread in self._threads:
                thread.join()


# --- HTTP ---------------------------------------------------------------------------


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class _Restart(Exception):
    """The partial file cannot be continued; start over at once (not a failed attempt)."""


def open_url(session, url: str, settings: FetchSettings, headers=None, auth=None):
    """GET ``url`` as a stream, following redirects to http(s) only.

    Credentials (``auth``) go to the first host only, never to a host a redirect names.
    Connection failures and timeouts raise a retryable error.
    """
    headers = dict(headers or {})
    first_host = urllib.parse.urlsplit(url).netloc
    for _ in range(MAX_REDIRECTS + 1):
        scheme = urllib.parse.urlsplit(url).scheme
        if scheme not in NETWORK_SCHEMES:
            raise FetchError(f"unsupported URL scheme {scheme!r} in {url}; use http or https")
        same_host = urllib.parse.urlsplit(url).netloc == first_host
        try:
            response = session.get(url, headers=headers, auth=auth if same_host else None,
                                   stream=True, timeout=settings.timeout, allow_redirects=False)
        except (requests.ConnectionError, requests.Timeout) as error:
            if _no_network(error):  # retrying cannot help: say so at once
                raise NoNetworkError(
                    f"no network: {_origin(url)} cannot be reached ({_no_network(error)}). "
                    "Ways out: put the artifacts in a mirror folder or URL ([fetch] mirrors), "
                    "file hand-downloaded copies into place with `python -m tasks doctor "
                    "--drop-folder DIR`, or set [fetch] offline = true to use only files already "
                    "fetched"
                ) from None
            raise _Retryable(f"connection to {_origin(url)} failed: {_short(error)}") from error
        except requests.RequestException as error:
            raise FetchError(f"request to {_origin(url)} failed: {_short(error)}") from error
        if not response.is_redirect:
            return response
        location = response.headers["Location"]
        response.close()
        following = urllib.parse.urljoin(url, location)
        next_scheme = urllib.parse.urlsplit(following).scheme
        if next_scheme not in NETWORK_SCHEMES:
            raise FetchError(
                f"{url} redirects to a {next_scheme!r} URL ({following[:200]}); only http and "
                "https redirects are followed"
            )
        url = following
    raise FetchError(f"more than {MAX_REDIRECTS} redirects, the last to {url}")


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _short(error: Exception, limit: int = 300) -> str:
    """The error's text, cut at a word boundary when long."""
    text = str(error)
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " ..."


_NO_NETWORK_SIGNS = {
    "Name or service not known": "the host name cannot be looked up",
    "Temporary failure in name resolution": "the host name cannot be looked up",
    "nodename nor servname provided": "the host name cannot be looked up",
    "No address associated with hostname": "the host name cannot be looked up",
    "Network is unreachable": "the network is unreachable",
}


def _no_network(error: Exception) -> str:
    """Why the machine has no way to the host (a failed name lookup, no route), or ""."""
    text = str(error)
    return next((why for sign, why in _NO_NETWORK_SIGNS.items() if sign in text), "")


def _download(location, partial: _Partial, artifact, settings, session, progress) -> None:
    """Stream the location into ``partial``, resuming and retrying transient failures."""
    attempt = restarts = 0
    while True:
        try:
            _download_once(location, partial, artifact, settings, session, progress)
            return
        except _Restart as reason:
            restarts += 1
            log.warning("%s: %s; starting over", artifact.file, reason)
            if restarts > MAX_RESTARTS:
                raise FetchError(f"{location.label} kept changing while downloading: {reason}") from None
        except _Retryable as error:
            attempt += 1
            if attempt >= settings.attempts:
                raise FetchError(f"gave up after {settings.attempts} attempts: {error}") from None
            delay = error.retry_after
            if delay is None:
                delay = min(settings.max_backoff, settings.backoff * 2 ** (attempt - 1))
                delay *= random.uniform(0.5, 1.5)
            delay = min(delay, max(settings.max_backoff, 0.0))
            log.warning("%s: %s; retry %d/%d in %.1fs", artifact.file, error, attempt,
                        settings.attempts - 1, delay)
            time.sleep(delay)


def _open(location, session, settings, headers):
    if location.kind == "gdrive":
        from tasks import gdrive

        return gdrive.open_file(session, location.url, settings, headers, open_url)
    if location.kind == "kaggle":
        from tasks import kaggle

        return kaggle.open_file(session, location.url, settings, headers, open_url)
    return open_url(session, location.url, settings, headers)


def _download_once(location, partial: _Partial, artifact, settings, session, progress) -> None:
    have = partial.size()
    saved = partial.validators() if have else None
    if have and (saved is None or saved.get("key") != location.key):
        # Bytes from another source, or of unknown origin: they cannot be continued.
        log.info("%s: discarding a partial file from elsewhere", artifact.file)
        partial.discard()
        have, saved = 0, None
    if have and saved.get("total") == have:
        return  # killed after the last byte, before verification
    headers = {}
    if have:
        headers["Range"] = f"bytes={have}-"
        validator = _if_range(saved)
        if validator:
            headers["If-Range"] = validator
    response = _open(location, session, settings, headers)
    with response:
        status = response.status_code
        if status == 416 and have:
            partial.discard()
            raise _Restart("the server cannot continue the partial file (HTTP 416)")
        if status in RETRY_STATUSES:
            raise _Retryable(f"HTTP {status} from {_origin(response.url)}", _retry_after(response))
        if status in (404, 410) and location.mirror:
            raise _NotInMirror(f"HTTP {status}: the mirror does not hold it")
        if status >= 400:
            raise FetchError(_explain_status(location, response))
        resumed = status == 206
        if resumed and not have:
            raise FetchError(f"{_origin(response.url)} sent part of the file unasked (HTTP 206)")
        if resumed:
            changed = _changed(saved, response, have)
            if changed:
                partial.discard()
                raise _Restart(f"the file on the server changed ({changed})")
        elif have:
            log.info("%s: the server sent the whole file instead of the rest; starting over",
                     artifact.file)
        if location.kind != "url" or location.key == artifact.url:
            _check_served_name(response, artifact)
        if _html_content_type(response, artifact):
            # Decided by the first bytes below: some servers label every file text/html.
            log.info("%s: %s says text/html", artifact.file, _origin(response.url))
        total = _expected_total(response, have if resumed else 0, artifact)
        if not resumed:
            partial.discard()
            partial.save_validators({
                "key": location.key,
                "etag": response.headers.get("ETag"),
                "last_modified": response.headers.get("Last-Modified"),
                "total": total,
            })
        _stream(response, partial, resumed, total, artifact, progress)


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


def _retry_after(response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def _explain_status(location, response) -> str:
    if location.kind == "gdrive":
        from tasks import gdrive

        return gdrive.explain_status(location.url, response)
    if location.kind == "kaggle":
        from tasks import kaggle

        return kaggle.explain_status(location.url, response)
    return f"HTTP {response.status_code} {response.reason} from {_origin(response.url)}"


def _check_served_name(response, artifact: Artifact) -> None:
    """With ``content_disposition``, the server must announce the declared file name."""
    if not artifact.content_disposition:
        return
    served = served_file_name(response.headers.get("Content-Disposition", ""))
    if served is None:
        raise FetchError(
            f"{_origin(response.url)} did not name the file it sent (no Content-Disposition); "
            f"the handler expects {artifact.file!r}"
        )
    if served != artifact.file:
        raise FetchError(
            f"{_origin(response.url)} serves {served!r}, but the handler declares "
            f"{artifact.file!r}: the link points at another file, or the handler needs "
            "the new name"
        )


def served_file_name(header: str) -> str | None:
    """The file name in a Content-Disposition header (RFC 6266, with RFC 5987 encoding)."""
    if not header:
        return None
    message = email.message.Message()
    message["Content-Disposition"] = header
    name = message.get_filename()
    return os.path.basename(name.replace("\\", "/")) if name else None


# --- HTML where an artifact should be -----------------------------------------------

_HTML_START = re.compile(rb"\s*(<!doctype\s+html|<html|<head|<body|<!--|<meta|<title|<script)",
                         re.IGNORECASE)


def looks_like_html(first_bytes: bytes) -> bool:
    """True when a file starts like a web page (after an optional byte-order mark)."""
    return bool(_HTML_START.match(first_bytes[:1024].removeprefix(b"\xef\xbb\xbf")))


def _expects_html(artifact: Artifact) -> bool:
    return artifact.file.lower().endswith((".html", ".htm", ".xml", ".xhtml"))


def _html_content_type(response, artifact: Artifact) -> bool:
    if _expects_html(artifact):
        return False
    return "text/html" in response.headers.get("Content-Type", "").lower()


def page_title(page: bytes) -> str:
    match = re.search(rb"<title[^>]*>(.*?)</title>", page, re.IGNORECASE | re.DOTALL)
    if not match:
        return ""
    return " ".join(match.group(1).decode("utf-8", "replace").split())[:160]


def _html_error(response, artifact: Artifact, page: bytes) -> HtmlPageError:
    title = page_title(page)
    return HtmlPageError(
        f"{_origin(response.url)} served an HTML page (HTTP {response.status_code}"
        + (f", title {title!r}" if title else "")
        + f") instead of {artifact.file}: a login, quota, moved-file or error page. Open the "
        "URL in a browser to see it; if the file moved, update the handler's URL"
    )


# --- streaming ----------------------------------------------------------------------


def _expected_total(response, have: int, artifact: Artifact) -> int | None:
    length = response.headers.get("Content-Length")
    if length and length.isdigit():
        return int(length) + have
    return artifact.size


def _chunks(response):
    """The body as sent (no content decoding: a checksum is of the served bytes), in
    whatever pieces arrive, so a dropped connection loses nothing already received."""
    while True:
        chunk = response.raw.read1(CHUNK, decode_content=False)
        if not chunk:
            return
        yield chunk


def _stream(response, partial: _Partial, append: bool, total, artifact, progress) -> None:
    have = partial.size() if append else 0
    done = have
    started = time.monotonic()
    last_report = 0.0
    first = not append
    with (
        partial.open(append) as out,
        tqdm(total=total, initial=done, unit="B", unit_scale=True, unit_divisor=1024,
             desc=artifact.file, leave=False, disable=None) as bar,
    ):
        try:
            for chunk in _chunks(response):
                if first:
                    first = False
                    if not _expects_html(artifact) and looks_like_html(chunk):
                        raise _html_error(response, artifact, chunk)
                out.write(chunk)
                done += len(chunk)
                bar.update(len(chunk))
                now = time.monotonic()
                if now - last_report > 1.0:
                    progress(done, total)
                    last_report = now
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as error:
            raise _Retryable(f"connection dropped after {done} bytes: {_short(error)}") from error
    if total is not None and done < total:
        raise _Retryable(f"connection closed after {done} of {total} bytes")
    if total is not None and done > total:
        partial.discard()
        raise _Restart(f"received {done} bytes, {total} were announced")
    progress(done, total)
    seconds = max(time.monotonic() - started, 1e-6)
    log.info("%s: %d bytes in %.1fs (%.1f MB/s)", artifact.file, done - have, seconds,
             (done - have) / seconds / 1e6)


# --- verification (the rules are the artifact store's) ---------------------------


def _expected_checksum(artifact, source, target, settings):
    return ArtifactStore.applicable(target, settings.checksum_for(artifact, source),
                                    artifact.checksum, settings.refresh)


def _verify_into_place(artifact, source, target: Path, settings, partial: _Partial, where) -> None:
    digests = partial.digests()
    size = partial.size()
    with open(partial.path, "rb") as stream:
        html = not _expects_html(artifact) and looks_like_html(stream.read(1024))
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
            html = not _expects_html(artifact) and looks_like_html(stream.read(1024))
        _reject(target, artifact, target, expected, digests, target.stat().st_size, where, html)
    if expected is None:
        log.warning(
            "%s has no published checksum; recorded sha256 %s of %s. Pin it in the "
            'handler: sha256="%s"', artifact.file, digests["sha256"], where, digests["sha256"],
        )
    ArtifactStore.holding(target).accept(target, target, digests["sha256"], expected, move=False)
    log.info("%s: verified %s", artifact.file, where)
