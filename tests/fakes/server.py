"""A real HTTP server on 127.0.0.1 whose files misbehave on cue.

Each path serves a :class:`Resource` (Range, If-Range, ETag and Last-Modified honoured,
unless told otherwise). A script of faults per path is consumed one per request before
normal service resumes: a status, a connection dropped after some bytes, a stall until
the test releases it, a Range request answered with the whole file, a redirect. Every
request is recorded with its headers, so tests assert what the client asked for.
Extra routes (the Drive and Kaggle fakes) are functions of (handler, path, query).
"""

from __future__ import annotations

import collections
import http.server
import re
import socket
import threading
import urllib.parse
from dataclasses import dataclass, field


@dataclass
class Resource:
    body: bytes
    etag: str | None = '"v1"'
    last_modified: str | None = "Mon, 01 Jan 2024 00:00:00 GMT"
    content_type: str = "application/octet-stream"
    filename: str | None = None  # sent as Content-Disposition when set
    ranges: bool = True  # False: Range requests get the whole file (200)
    if_range: bool = True  # False: If-Range is ignored (the range is sent regardless)


@dataclass(frozen=True)
class Status:
    code: int
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    content_type: str = "text/plain"


@dataclass(frozen=True)
class Drop:
    """Serve normally but close the connection after ``after`` body bytes."""

    after: int


@dataclass(frozen=True)
class Stall:
    """Serve ``after`` body bytes, then hang until ``release`` is set, then close."""

    after: int
    release: threading.Event


@dataclass(frozen=True)
class IgnoreRange:
    """Answer this request with the whole file, whatever its Range header says."""


@dataclass(frozen=True)
class Redirect:
    location: str
    code: int = 302


@dataclass(frozen=True)
class Request:
    path: str
    query: dict
    headers: dict


class FaultServer:
    def __init__(self):
        self.resources: dict[str, Resource] = {}
        self.scripts: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self.routes: dict[str, object] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(_Handler):
            server_owner = owner

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def add(self, path: str, body: bytes, **options) -> Resource:
        resource = Resource(body, **options)
        self.resources[path] = resource
        return resource

    def script(self, path: str, *actions) -> None:
        self.scripts[path].extend(actions)

    def requests_for(self, path: str) -> list[Request]:
        return [request for request in self.requests if request.path == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    server_owner: FaultServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - the http.server protocol
        owner = self.server_owner
        parts = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(parts.path)
        query = {key: values[0] for key, values in urllib.parse.parse_qs(parts.query).items()}
        with owner._lock:
            owner.requests.append(Request(path, query, dict(self.headers.items())))
            action = owner.scripts[path].popleft() if owner.scripts.get(path) else None
        if action is not None:
            self.act(action, owner.resources.get(path))
            return
        for prefix, route in owner.routes.items():
            if path.startswith(prefix):
                route(self, path, query)
                return
        resource = owner.resources.get(path)
        if resource is None:
            self.send_status(404, b"not found")
            return
        self.send_resource(resource)

    # --- building blocks, also used by the Drive and Kaggle fakes ---

    def send_status(self, code: int, body: bytes = b"", content_type: str = "text/plain",
                    headers: dict | None = None):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str, code: int = 302):
        self.send_status(code, b"", headers={"Location": location})

    def send_resource(self, resource: Resource, cut: int | None = None,
                      stall: threading.Event | None = None, whole: bool = False):
        body = resource.body
        start = 0
        wanted = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", "") or "")
        if wanted and resource.ranges and not whole:
            validator = self.headers.get("If-Range")
            if not (validator and resource.if_range and validator not in (resource.etag, resource.last_modified)):
                start = int(wanted.group(1))
        if start >= len(body) and start:
            self.send_status(416, b"", headers={"Content-Range": f"bytes */{len(body)}"})
            return
        self.send_response(206 if start else 200)
        self.send_header("Content-Type", resource.content_type)
        self.send_header("Content-Length", str(len(body) - start))
        self.send_header("Accept-Ranges", "bytes")
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        if resource.etag:
            self.send_header("ETag", resource.etag)
        if resource.last_modified:
            self.send_header("Last-Modified", resource.last_modified)
        if resource.filename:
            self.send_header("Content-Disposition", f'attachment; filename="{resource.filename}"')
        self.end_headers()
        payload = body[start:]
        if cut is None:
            self.wfile.write(payload)
            return
        self.wfile.write(payload[:cut])
        self.wfile.flush()
        if stall is not None:
            stall.wait(timeout=60)
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def act(self, action, resource: Resource | None):
        if isinstance(action, Status):
            self.send_status(action.code, action.body, action.content_type, action.headers)
        elif isinstance(action, Redirect):
            self.redirect(action.location, action.code)
        elif isinstance(action, Drop):
            self.send_resource(resource, cut=action.after)
        elif isinstance(action, Stall):
            self.send_resource(resource, cut=action.after, stall=action.release)
        elif isinstance(action, IgnoreRange):
            self.send_resource(resource, whole=True)
        else:
            raise TypeError(f"unknown action {action!r}")
