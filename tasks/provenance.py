"""What a build depends on, condensed into a fingerprint that Luigi's paths carry.

A dataset's fingerprint covers what its staging depends on: the source of its handler
module and of every shared handler module it imports (transitively), the engine modules
that shape the bytes staged and converted (format, hashing, images, staging, shards,
types), the expected checksum of every artifact (after luigi.cfg overrides) and the
format version. The staging folder is ``staging/<dataset>/<fingerprint>/`` and each
shard's sidecar lives there, so when any input changes, the plan and the shards are
simply missing under the new fingerprint and Luigi rebuilds exactly that dataset; other
datasets keep their fingerprint and are untouched.

The [convert] settings that decide the shard count are recorded beside the fingerprint,
not in it: the staged records do not depend on them, so a new shard size converts again
from the same staging (``tasks/graph.py``: ``WriteMetadata.complete`` compares them, the
shard count follows from the plan in ``data/staging.py``: ``shard_counts``).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import json
from pathlib import Path

import handlers
from data import format as fmt

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
ENGINE_MODULES = ("data.format", "data.hashing", "data.images", "data.staging", "data.shards", "data.types")


@functools.cache
def _module_file(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    return Path(spec.origin) if spec and spec.origin and spec.origin.endswith(".py") else None


@functools.cache
def _source_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _handler_imports(path: Path) -> set[str]:
    """The modules of the handlers package that a module imports, however spelled."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "handlers":
            found |= {f"handlers.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("handlers."):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("handlers.")}
    return found


@functools.cache
def code_modules(handler_module: str) -> tuple[str, ...]:
    """The handler module, the shared modules it reaches, and the engine modules."""
    seen: set[str] = set()
    pending = [handler_module]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        path = _module_file(name)
        if path is not None:
            pending.extend(_handler_imports(path) - seen)
    return tuple(sorted(seen | set(ENGINE_MODULES)))


def describe(spec, checksum_for, settings: dict) -> dict:
    """The provenance record of ``spec``: inputs, their fingerprint (deterministic) and the
    conversion ``settings``, which are recorded but not fingerprinted."""
    handler_module = handlers.module_of(spec.name)
    code = {}
    for name in code_modules(handler_module):
        path = _module_file(name)
        if path is not None:
            code[name] = _source_digest(path)
    artifacts = {}
    for artifact in spec.artifacts:
        checksum = checksum_for(artifact, spec.source_of(artifact))
        artifacts[artifact.file] = ":".join(checksum) if checksum else "unpinned"
    staged_from = {"format_version": fmt.FORMAT_VERSION, "code": code, "artifacts": artifacts}
    digest = hashlib.sha256(json.dumps(staged_from, sort_keys=True).encode()).hexdigest()
    return {"fingerprint": digest[:16], **staged_from, "settings": dict(sorted(settings.items()))}

