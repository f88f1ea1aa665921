"""A dataset's fixture served as a mirror on 127.0.0.1: builds that need no network.

The offline demo (``python -m tasks demo``) and the test suite build through the real
graph from it: the fixture writer's tiny artifacts are laid out as a mirror
(``<source>/<file>``), served over loopback HTTP, and their sha256 digests replace the
providers' checksums through ``[fetch] checksum_overrides``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import handlers

COUNTS_FILE = ".{name}.counts.json"


def write(name: str, mirror_root: Path) -> dict[str, int]:
    """``name``'s fixture under ``<mirror_root>/<source>/`` (written once), with the
    fixtures of the datasets it borrows artifacts from; returns its split sizes."""
    spec = handlers.get(name)
    for source in sorted({artifact.source for artifact in spec.borrowed}):
        owner = next(s for s in handlers.all_specs() if s.source == source and not s.borrowed)
        write(owner.name, mirror_root)
    folder = mirror_root / spec.source
    counts_file = folder / COUNTS_FILE.format(name=name)
    if counts_file.exists():
        return json.loads(counts_file.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    counts = dict(spec.write_fixture(folder))
    counts_file.write_text(json.dumps(counts))
    return counts


def pin_checksums(name: str, mirror_root: Path, table_file: Path) -> None:
    """Adds the sha256 of each of ``name``'s served artifacts to the overrides table."""
    spec = handlers.get(name)
    table = json.loads(table_file.read_text()) if table_file.exists() else {}
    for artifact in spec.artifacts:
        source = spec.source_of(artifact)
        digest = hashlib.sha256((mirror_root / source / artifact.file).read_bytes()).hexdigest()
        table[f"{source}/{artifact.file}"] = {"sha256": digest}
    table_file.write_text(json.dumps(table, indent=1, sort_keys=True))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serves ``root`` on 127.0.0.1 (a free port) while the block runs; yields its URL."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
