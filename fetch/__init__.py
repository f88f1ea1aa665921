"""Fetching artifacts: the only package that touches the network.

Where each rule lives:

- ``fetch.sources``: where an artifact can come from (mirror folder or URL, HTTP,
  Google Drive, Kaggle, manual) and in which order; what a status means per provider;
- ``fetch.http``: the one HTTP client (session, redirects, retryable statuses, HTML
  detection), used by downloads and by ``check-links``;
- ``fetch.download``: retries, Range resume, streaming and hashing, and the error
  saying why no source gave the file;
- ``fetch.partial``: the partial file and the validators kept beside it;
- ``fetch.gdrive`` / ``fetch.kaggle``: the providers' own protocols;
- ``fetch.errors``: the failures (few, and none used to steer control flow).

Which checksum applies and what happens to verified bytes belong to the artifact store
(``data.artifacts``).
"""

from fetch.download import fetch, file_digest
from fetch.errors import (
           ChecksumError,
           FetchError,
           HtmlPageError,
           ManualDownloadError,
           NoNetworkError,
)
from fetch.settings import FetchSettings
from fetch.sources import download_host

__all__ = ["ChecksumError", "FetchError", "FetchSettings", "HtmlPageError", "ManualDownloadError",
           "NoNetworkError", "download_host", "fetch", "file_digest"]
