"""What a fetch can fail with: one base class, and a subclass only where a caller or a
message treats the failure differently. Every one is a real failure, never a signal
between functions (a mirror without the file, a retry, a restart are return values).
A local write failure (full disk, file-size limit, permission) is not among them: it stays
an OSError naming the file (``data.disk_errors``), so that no source is retried for it."""

from __future__ import annotations


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
