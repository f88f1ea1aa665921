"""Getting one artifact onto disk, verified: the only code that touches the network.

Sources are tried in order: configured mirrors (local folders or URL bases, laid out as
``<mirror>/<source>/<file>``), then the provider's URL unless offline. A download goes
to a hidden partial file that survives a killed run and is resumed with a Range
request; the result is renamed to its final name only after its checksum matched.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import shutil
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import requests
from tqdm import tqdm

from handlers._spec import Artifact

log = logging.getLogger(__name__)

CHUNK = 1 << 20
RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
ProgressFn = Callable[[int, int | None], None]


class FetchError(RuntimeError):
    """An artifact could not be fetched or verified; the message says what to do."""


class ChecksumError(FetchError):
    pass


class ManualDownloadError(FetchError):
    pass


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


def partial_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.download")


def fetch(
    artifact: Artifact,
    source: str,
    target: Path,
    settings: FetchSettings,
    progress: ProgressFn = lambda done, total: None,
) -> Path:
    """Put ``artifact`` at ``target``, verified, or raise FetchError saying why."""
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    failures = []
    for location in _locations(artifact, source, settings):
        try:
            _fetch_from(location, artifact, target, settings, progress)
        except ChecksumError:
            raise
        except FetchError as error:
            failures.append(f"{location}: {error}")
            log.warning("fetching %s from %s failed: %s", artifact.file, location, error)
            continue
        _verify_into_place(artifact, settings.checksum_for(artifact, source), target, location)
        return target
    if artifact.url is None:
        raise ManualDownloadError(
            f"{artifact.file} must be downloaded by hand: {artifact.manual}\n"
            f"Put it at exactly {target.resolve()} and rerun; it is verified like any "
            "other artifact." + (f"\nMirrors tried: {failures}" if failures else "")
        )
    if not failures:
        raise FetchError(
            f"{artifact.file}: offline and no mirror holds it; put it under a mirror "
            f"as <mirror>/{source}/{artifact.file} or set [fetch] offline=false"
        )
    raise FetchError(f"could not fetch {artifact.file}:\n  " + "\n  ".join(failures))


def _locations(artifact: Artifact, source: str, settings: FetchSettings) -> list[str]:
    locations = []
    for mirror in settings.mirrors:
        if "://" in mirror:
            locations.append(f"{mirror.rstrip('/')}/{source}/{urllib.parse.quote(artifact.file)}")
        else:
            locations.append(str(Path(mirror).expanduser() / source / artifact.file))
    if artifact.url and not settings.offline:
        locations.append(artifact.url)
    return locations


def _fetch_from(location, artifact, target, settings, progress) -> None:
    partial = partial_path(target)
    scheme = urllib.parse.urlsplit(location).scheme
    if scheme in ("http", "https"):
        _download(location, partial, artifact, settings, progress)
    elif scheme == "file" or "://" not in location:
        path = Path(urllib.parse.unquote(urllib.parse.urlsplit(location).path)) if scheme else Path(location)
        if not path.is_file():
            raise FetchError(f"no such file {path}")
        shutil.copyfile(path, partial)
    else:
        raise FetchError(f"unsupported URL scheme {scheme!r}; use http, https or file")


def _download(url, partial: Path, artifact: Artifact, settings: FetchSettings, progress) -> None:
    """Stream ``url`` into ``partial``, resuming and retrying transient failures."""
    last_error = None
    for attempt in range(1, settings.attempts + 1):
        try:
            _download_once(url, partial, artifact, settings, progress)
            return
        except _Retryable as error:
            last_error = error
            if attempt == settings.attempts:
                break
            delay = error.retry_after
            if delay is None:
                delay = min(settings.max_backoff, settings.backoff * 2 ** (attempt - 1))
                delay *= random.uniform(0.5, 1.5)
            log.warning("%s: %s; retry %d/%d in %.1fs", artifact.file, error, attempt,
                        settings.attempts - 1, delay)
            time.sleep(delay)
    raise FetchError(f"gave up after {settings.attempts} attempts: {last_error}")


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def _download_once(url, partial: Path, artifact, settings, progress) -> None:
    have = partial.stat().st_size if partial.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        response = requests.get(url, headers=headers, stream=True, timeout=settings.timeout)
    except (requests.ConnectionError, requests.Timeout) as error:
        raise _Retryable(f"connection failed: {error}") from error
    except requests.RequestException as error:
        raise FetchError(f"request failed: {error}") from error
    with response:
        if response.status_code == 416 and have:
            # The partial already holds everything (or is stale): start over.
            partial.unlink()
            raise _Retryable("range not satisfiable; restarting from zero", retry_after=0)
        if response.status_code in RETRY_STATUSES:
            raise _Retryable(f"HTTP {response.status_code}", _retry_after(response))
        if response.status_code >= 400:
            raise FetchError(f"HTTP {response.status_code} {response.reason} from {response.url}")
        resumed = response.status_code == 206
        if have and not resumed:
            log.info("%s: server ignored the range request; starting over", artifact.file)
            have = 0
        if _looks_like_html(response, artifact):
            raise FetchError(
                f"{response.url} served an HTML page instead of {artifact.file} (a login, "
                "quota or error page?); open it in a browser, or download the file by hand"
            )
        total = _expected_total(response, have, artifact)
        _stream(response, partial, append=resumed, have=have, total=total, name=artifact.file,
                progress=progress)


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


def _looks_like_html(response, artifact: Artifact) -> bool:
    if artifact.file.lower().endswith((".html", ".htm")):
        return False
    return "text/html" in response.headers.get("Content-Type", "").lower()


def _expected_total(response, have: int, artifact: Artifact) -> int | None:
    length = response.headers.get("Content-Length")
    if length and length.isdigit():
        return int(length) + (have if response.status_code == 206 else 0)
    return artifact.size


def _stream(response, partial: Path, append: bool, have: int, total, name, progress) -> None:
    done = have if append else 0
    last_report = 0.0
    with (
        open(partial, "ab" if append else "wb") as out,
        tqdm(total=total, initial=done, unit="B", unit_scale=True, desc=name, leave=False,
             disable=None) as bar,
    ):
        try:
            for chunk in response.iter_content(CHUNK):
                out.write(chunk)
                done += len(chunk)
                bar.update(len(chunk))
                now = time.monotonic()
                if now - last_report > 1.0:
                    progress(done, total)
                    last_report = now
        except (requests.ConnectionError, requests.Timeout,
                requests.exceptions.ChunkedEncodingError) as error:
            raise _Retryable(f"connection dropped after {done} bytes: {error}") from error
    if total is not None and done < total:
        raise _Retryable(f"connection closed after {done} of {total} bytes")
    progress(done, total)


def _verify_into_place(artifact: Artifact, checksum, target: Path, location: str) -> None:
    partial = partial_path(target)
    if checksum is not None:
        algorithm, expected = checksum
        actual = file_digest(partial, algorithm)
        if actual != expected:
            size = partial.stat().st_size
            aside = target.with_name(f"{target.name}.rejected-{actual[:12]}")
            os.replace(partial, aside)
            raise ChecksumError(
                f"{artifact.file} from {location} failed verification: {algorithm} is "
                f"{actual}, expected {expected} ({size} bytes"
                + (f", expected {artifact.size}" if artifact.size else "")
                + f"). The file was kept at {aside} for inspection. If the provider "
                "changed the file on purpose, update the handler's checksum."
            )
    else:
        log.warning("%s has no published checksum; it is used unverified", artifact.file)
    os.replace(partial, target)
