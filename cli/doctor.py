"""The manual-download doctor: which artifacts are in place, damaged or missing, and
filing files a user downloaded by hand (under whatever name) into the artifact store.

An artifact is checked against the checksum a fetch would check (the rule is
``data.artifacts.ArtifactStore.applicable``). Files in place were verified when fetched;
they are hashed again here to catch later damage.

Files in a drop folder are hashed (md5 and sha256 in one pass) and matched by content,
so a browser's ``archive (1).zip`` finds its place. An artifact nothing can verify
(no checksum, never fetched) is matched by its exact file name instead, and said to be
unverified. A verified match is accepted by the artifact store (stored once by its
sha256, linked under its name); the original is removed when the store holds it as a
hard link (a move), kept otherwise (a copy). A verified file already in place is never
replaced; a damaged one is set aside by the store, as a fetch would.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from data import locate
from data.artifacts import ArtifactStore, Checksum, partial_path
from data.atomic import atomic_path
from fetch.http import CHUNK
from handlers._spec import Artifact, DatasetSpec

ChecksumFor = Callable[[Artifact, str], "tuple[str, str] | None"]
ALGORITHMS = ("md5", "sha256")
BAR_BYTES = 32 << 20  # smaller files hash in well under a second: no bar


def handler_checksum(artifact: Artifact, source: str) -> tuple[str, str] | None:
    return artifact.checksum


@dataclass(frozen=True)
class Wanted:
    """One artifact of the requested datasets, where it goes and what it must hash to."""

    spec: DatasetSpec
    artifact: Artifact
    target: Path
    checksum: Checksum | None  # what it must match, by the store's rule

    @property
    def expected(self) -> tuple[str, str] | None:
        return (self.checksum.algorithm, self.checksum.digest) if self.checksum else None


def wanted(specs: Iterable[DatasetSpec], data_dir: Path,
           checksum_for: ChecksumFor = handler_checksum) -> list[Wanted]:
    """Every artifact of ``specs`` once (datasets sharing a source share artifacts)."""
    found: dict[Path, Wanted] = {}
    for spec in specs:
        for artifact in spec.artifacts:
            target = locate.artifacts_dir(Path(data_dir), spec.source_of(artifact)) / artifact.file
            if target in found:
                continue
            checksum = ArtifactStore.applicable(target, checksum_for(artifact, spec.source_of(artifact)),
                                                artifact.checksum)
            found[target] = Wanted(spec, artifact, target, checksum)
    return list(found.values())


def digests(path: Path, algorithms: Iterable[str] = ALGORITHMS) -> dict[str, str]:
    """Hex digests of ``path`` in one streaming pass, with a progress bar for big files
    when stderr is a terminal."""
    hashers = {name: hashlib.new(name) for name in algorithms}
    size = path.stat().st_size
    with (
        open(path, "rb") as stream,
        tqdm(total=size, unit="B", unit_scale=True, unit_divisor=1024, desc=path.name,
             leave=False, disable=None if size >= BAR_BYTES else True) as bar,
    ):
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            for hasher in hashers.values():
                hasher.update(chunk)
            bar.update(len(chunk))
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


# --- the diagnosis ------------------------------------------------------------------


def diagnose(specs: Iterable[DatasetSpec], data_dir: Path,
             checksum_for: ChecksumFor = handler_checksum,
             known: dict[Path, dict[str, str]] | None = None) -> list[dict]:
    """One row per (dataset, artifact): status "ok", "wrong", "unverified" or "missing",
    with what a human needs to act on it. ``known`` holds digests computed already."""
    specs = list(specs)
    by_target = {item.target: item for item in wanted(specs, data_dir, checksum_for)}
    states: dict[Path, dict] = {}
    rows = []
    for spec in specs:
        for artifact in spec.artifacts:
            target = locate.artifacts_dir(Path(data_dir), spec.source_of(artifact)) / artifact.file
            if target not in states:
                states[target] = _state(by_target[target], (known or {}).get(target))
            rows.append({"dataset": spec.name, **states[target]})
    return rows


def _state(item: Wanted, known: dict[str, str] | None) -> dict:
    artifact, spec = item.artifact, item.spec
    row = {"file": artifact.file, "path": str(item.target), "expected_size": artifact.size}
    if item.expected:
        row["algorithm"], row["expected"] = item.expected
        row["checksum_from"] = item.checksum.origin
    if not item.target.is_file():
        partial = partial_path(item.target)
        return row | {
            "status": "missing",
            "url": artifact.url,
            "manual": artifact.manual,
            "homepage": spec.homepage,
            "license": spec.license,
            "partial_bytes": partial.stat().st_size if partial.exists() else None,
        }
    row["size"] = item.target.stat().st_size
    if item.expected is None:
        return row | {"status": "unverified"}
    algorithm, expected = item.expected
    actual = (known or {}).get(algorithm) or digests(item.target, (algorithm,))[algorithm]
    return row | {"status": "ok" if actual == expected else "wrong", "actual": actual}


def healthy(rows: Iterable[dict]) -> bool:
    return all(row["status"] == "ok" for row in rows)


def format_report(rows: list[dict]) -> str:
    lines: list[str] = []
    dataset = None
    for row in rows:
        if row["dataset"] != dataset:
            dataset = row["dataset"]
            lines.append(("\n" if lines else "") + dataset)
        lines.extend(_describe(row))
    counts = {status: sum(row["status"] == status for row in rows)
              for status in ("ok", "wrong", "unverified", "missing")}
    lines.append("\n" + ", ".join(f"{n} {status}" for status, n in counts.items() if n)
                 + f" of {len(rows)} artifact(s)")
    return "\n".join(lines)


def _describe(row: dict) -> list[str]:
    status, name = row["status"], row["file"]
    checksum = f"{row['algorithm']} {row['expected']}" if "expected" in row else "no checksum"
    if status == "ok":
        return [f"  ok          {name} ({_size(row['size'])}, {row['algorithm']} verified)"]
    if status == "unverified":
        return [f"  unverified  {name} ({_size(row['size'])}): no checksum to check it against; "
                "the next build records its sha256"]
    if status == "wrong":
        sizes = _size(row["size"]) + (f", expected {_size(row['expected_size'])}"
                                      if row["expected_size"] else "")
        return [f"  WRONG       {name} ({sizes})",
                f"              {row['algorithm']} is {row['actual']}",
                f"              expected    {row['expected']} (from {row['checksum_from']})",
                f"              at {row['path']}: delete it or replace it with the right file"]
    size = _size(row["expected_size"]) if row["expected_size"] else "size unknown"
    lines = [f"  MISSING     {name} ({size}, {checksum})"]
    if row["url"]:
        lines.append(f"              get it from {row['url']}")
    if row["manual"]:
        lines.append(f"              by hand: {row['manual']}")
    lines.append(f"              dataset page {row['homepage']}; licence: {row['license']}")
    if row["partial_bytes"]:
        lines.append(f"              a partial download of {_size(row['partial_bytes'])} is "
                     "there; the next build resumes it")
    lines.append(f"              put it at {row['path']} or in a --drop-folder")
    return lines


def _size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


# --- the drop folder ----------------------------------------------------------------


def file_drops(folder: Path, specs: Iterable[DatasetSpec], data_dir: Path,
               checksum_for: ChecksumFor = handler_checksum) -> list[dict]:
    """File every regular file under ``folder`` that matches a wanted artifact.

    One entry per dropped file: ``outcome`` is "filed" (with ``how``: moved or
    copied), "in place" (an identical file is there already), "kept" (a file the
    doctor cannot verify is there already and is left alone) or "unmatched".
    """
    items = wanted(specs, data_dir, checksum_for)
    by_digest: dict[tuple[str, str], list[Wanted]] = {}
    by_name: dict[str, list[Wanted]] = {}
    for item in items:
        if item.expected:
            by_digest.setdefault(item.expected, []).append(item)
        else:
            by_name.setdefault(item.artifact.file, []).append(item)
    results = []
    for path in _dropped_files(Path(folder), data_dir):
        sums = digests(path)
        matches = by_digest.get(("sha256", sums["sha256"]), []) + by_digest.get(("md5", sums["md5"]), [])
        verified = bool(matches)
        if not matches:
            matches = by_name.get(path.name, [])
        entry = {"path": str(path), "size": path.stat().st_size, **sums, "targets": []}
        if not matches:
            results.append(entry | {"outcome": "unmatched"})
            continue
        filed = []
        for item in matches:
            outcome = _file_one(path, item, sums, verified)
            entry["targets"].append({"dataset": item.spec.name, "path": str(item.target),
                                     "outcome": outcome})
            if outcome == "filed":
                filed.append(item.target)
        how = _finish(path, filed) if filed else None
        outcomes = {target["outcome"] for target in entry["targets"]}
        outcome = "filed" if filed else ("in place" if outcomes == {"in place"} else "kept")
        results.append(entry | {"outcome": outcome, "how": how, "verified": verified})
    return results


def known_digests(results: list[dict]) -> dict[Path, dict[str, str]]:
    """Digests of the files just filed, so the diagnosis after filing need not rehash."""
    return {Path(target["path"]): {name: result[name] for name in ALGORITHMS}
            for result in results if result["outcome"] == "filed"
            for target in result["targets"] if target["outcome"] == "filed"}


def _dropped_files(folder: Path, data_dir: Path) -> list[Path]:
    if not folder.is_dir():
        raise FileNotFoundError(f"no drop folder {folder}")
    store = (Path(data_dir) / "artifacts").resolve()
    files = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        # Hidden files are temporaries (ours, a browser's partial downloads).
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if path.resolve().is_relative_to(store):
            continue
        files.append(path)
    return files


def _file_one(path: Path, item: Wanted, sums: dict[str, str], verified: bool) -> str:
    target = item.target
    if target.is_file():
        if not verified:
            return "kept"
        algorithm, expected = item.expected
        actual = digests(target, (algorithm,))[algorithm]
        if actual == expected:
            return "in place"
        ArtifactStore.reject(target, target, actual)
    if verified:
        ArtifactStore.holding(target).accept(target, path, sums["sha256"], item.checksum, move=False)
        return "filed"
    with atomic_path(target) as temporary:
        try:
            os.link(path, temporary)
        except OSError as error:
            if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                raise
            shutil.copyfile(path, temporary)
    ArtifactStore.forget(target)
    return "filed"


def _finish(path: Path, filed: list[Path]) -> str:
    """Remove the dropped file when every copy in the store is a link to it (a move)."""
    original = path.stat()
    if all(os.path.samestat(original, target.stat()) for target in filed):
        path.unlink()
        return "moved"
    return "copied"


def format_drops(folder: Path, results: list[dict]) -> str:
    lines = [f"drop folder {folder}:"]
    if not results:
        lines.append("  (no files)")
    for result in results:
        name = str(Path(result["path"]).relative_to(folder))
        if result["outcome"] == "unmatched":
            lines.append(f"  unmatched  {name} ({_size(result['size'])}, sha256 "
                         f"{result['sha256']}): matches no requested artifact")
            continue
        note = "verified by checksum" if result["verified"] else \
            "matched by file name only: UNVERIFIED, no checksum known"
        for target in result["targets"]:
            verb = {"filed": f"{result['how']} to", "in place": "already in place at",
                    "kept": "left alone, a file is already at"}[target["outcome"]]
            lines.append(f"  {target['outcome']:<9}  {name} {verb} {target['path']} "
                         f"({target['dataset']}; {note})")
    return "\n".join(lines)
