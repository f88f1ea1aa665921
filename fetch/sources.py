"""Where an artifact can come from, tried in this order: the configured mirrors (folders
or URL bases laid out as ``<mirror>/<source>/<file>``), then its provider unless offline:
a URL (``file://`` reads a folder), a Google Drive file, a Kaggle dataset, or a human
(``manual``: nothing to download; the message says how to get it).

Each source says how to open it and what an HTTP status means there; the downloader
(``fetch.download``) does the rest the same way for all of them.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from fetch import gdrive, kaggle
from fetch.http import open_url, origin
from fetch.settings import FetchSettings
from handlers._spec import Artifact


@dataclass(frozen=True)
class Source:
    label: str  # for messages
    key: str  # identifies the resource a partial file came from
    mirror: bool = False  # a mirror may lack the file: that is no failure


@dataclass(frozen=True)
class Folder(Source):
    """A local folder holding the file: copied, not downloaded."""

    @property
    def path(self) -> Path:
        return Path(self.label)


@dataclass(frozen=True)
class Bucket(Source):
    """A mirror in object storage (s3://, gs://), read through fsspec (data/location.py)
    with the storage library's usual credentials: e.g. a bucket the hosts of a cluster
    share, filled once with ``aws s3 sync <data dir>/artifacts s3://bucket/artifacts``."""

    @property
    def url(self) -> str:
        return self.label


OBJECT_STORE_SCHEMES = ("s3", "gs", "gcs")


@dataclass(frozen=True)
class Web(Source):
    """A plain http(s) URL."""

    @property
    def url(self) -> str:
        return self.label

    @property
    def checks_served_name(self) -> bool:
        # A provider may announce the file's name; a mirror's name is its own.
        return not self.mirror

    def open(self, session, settings: FetchSettings, headers: dict):
        return open_url(session, self.url, settings, headers)

    def explain(self, response) -> str:
        return f"HTTP {response.status_code} {response.reason} from {origin(response.url)}"


@dataclass(frozen=True)
class GoogleDrive(Web):
    def open(self, session, settings, headers):
        return gdrive.open_file(session, self.url, settings, headers)

    def explain(self, response) -> str:
        return gdrive.explain_status(self.url, response)


@dataclass(frozen=True)
class Kaggle(Web):
    def open(self, session, settings, headers):
        return kaggle.open_file(session, self.url, settings, headers)

    def explain(self, response) -> str:
        return kaggle.explain_status(self.url, response)


@dataclass(frozen=True)
class Manual(Source):
    """Only a human can fetch the file; ``label`` says how."""


def sources_for(artifact: Artifact, source: str, settings: FetchSettings) -> list[Source]:
    found: list[Source] = []
    for mirror in settings.mirrors:
        if "://" in mirror:
            url = f"{mirror.rstrip('/')}/{source}/{urllib.parse.quote(artifact.file)}"
            if urllib.parse.urlsplit(mirror).scheme in OBJECT_STORE_SCHEMES:
                url = f"{mirror.rstrip('/')}/{source}/{artifact.file}"  # keys are not URL-quoted
                found.append(Bucket(url, url, mirror=True))
            elif urllib.parse.urlsplit(url).scheme == "file":
                path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
                found.append(Folder(path, path, mirror=True))
            else:
                found.append(Web(url, url, mirror=True))
        else:
            path = str(Path(mirror).expanduser() / source / artifact.file)
            found.append(Folder(path, path, mirror=True))
    if settings.offline:
        return found
    if artifact.gdrive_id:
        url = gdrive.download_url(settings.gdrive_url, artifact.gdrive_id)
        found.append(GoogleDrive(url, f"gdrive:{artifact.gdrive_id}"))
    elif artifact.kaggle:
        url = kaggle.download_url(settings.kaggle_api, *artifact.kaggle_ref)
        found.append(Kaggle(url, f"kaggle:{artifact.kaggle}"))
    elif artifact.url and urllib.parse.urlsplit(artifact.url).scheme == "file":
        path = urllib.parse.unquote(urllib.parse.urlsplit(artifact.url).path)
        found.append(Folder(path, path))
    elif artifact.url:
        found.append(Web(artifact.url, artifact.url))
    else:
        found.append(Manual(artifact.manual or "see the dataset's page", "manual"))
    return found


def download_host(artifact: Artifact, settings: FetchSettings) -> str | None:
    """The host the first network attempt for ``artifact`` goes to (for politeness limits)."""
    for found in sources_for(artifact, "-", settings):
        if isinstance(found, Web):
            return (urllib.parse.urlsplit(found.url).hostname or "").lower() or None
    return None
