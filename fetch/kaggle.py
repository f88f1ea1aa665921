"""Kaggle: dataset and competition files through Kaggle's HTTP API, with the user's token.

The token is the ``kaggle.json`` that kaggle.com's account settings create ("Create New
Token"). It is read from KAGGLE_USERNAME and KAGGLE_KEY, else from
``$KAGGLE_CONFIG_DIR/kaggle.json``, else ``~/.kaggle/kaggle.json``. It goes to the API
host only: the API redirects each download to a storage host, which gets no
credentials. Neither the key nor the user name is ever logged or put in a message.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from pathlib import Path

from fetch.errors import FetchError
from fetch.http import open_url

TOKEN_PAGE = "https://www.kaggle.com/settings"
PAGES = {"dataset": "https://www.kaggle.com/datasets/{}",
         "competition": "https://www.kaggle.com/competitions/{}"}


class KaggleCredentialsError(FetchError):
    """No usable Kaggle API token; the message says how to make one."""


def download_url(api: str, kind: str, ref: str) -> str:
    quoted = "/".join(urllib.parse.quote(part) for part in ref.split("/"))
    if kind == "competition":
        return f"{api.rstrip('/')}/competitions/data/download-all/{quoted}"
    return f"{api.rstrip('/')}/datasets/download/{quoted}"


def token_file() -> Path:
    folder = os.environ.get("KAGGLE_CONFIG_DIR")
    return Path(folder) / "kaggle.json" if folder else Path.home() / ".kaggle" / "kaggle.json"


def credentials() -> tuple[str, str]:
    """(username, key), or KaggleCredentialsError saying how to provide them."""
    username, key = os.environ.get("KAGGLE_USERNAME"), os.environ.get("KAGGLE_KEY")
    if username and key:
        return username, key
    path = token_file()
    try:
        token = json.loads(path.read_text())
    except FileNotFoundError:
        raise KaggleCredentialsError(
            f"this artifact comes from Kaggle, which needs your API token, and there is "
            f"none: no {path} and no KAGGLE_USERNAME/KAGGLE_KEY environment variables. "
            f"Sign in at {TOKEN_PAGE}, choose 'Create New Token', save the downloaded "
            f"kaggle.json as {path} (chmod 600 it), accept the dataset's or competition's "
            "terms on its Kaggle page, and rerun"
        ) from None
    except (OSError, ValueError) as error:
        raise KaggleCredentialsError(
            f"cannot read the Kaggle token {path} ({type(error).__name__}); download a "
            f"fresh kaggle.json from {TOKEN_PAGE} and save it there"
        ) from None
    if not isinstance(token, dict) or not token.get("username") or not token.get("key"):
        raise KaggleCredentialsError(
            f"{path} lacks 'username' or 'key'; download a fresh kaggle.json from {TOKEN_PAGE}"
        )
    return str(token["username"]), str(token["key"])


def _credentials_source() -> str:
    if os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"):
        return "KAGGLE_USERNAME/KAGGLE_KEY"
    return str(token_file())


def open_file(session, url: str, settings, headers: dict):
    """The response carrying the zip Kaggle serves for the dataset or competition."""
    return open_url(session, url, settings, headers, auth=credentials())


def _ref_of(url: str) -> tuple[str, str]:
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    for marker, kind in (("/competitions/data/download-all/", "competition"),
                         ("/datasets/download/", "dataset")):
        if marker in path:
            return kind, path.split(marker, 1)[1]
    return "dataset", path


def explain_status(url: str, response) -> str:
    kind, ref = _ref_of(url)
    page = PAGES[kind].format(ref)
    status = response.status_code
    if status == 401:
        return (f"Kaggle rejected the API token from {_credentials_source()} (HTTP 401); it "
                f"may have expired or been replaced: create a new one at {TOKEN_PAGE}")
    if status == 403:
        if kind == "competition":
            return (f"Kaggle refuses competition {ref} (HTTP 403): accept its rules at "
                    f"{page}/rules with the account of your token, then rerun")
        return (f"Kaggle refuses dataset {ref} (HTTP 403): it is private or needs its terms "
                f"accepted; open {page} with the account of your token")
    if status == 404:
        return f"Kaggle has no {kind} {ref} (HTTP 404): check the handler's kaggle= and {page}"
    return f"Kaggle answered {kind} {ref} with HTTP {status} {response.reason}"
