"""Download throughput of fetch.fetch against curl, on loopback.

Serves one file (1 GiB by default) from a local HTTP server in its own process that
uses sendfile, so the server is not the bottleneck; downloads it with ``curl -o`` and
with ``fetch`` (which also verifies its sha256, as every real fetch does) into the same
folder, alternating, and prints the best and median time of each and their ratio. The
issue asks for fetch >= 90% of curl. Peak memory of the fetching process is printed
too: it stays flat whatever the size. On a loaded machine use more rounds.

    python -m bench.download_throughput [--size-mb 1024] [--rounds 5]
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fetch import FetchSettings, fetch
from handlers._spec import Artifact


class _SendfileHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    path_on_disk: Path

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - the http.server protocol
        size = self.path_on_disk.stat().st_size
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        with open(self.path_on_disk, "rb") as stream:
            self.connection.sendfile(stream)


def _make_file(path: Path, size: int) -> str:
    """A file of pseudo-random bytes (incompressible), and its sha256."""
    digest = hashlib.sha256()
    block = os.urandom(1 << 20)
    with open(path, "wb") as out:
        for index in range(size >> 20):
            chunk = block[index % 7:] + block[: index % 7]  # cheap variation per MiB
            out.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def serve(path: Path) -> None:
    """Serve ``path`` on a free loopback port (printed first) until killed."""
    handler = type("Handler", (_SendfileHandler,), {"path_on_disk": path})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if shutil.which("curl") is None:
        raise SystemExit("curl is needed for the comparison (apt-get install curl)")

    folder = Path(tempfile.mkdtemp(prefix="bench_download_"))
    server = None
    try:
        source = folder / "served.bin"
        sha256 = _make_file(source, args.size_mb << 20)
        server = subprocess.Popen(
            [sys.executable, "-m", "bench.download_throughput", "--serve", str(source)],
            stdout=subprocess.PIPE, text=True,
        )
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}/served.bin"
        artifact = Artifact("fetched.bin", url, sha256=sha256)
        settings = FetchSettings(attempts=1)

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        curl_times, fetch_times = [], []
        for _ in range(args.rounds):
            out = folder / "curl.bin"
            started = time.perf_counter()
            subprocess.run(["curl", "-sS", "-o", str(out), url], check=True)
            curl_times.append(time.perf_counter() - started)
            out.unlink()

            target = folder / "artifacts" / "bench" / "fetched.bin"
            started = time.perf_counter()
            fetch(artifact, "bench", target, settings)
            fetch_times.append(time.perf_counter() - started)
            shutil.rmtree(folder / "artifacts")

        size_mb = args.size_mb * (1 << 20) / 1e6
        print(f"file: {args.size_mb} MiB, {args.rounds} rounds, curl and fetch alternating")
        for name, times in (("curl ", curl_times), ("fetch", fetch_times)):
            best, median = min(times), statistics.median(times)
            print(f"{name}: best {best:.2f} s ({size_mb / best:7.1f} MB/s), "
                  f"median {median:.2f} s ({size_mb / median:7.1f} MB/s)")
        print(f"ratio fetch/curl: best {min(curl_times) / min(fetch_times):.2f}, "
              f"median {statistics.median(curl_times) / statistics.median(fetch_times):.2f}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of the fetching process: {rss_before:.0f} MiB before any fetch, "
              f"{peak:.0f} MiB after (flat: independent of --size-mb)")
    finally:
        if server is not None:
            server.kill()
            server.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
