"""The one HTTP client, for downloads and for ``check-links`` alike: a session with our
User-Agent and no content decoding (a checksum is of the served bytes), redirects
followed by hand (http(s) only, loops caught, credentials to the first host only), the
retryable statuses, and recognising a web page served where a file was expected.

Retrying and resuming (Range, If-Range) are the downloader's (``fetch.download``);
what a status means for one provider is its source's (``fetch.sources``).
"""

from __future__ import annotations

import email.message
import os
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import requests

from fetch.errors import FetchError, NoNetworkError

CHUNK = 1 << 20
RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
MAX_REDIRECTS = 10
NETWORK_SCHEMES = ("http", "https")
USER_AGENT = "datasets-storage/0.1 (research dataset builder)"
HTML_SUFFIXES = (".html", ".htm", ".xml", ".xhtml")


def session() -> requests.Session:
    opened = requests.Session()
    opened.headers.update({"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
    return opened


# --- redirects ----------------------------------------------------------------------


@dataclass
class Landing:
    """Where following redirects ended: the final response (open; the caller closes
    it), or the URL it stopped at and why (``problem``: "loop", "scheme" or "too many")."""

    url: str
    response: requests.Response | None = None
    hops: list[str] = field(default_factory=list)  # every URL requested, in order
    problem: str | None = None

    @property
    def redirected(self) -> bool:
        return len(self.hops) > 1


def follow(url: str, send: Callable[[str], requests.Response]) -> Landing:
    """Request ``url`` with ``send`` (one request, no redirects) and each URL it redirects
    to, up to MAX_REDIRECTS; a redirect to a URL seen before or to another scheme than
    http(s) is not followed."""
    hops = [url]
    for _ in range(MAX_REDIRECTS + 1):
        response = send(url)
        if not response.is_redirect:
            return Landing(url, response, hops)
        following = urllib.parse.urljoin(url, response.headers["Location"])
        response.close()
        if following in hops:
            return Landing(following, None, hops, "loop")
        if urllib.parse.urlsplit(following).scheme not in NETWORK_SCHEMES:
            return Landing(following, None, hops, "scheme")
        hops.append(following)
        url = following
    return Landing(url, None, hops, "too many")


def open_url(session, url: str, settings, headers=None, auth=None) -> requests.Response:
    """GET ``url`` as a stream, following redirects to http(s) only.

    Credentials (``auth``) go to the first host only, never to a host a redirect names.
    A host that cannot be reached at all raises NoNetworkError; other connection
    failures and timeouts propagate as requests' own errors, for the caller to retry.
    """
    headers = dict(headers or {})
    first_host = urllib.parse.urlsplit(url).netloc
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in NETWORK_SCHEMES:
        raise FetchError(f"unsupported URL scheme {scheme!r} in {url}; use http or https")

    def send(address: str) -> requests.Response:
        same_host = urllib.parse.urlsplit(address).netloc == first_host
        try:
            return session.get(address, headers=headers, auth=auth if same_host else None,
                               stream=True, timeout=settings.timeout, allow_redirects=False)
        except (requests.ConnectionError, requests.Timeout) as error:
            if no_network(error):  # retrying cannot help: say so at once
                raise NoNetworkError(
                    f"no network: {origin(address)} cannot be reached ({no_network(error)}). "
                    "Ways out: put the artifacts in a mirror folder or URL ([fetch] mirrors), "
                    "file hand-downloaded copies into place with `python -m tasks doctor "
                    "--drop-folder DIR`, or set [fetch] offline = true to use only files already "
                    "fetched"
                ) from None
            raise
        except requests.RequestException as error:
            raise FetchError(f"request to {origin(address)} failed: {short(error)}") from error

    landing = follow(url, send)
    if landing.problem == "scheme":
        raise FetchError(
            f"{landing.hops[-1]} redirects to a {urllib.parse.urlsplit(landing.url).scheme!r} "
            f"URL ({landing.url[:200]}); only http and https redirects are followed"
        )
    if landing.problem == "loop":
        raise FetchError(f"redirect loop at {landing.url}")
    if landing.problem:
        raise FetchError(f"more than {MAX_REDIRECTS} redirects, the last to {landing.url}")
    return landing.response


def chunks(response):
    """The body as sent (no content decoding), in whatever pieces arrive, so a dropped
    connection loses nothing already received."""
    while True:
        chunk = response.raw.read1(CHUNK, decode_content=False)
        if not chunk:
            return
        yield chunk


def retry_after(response) -> float | None:
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


def served_file_name(header: str) -> str | None:
    """The file name in a Content-Disposition header (RFC 6266, with RFC 5987 encoding)."""
    if not header:
        return None
    message = email.message.Message()
    message["Content-Disposition"] = header
    name = message.get_filename()
    return os.path.basename(name.replace("\\", "/")) if name else None


# --- HTML where a file should be ----------------------------------------------------

_HTML_START = re.compile(rb"\s*(<!doctype\s+html|<html|<head|<body|<!--|<meta|<title|<script)",
                         re.IGNORECASE)


def looks_like_html(first_bytes: bytes) -> bool:
    """True when a file starts like a web page (after an optional byte-order mark)."""
    return bool(_HTML_START.match(first_bytes[:1024].removeprefix(b"\xef\xbb\xbf")))


def expects_html(file: str) -> bool:
    return file.lower().endswith(HTML_SUFFIXES)


def says_html(response, file: str) -> bool:
    """The response is labelled a web page, and ``file`` is not one."""
    return not expects_html(file) and "text/html" in response.headers.get("Content-Type", "").lower()


def unexpected_html(first_bytes: bytes, file: str) -> bool:
    """``first_bytes`` start a web page where ``file``, not a page, was expected."""
    return not expects_html(file) and looks_like_html(first_bytes)


def page_title(page: bytes) -> str:
    match = re.search(rb"<title[^>]*>(.*?)</title>", page, re.IGNORECASE | re.DOTALL)
    if not match:
        return ""
    return " ".join(match.group(1).decode("utf-8", "replace").split())[:160]


# --- messages -----------------------------------------------------------------------


def origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def short(error: Exception, limit: int = 300) -> str:
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


def no_network(error: Exception) -> str:
    """Why the machine has no way to the host (a failed name lookup, no route), or ""."""
    text = str(error)
    return next((why for sign, why in _NO_NETWORK_SIGNS.items() if sign in text), "")
