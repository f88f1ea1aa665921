"""What a build depends on, condensed into fingerprints that Luigi's paths carry.

A dataset's fingerprint covers what its staging depends on: the source of its handler
module and of every shared handler module it imports (transitively), the engine modules
that shape the records staged (``STAGING_MODULES``), the expected checksum of every
artifact (after luigi.cfg overrides) and the format version. The staging folder is
``staging/<dataset>/<fingerprint>/``, so when any of them changes, the plan is simply
missing under the new fingerprint and Luigi rebuilds exactly that dataset; other
datasets keep their fingerprint and are untouched.

Conversion reads that staging and depends on more, kept out of the fingerprint so that
it never causes archives to be read again: the converter's code (``CONVERSION_MODULES``,
digested as ``conversion``, which names the folder of the shards' sidecars) and the
[convert] settings that decide the shard count (recorded as ``settings``; the count
follows from the plan, ``data/staging.py``: ``shard_counts``). ``same_build`` is the one
rule for whether a built dataset is current (``WriteMetadata.complete``, ``verify``).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import re
from pathlib import Path

import handlers
from data import format as fmt

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
STAGING_MODULES = ("data.encoded_pngs", "data.format", "data.hashing", "data.images", "data.members", "data.staging",
                   "data.types")
CONVERSION_MODULES = ("data.jpeg", "data.shards")
ENGINE_MODULES = STAGING_MODULES + CONVERSION_MODULES
CURRENT_WHEN_EQUAL = ("fingerprint", "conversion", "settings")


@functools.cache
def _module_file(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    return Path(spec.origin) if spec and spec.origin and spec.origin.endswith(".py") else None


@functools.cache
def _source_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# The import statements of a module's source, wherever they are (in a function too):
# ``from X import names`` (names in parentheses or after a backslash may span lines)
# and ``import names``.
_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]*(\([^)]*\)|(?:[^\n;#\\]|\\\n)*)"
                     r"|import[ \t]+((?:[^\n;#\\]|\\\n)*))", re.MULTILINE)


def _handler_imports(path: Path) -> set[str]:
    """The modules of the handlers package that a module imports, however spelled.

    Read from the source text rather than its syntax tree: parsing the handler modules a
    build reaches took 40 ms of every command's start. Text that only looks like an
    import (in a string) adds a module to the fingerprint, which costs nothing but a
    replanning when that module changes; tests check this against ``ast`` for every module.
    """
    found = set()
    for module, names, imported in _IMPORT.findall(path.read_text()):
        if module == "handlers":
            found |= {f"handlers.{name}" for name in _names(names)}
        elif module.startswith("handlers."):
            found.add(module)
        elif imported:
            found |= {name for name in _names(imported) if name.startswith("handlers.")}
    return found


def _names(listed: str) -> list[str]:
    """The imported names of ``a as b, c``, or of a parenthesized list over several lines
    with comments, or of one continued by backslashes."""
    listed = re.sub(r"#[^\n]*", "", listed).strip("()")
    return [part.split()[0] for part in listed.replace("\\", " ").split(",") if part.strip()]


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


def _digest(record: dict) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]


def describe(spec, checksum_for, settings: dict) -> dict:
    """The provenance record of ``spec`` (deterministic): every input, the fingerprint of
    those staging depends on, the converter's digest and the conversion ``settings``."""
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
    staged_from = {"format_version": fmt.FORMAT_VERSION, "artifacts": artifacts,
                   "code": {name: digest for name, digest in code.items() if name not in CONVERSION_MODULES}}
    converted_by = {name: code[name] for name in CONVERSION_MODULES if name in code}
    return {"fingerprint": _digest(staged_from), "format_version": fmt.FORMAT_VERSION, "code": code,
            "artifacts": artifacts, "conversion": _digest(converted_by),
            "settings": dict(sorted(settings.items()))}


def same_build(built: dict, now: dict) -> bool:
    """True when a build recorded as ``built`` is what ``now``'s inputs give: the same
    staging, converter and shard settings."""
    return all(built.get(key) == now[key] for key in CURRENT_WHEN_EQUAL)

