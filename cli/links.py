"""Dead links and upstream drift: is every artifact URL still serving what the handler
declares? Without downloading any artifact.

Each URL gets a HEAD request; a server refusing HEAD (405, 403, 501) gets a GET for
the first 16 bytes instead, and the connection is closed after reading them.
Requests go through the one HTTP client (``fetch.http``): redirects are followed by
hand, so every hop counts against its own host's limit (2 requests at a time per host
by default). Outcomes:

ok            2xx, and the size matches the recorded one when both are known
moved         2xx after a redirect: the handler's URL should become ``final_url``
gone          4xx
server_error  5xx (or a status that makes no sense here)
size_changed  the Content-Length (or Content-Range total) differs from Artifact.size
html          a web page where an archive was expected (a login, error or moved page)
unreachable   connection error, timeout, redirect loop, rate limited (408, 429)
manual        no URL: a human fetches it (not contacted)
not_checked   Google Drive, Kaggle or non-http artifacts (they need their own protocol)
"""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.parse
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass

import requests
import urllib3

from fetch import http
from handlers._spec import Artifact

HEAD_REFUSED = {403, 405, 501}
PROBE_BYTES = 16
FINE = {"ok", "manual", "not_checked"}
STATUSES = ("ok", "moved", "size_changed", "html", "gone", "server_error", "unreachable",
            "manual", "not_checked")


@dataclass(frozen=True)
class LinkCheck:
    dataset: str
    file: str
    url: str | None
    status: str
    detail: str
    final_url: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


class HostLimits:
    """At most ``per_host`` requests in flight to any one host (scheme, name and port)."""

    def __init__(self, per_host: int):
        self.per_host = per_host
        self._lock = threading.Lock()
        self._semaphores: dict[str, threading.Semaphore] = {}

    @contextlib.contextmanager
    def hold(self, url: str):
        parts = urllib.parse.urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc.lower()}"
        with self._lock:
            semaphore = self._semaphores.setdefault(host, threading.Semaphore(self.per_host))
        with semaphore:
            yield


def check_artifacts(items: Iterable[tuple[str, Artifact]], per_host: int = 2,
                    workers: int = 16, timeout: float = 20.0) -> list[LinkCheck]:
    """Check every (dataset, artifact), in the given order; a URL shared by several
    datasets is requested once."""
    items = list(items)
    if per_host < 1 or workers < 1 or timeout <= 0:
        raise ValueError("per_host and workers must be at least 1, timeout positive")
    limits = HostLimits(per_host)
    local = threading.local()
    sessions: list[requests.Session] = []
    sessions_lock = threading.Lock()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = http.session()
            with sessions_lock:
                sessions.append(local.session)
        return local.session

    def probe(artifact: Artifact) -> tuple[str, str, str | None]:
        return check_url(artifact, session(), limits, timeout)

    def key(artifact: Artifact) -> tuple:
        # The outcome depends on the URL, the recorded size and whether HTML is expected.
        return (artifact.url, artifact.size, artifact.file)

    outcomes: dict[tuple, Future] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="check-links") as pool:
        for _, artifact in items:
            if _skip_reason(artifact) is None and key(artifact) not in outcomes:
                outcomes[key(artifact)] = pool.submit(probe, artifact)
        results = []
        for dataset, artifact in items:
            skipped = _skip_reason(artifact)
            # .result() re-raises a worker's unexpected error here: nothing is swallowed.
            found = skipped or outcomes[key(artifact)].result()
            results.append(LinkCheck(dataset, artifact.file, artifact.url, *found))
    for opened in sessions:
        opened.close()
    return results


def _skip_reason(artifact: Artifact) -> tuple[str, str] | None:
    if artifact.url is None:
        return ("manual", f"downloaded by hand: {artifact.manual}")
    if artifact.gdrive_id:
        return ("not_checked", "a Google Drive file: its page answers even when the file is gone")
    if artifact.kaggle:
        return ("not_checked", "a Kaggle download: it needs the API and credentials")
    scheme = urllib.parse.urlsplit(artifact.url).scheme
    if scheme not in http.NETWORK_SCHEMES:
        return ("not_checked", f"a {scheme!r} URL; only http and https are checked")
    return None


def check_url(artifact: Artifact, session: requests.Session, limits: HostLimits,
              timeout: float) -> tuple[str, str, str | None]:
    """(status, detail, final URL when redirected) for one artifact's URL."""
    method = "HEAD"
    hops: list[str] = []

    def send(url: str):
        nonlocal method
        hops.append(url)
        with limits.hold(url):
            response, method = _request(session, method, url, timeout)
            return response

    try:
        landing = http.follow(artifact.url, send)
        if landing.problem is None:
            with landing.response as response:
                start = _first_bytes(response) if method == "GET" else b""
                return _classify(artifact, response, start, landing.url, landing.redirected)
    except (requests.ConnectionError, requests.Timeout) as error:
        where = f" at {hops[-1]}" if len(hops) > 1 else ""
        return ("unreachable", f"{type(error).__name__}{where}: {str(error)[:200]}",
                hops[-1] if len(hops) > 1 else None)
    except requests.RequestException as error:
        return ("unreachable", f"{type(error).__name__}: {str(error)[:200]}", None)
    if landing.problem == "loop":
        return ("unreachable", f"redirect loop at {landing.url}", landing.url)
    if landing.problem == "scheme":
        return ("moved", f"redirects to a non-http URL (not followed): {landing.url}", landing.url)
    return ("unreachable", f"more than {http.MAX_REDIRECTS} redirects", landing.url)


def _request(session, method: str, url: str, timeout: float):
    response = session.request(method, url, allow_redirects=False, stream=True, timeout=timeout)
    if method == "HEAD" and response.status_code in HEAD_REFUSED:
        response.close()
        method = "GET"
        response = session.get(url, headers={"Range": f"bytes=0-{PROBE_BYTES - 1}"},
                               allow_redirects=False, stream=True, timeout=timeout)
    return response, method


def _first_bytes(response) -> bytes:
    """At most PROBE_BYTES of the body; the caller closes the connection right after,
    so a server that ignored the Range header sends no more than the socket buffers."""
    try:
        return response.raw.read(PROBE_BYTES, decode_content=False) or b""
    except (urllib3.exceptions.HTTPError, requests.RequestException, OSError):
        return b""


def _classify(artifact: Artifact, response, start: bytes, url: str,
              redirected: bool) -> tuple[str, str, str | None]:
    final = url if redirected else None
    code = response.status_code
    after = f" after a redirect to {url}" if redirected else ""
    if code in (408, 429):
        return ("unreachable", f"HTTP {code} {response.reason}{after}: try again later", final)
    if 400 <= code < 500:
        return ("gone", f"HTTP {code} {response.reason}{after}", final)
    if not 200 <= code < 300:
        return ("server_error", f"HTTP {code} {response.reason}{after}", final)
    content_type = response.headers.get("Content-Type", "")
    if http.says_html(response, artifact.file) or http.unexpected_html(start, artifact.file):
        return ("html", f"an HTML page ({content_type or 'by its first bytes'}){after} "
                f"instead of {artifact.file}", final)
    size = _remote_size(response)
    if artifact.size is not None and size is not None and size != artifact.size:
        return ("size_changed", f"{size} bytes, {artifact.size} recorded{after}", final)
    shown = f"{size} bytes" if size is not None else "size not announced"
    if redirected:
        return ("moved", f"now at {url} (HTTP {code}, {shown})", final)
    return ("ok", f"HTTP {code}, {shown}", None)


def _remote_size(response) -> int | None:
    if response.status_code == 206:
        total = response.headers.get("Content-Range", "").rpartition("/")[2].strip()
        return int(total) if total.isdigit() else None
    length = response.headers.get("Content-Length", "").strip()
    return int(length) if length.isdigit() else None


def all_fine(results: Iterable[LinkCheck]) -> bool:
    return all(result.status in FINE for result in results)


def to_json(results: list[LinkCheck]) -> str:
    return json.dumps([result.to_json() for result in results], indent=2)


def format_table(results: list[LinkCheck]) -> str:
    rows = [("status", "dataset", "file", "detail")]
    rows += [(r.status, r.dataset, r.file, r.detail) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
             + "  " + row[3] for row in rows]
    counts = {status: sum(r.status == status for r in results) for status in STATUSES}
    lines.append("\n" + ", ".join(f"{n} {status}" for status, n in counts.items() if n)
                 + f" of {len(results)} artifact(s)")
    return "\n".join(lines)
