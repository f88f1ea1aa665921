"""Google Drive: the download URL of a file id, and the pages Drive shows before a file.

Small files come straight back (through a redirect to Drive's content host). Files Drive
cannot virus-scan, the large ones, first get a warning page, and the way past it has
changed over the years; every form seen so far is handled:

- a form (``id="download-form"``) whose hidden fields (id, export, confirm, uuid) make
  the real request;
- a link whose query carries a ``confirm`` token;
- a ``download_warning`` cookie whose value is that token.

Any other page is a refusal: the file's daily download quota is used up, it is not
shared publicly, or it does not exist. Each is reported as what it is, with the file id
and what to do, never as a checksum error.
"""

from __future__ import annotations

import html
import html.parser
import urllib.parse

from fetch.errors import FetchError
from fetch.http import open_url, page_title

MAX_PAGES = 4
PAGE_LIMIT = 1 << 20
VIEW_URL = "https://drive.google.com/file/d/{}/view"


class DriveError(FetchError):
    """Google Drive refused the file; the message says why and what to do."""


def download_url(base: str, file_id: str) -> str:
    query = urllib.parse.urlencode({"export": "download", "id": file_id})
    return f"{base.rstrip('/')}/uc?{query}"


def file_id_of(url: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("id", ["?"])[0]


def open_file(session, url: str, settings, headers: dict):
    """The response carrying the file's bytes, after any confirmation pages."""
    file_id = file_id_of(url)
    first = url
    for _ in range(MAX_PAGES):
        response = open_url(session, url, settings, headers)
        if response.status_code >= 400 or not _is_page(response):
            return response
        page_url = response.url
        page = _read(response)
        following = confirm_url(first, page_url, page, session.cookies)
        if following is None or following == url:
            raise DriveError(explain_page(file_id, page_url, page))
        url = following
    raise DriveError(
        f"Google Drive kept answering file {file_id} with pages; open "
        f"{VIEW_URL.format(file_id)} in a browser to see why"
    )


def explain_status(url: str, response) -> str:
    file_id = file_id_of(url)
    page = _read(response) if _is_page(response) else b""
    if page:
        refusal = _refusal(file_id, response.url, page)
        if refusal:
            return refusal
    if response.status_code == 404:
        return (f"Google Drive has no file {file_id} (HTTP 404): it was deleted or the "
                "handler's gdrive_id is wrong")
    if response.status_code in (401, 403):
        return _not_shared(file_id, f"HTTP {response.status_code}")
    return f"Google Drive answered file {file_id} with HTTP {response.status_code} {response.reason}"


def explain_page(file_id: str, page_url: str, page: bytes) -> str:
    refusal = _refusal(file_id, page_url, page)
    if refusal:
        return refusal
    title = page_title(page)
    return (
        f"Google Drive answered file {file_id} with a page this tool does not know"
        + (f" (title {title!r})" if title else "")
        + f"; open {VIEW_URL.format(file_id)} in a browser to see it"
    )


def confirm_url(first_url: str, page_url: str, page: bytes, cookies) -> str | None:
    """The request that gets past a virus-scan warning page, or None if there is none."""
    parser = _PageParser()
    parser.feed(page.decode("utf-8", "replace"))
    for form in parser.forms:
        action = form["action"]
        if form["id"] == "download-form" or action.rstrip("/").endswith(("/download", "/uc")):
            target = urllib.parse.urljoin(page_url, action)
            return f"{target}?{urllib.parse.urlencode(form['fields'])}"
    for href in parser.links:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)
        if "confirm" in query and "id" in query:
            return urllib.parse.urljoin(page_url, href)
    for name, value in cookies.items():
        if name.startswith("download_warning"):
            return f"{first_url}&{urllib.parse.urlencode({'confirm': value})}"
    return None


def _refusal(file_id: str, page_url: str, page: bytes) -> str | None:
    text = html.unescape(page.decode("utf-8", "replace")).lower()
    view = VIEW_URL.format(file_id)
    if "quota" in text or "too many users have viewed or downloaded" in text:
        return (
            f"Google Drive refuses file {file_id} for now: its download quota is exceeded "
            "(too many downloads in the last 24 hours). Rerun later (the quota resets "
            f"within a day), or open {view} in a browser signed in to Google, download it, "
            "and put it in place by hand"
        )
    host = urllib.parse.urlsplit(page_url).netloc
    if (host.startswith("accounts.") or "servicelogin" in page_url.lower()
            or "you need access" in text or "request access" in text):
        return _not_shared(file_id, "Drive asks to sign in or to request access")
    if "does not exist" in text or "not found" in text:
        return (f"Google Drive has no file {file_id}: it was deleted or the handler's "
                "gdrive_id is wrong")
    return None


def _not_shared(file_id: str, why: str) -> str:
    return (
        f"Google Drive file {file_id} is not shared publicly ({why}). Ask its owner to "
        f"share it with anyone who has the link, or open {VIEW_URL.format(file_id)} "
        "signed in to an account that can read it, download it, and put it in place by hand"
    )


def _is_page(response) -> bool:
    return "text/html" in response.headers.get("Content-Type", "").lower()


def _read(response) -> bytes:
    page = b""
    for chunk in response.iter_content(64 * 1024):
        page += chunk
        if len(page) >= PAGE_LIMIT:
            break
    response.close()
    return page


class _PageParser(html.parser.HTMLParser):
    """The forms (action, id, hidden fields) and link targets of a page."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = {"action": values.get("action", ""), "id": values.get("id", ""),
                          "fields": {}}
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and values.get("name"):
            if values.get("type", "text").lower() in ("hidden", "text"):
                self._form["fields"][values["name"]] = values.get("value", "")
        elif tag == "a" and values.get("href"):
            self.links.append(values["href"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
