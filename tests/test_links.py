"""The link check against a real HTTP server on 127.0.0.1 that serves one case per path:
ok, redirect, 404, 500, a changed size, an HTML page, HEAD refused, a redirect loop."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cli import links
from handlers._spec import Artifact

SIZE = 1000
FAKES = Path(__file__).resolve().parent / "fakes"


class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers by path; every request is logged on the server (method, path, Range)."""

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self._answer(body=False)

    def do_GET(self):
        self._answer(body=True)

    def _answer(self, body: bool):
        server = self.server
        with server.lock:
            server.requests.append((self.command, self.path, self.headers.get("Range")))
        path = self.path.partition("?")[0]
        if path.startswith("/slow/"):
            with server.lock:
                server.active += 1
                server.most = max(server.most, server.active)
            time.sleep(0.25)
            with server.lock:
                server.active -= 1
            return self._send(200, {"Content-Length": SIZE})
        if path == "/ok.zip":
            return self._send(200, {"Content-Type": "application/zip", "Content-Length": SIZE})
        if path == "/old.zip":
            return self._send(301, {"Location": "/ok.zip"})
        if path == "/loop.zip":
            return self._send(302, {"Location": "/loop.zip?again"} if "?" not in self.path
                              else {"Location": "/loop.zip"})
        if path == "/old-gone.zip":
            return self._send(302, {"Location": "/missing.zip"})
        if path == "/broken.zip":
            return self._send(500)
        if path == "/resized.zip":
            return self._send(200, {"Content-Type": "application/zip", "Content-Length": 2 * SIZE})
        if path == "/page.zip":
            return self._send(200, {"Content-Type": "text/html; charset=utf-8"})
        if path.startswith("/nohead") and self.command == "HEAD":
            return self._send(405)
        if path == "/nohead.zip":
            wanted = self.headers.get("Range") == "bytes=0-15"
            headers = {"Content-Range": f"bytes 0-15/{SIZE}"} if wanted else {}
            return self._send(206 if wanted else 200, headers, b"PK\x03\x04" + bytes(12))
        if path == "/nohead-page.zip":  # ignores Range, lies about the type
            return self._send(200, {"Content-Type": "application/octet-stream"},
                              b"<!DOCTYPE html><html>" + b" " * 200_000 + b"</html>")
        return self._send(404)

    def _send(self, status, headers=None, body=b""):
        self.send_response(status)
        headers = {"Content-Length": len(body)} | (headers or {})
        for name, value in headers.items():
            self.send_header(name, str(value))
        self.end_headers()
        if body and self.command == "GET":
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.lock, httpd.requests, httpd.active, httpd.most = threading.Lock(), [], 0, 0
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_each_case_is_classified(server):
    cases = {
        "ok.zip": ("ok", None),
        "old.zip": ("moved", f"{server.base}/ok.zip"),
        "missing.zip": ("gone", None),
        "old-gone.zip": ("gone", f"{server.base}/missing.zip"),
        "broken.zip": ("server_error", None),
        "resized.zip": ("size_changed", None),
        "page.zip": ("html", None),
        "nohead.zip": ("ok", None),
        "nohead-page.zip": ("html", None),
        "loop.zip": ("unreachable", f"{server.base}/loop.zip"),
    }
    items = [(f"set{n}", Artifact(name, f"{server.base}/{name}", size=SIZE))
             for n, name in enumerate(cases)]
    items += [
        ("dead", Artifact("dead.zip", f"http://127.0.0.1:{_closed_port()}/dead.zip")),
        ("hand", Artifact("hand.zip", manual="sign the form")),
        ("drive", Artifact("drive.zip", gdrive_id="1AbCdEfGhIjKlMnOp")),
    ]
    results = links.check_artifacts(items, timeout=5)
    found = {r.file: (r.status, r.final_url) for r in results}
    assert found == cases | {"dead.zip": ("unreachable", None), "hand.zip": ("manual", None),
                             "drive.zip": ("not_checked", None)}
    details = {r.file: r.detail for r in results}
    assert details["resized.zip"].startswith(f"{2 * SIZE} bytes, {SIZE} recorded")
    assert "HTTP 404" in details["missing.zip"] and "HTTP 500" in details["broken.zip"]
    assert [r.dataset for r in results] == [dataset for dataset, _ in items]
    assert not links.all_fine(results)
    assert links.all_fine(r for r in results if r.file in ("ok.zip", "hand.zip", "drive.zip"))

    # HEAD refused: a ranged GET of 16 bytes instead; nothing is ever fetched whole.
    gets = [(path, byte_range) for method, path, byte_range in server.requests if method == "GET"]
    assert sorted(path for path, _ in gets) == ["/nohead-page.zip", "/nohead.zip"]
    assert all(byte_range == "bytes=0-15" for _, byte_range in gets)
    assert ("HEAD", "/ok.zip", None) in server.requests
    assert not any("drive" in path or "hand" in path for _, path, _ in server.requests)


def test_size_from_a_ranged_get_is_checked_too(server):
    (result,) = links.check_artifacts([("d", Artifact("nohead.zip", f"{server.base}/nohead.zip",
                                                      size=SIZE + 1))])
    assert result.status == "size_changed" and result.detail.startswith(f"{SIZE} bytes")


def test_requests_per_host_are_limited_and_shared_urls_asked_once(server):
    items = [(f"d{i}", Artifact(f"{i}.zip", f"{server.base}/slow/{i}.zip")) for i in range(6)]
    items.append(("again", Artifact("0.zip", f"{server.base}/slow/0.zip")))
    started = time.monotonic()
    results = links.check_artifacts(items, per_host=2, workers=16)
    elapsed = time.monotonic() - started
    assert [r.status for r in results] == ["ok"] * 7
    assert server.most == 2
    assert len(server.requests) == 6
    assert elapsed < 6 * 0.25  # in parallel, not one after another


def test_check_links_command_prints_a_table_and_json(server, workspace):
    env = workspace.env()
    env.update(DATASETS_STORAGE_HANDLERS="toyset,fetchset",
               PYTHONPATH=f"{FAKES}{os.pathsep}{env['PYTHONPATH']}")

    def run(url, *args):
        return subprocess.run(
            [sys.executable, "-m", "tasks", "check-links", "fetchset", "fetchset_manual", *args],
            cwd=workspace.path, env=env | {"FETCHSET_URL": url}, capture_output=True,
            text=True, timeout=60)

    fine = run(f"{server.base}/ok.zip")
    assert fine.returncode == 0, fine.stderr
    rows = [line.split()[:3] for line in fine.stdout.splitlines()[1:3]]
    assert rows == [["ok", "fetchset", "fetchset.zip"], ["manual", "fetchset_manual", "fetchset_manual.zip"]]

    moved = run(f"{server.base}/old.zip", "--json")
    assert moved.returncode == 1, moved.stderr
    report = json.loads(moved.stdout)
    assert report[0] == {"dataset": "fetchset", "file": "fetchset.zip",
                         "url": f"{server.base}/old.zip", "status": "moved",
                         "detail": report[0]["detail"], "final_url": f"{server.base}/ok.zip"}
    assert report[1]["status"] == "manual" and "sign the licence" in report[1]["detail"]
