"""An S3-compatible server on 127.0.0.1 (moto's), counting the requests it answers.

For the tests and bench/object_storage.py: builds and readers reach it through the
same environment a real deployment uses (``AWS_ENDPOINT_URL`` and keys), so nothing in
the code under test knows it is not S3. Needs ``moto[server]`` (the ``test`` extra).
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from urllib.parse import parse_qs


class _Counting:
    """WSGI middleware: one count per request, by S3 operation."""

    def __init__(self, app):
        self.app, self.counts, self.lock = app, Counter(), threading.Lock()
        self.written: list[str] = []  # /bucket/key of every object made final, in order

    def __call__(self, environ, start_response):
        kind = operation(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""),
                         environ.get("QUERY_STRING", ""))
        with self.lock:
            self.counts[kind] += 1
            if kind in ("PUT", "CompleteMultipartUpload") and environ.get("PATH_INFO", "").strip("/").count("/"):
                self.written.append(environ["PATH_INFO"])
        return self.app(environ, start_response)


def operation(method: str, path: str, query: str) -> str:
    """The S3 operation a request is (as far as counting goes)."""
    params = parse_qs(query, keep_blank_values=True)
    if path.startswith("/moto-api"):
        return "moto-api"
    if method == "GET" and ("list-type" in params or path.strip("/").count("/") == 0):
        return "LIST"
    if method == "POST" and "uploads" in params:
        return "CreateMultipartUpload"
    if method == "PUT" and "partNumber" in params:
        return "UploadPart"
    if method == "POST" and "uploadId" in params:
        return "CompleteMultipartUpload"
    if method == "DELETE" and "uploadId" in params:
        return "AbortMultipartUpload"
    return method


class LocalS3:
    """A running server: ``endpoint``, ``env`` (for clients and subprocesses), ``counts``."""

    def __init__(self, server, app: _Counting):
        self._server, self._app = server, app
        host, port = server.server_address[:2]
        self.endpoint = f"http://{host}:{port}"
        self.env = {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": "testing",
                    "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                    "AWS_EC2_METADATA_DISABLED": "true"}

    @property
    def counts(self) -> Counter:
        with self._app.lock:
            return Counter(self._app.counts)

    @property
    def written(self) -> list[str]:
        """``/bucket/key`` of every object written (a PUT or a completed multipart upload)."""
        with self._app.lock:
            return list(self._app.written)

    def reset_counts(self) -> None:
        with self._app.lock:
            self._app.counts.clear()
            self._app.written.clear()

    def create_bucket(self, name: str) -> None:
        import urllib.request

        request = urllib.request.Request(f"{self.endpoint}/{name}", method="PUT")
        urllib.request.urlopen(request, timeout=30).close()


@contextlib.contextmanager
def serve():
    """Start the server on a free loopback port; yield a LocalS3."""
    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    app = _Counting(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalS3(server, app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
