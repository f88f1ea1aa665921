"""Checking a built dataset against its dataset_info.json, without TensorFlow."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from data.format import INFO_FILE
from data.locate import find_dataset_dir
from data.metadata import read_info
from data.shards import describe_shard


class VerificationError(ValueError):
    """The built dataset differs from its metadata; ``damaged`` names the shard files
    that are missing or whose bytes changed (``--repair`` rebuilds exactly those)."""

    def __init__(self, message: str, damaged: list[str]):
        super().__init__(message)
        self.damaged = damaged


@dataclass
class Findings:
    """What ``check`` found: the facts that differ, and the shard files behind them."""

    directory: Path
    name: str
    shards: int = 0
    examples: int = 0
    problems: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)  # shard files, in metadata order


def check(name_or_path: str | os.PathLike, data_dir: Path | None = None) -> Findings:
    """Recompute every shard's sha256, size and record count against the metadata."""
    directory = find_dataset_dir(name_or_path, data_dir)
    try:
        meta = read_info(directory)
    except json.JSONDecodeError as error:
        name = directory.parent.name
        raise VerificationError(
            f"{directory / INFO_FILE} is unreadable ({error}). `python -m tasks verify {name} "
            "--repair` writes it again from staging, then checks the shards", []) from None
    found = Findings(directory, meta["name"])
    for split, split_info in sorted(meta["splits"].items()):
        counted, damaged_before = 0, len(found.damaged)
        for shard in split_info["shards"]:
            path = directory / shard["file"]
            if not path.exists():
                found.problems.append(f"{shard['file']}: missing")
                found.damaged.append(shard["file"])
                continue
            actual = describe_shard(path)
            wrong = [f"{shard['file']}: {name} is {actual[name]}, expected {shard[name]}"
                     for name in ("sha256", "num_bytes", "num_examples")
                     if actual[name] != shard[name]]
            found.problems += wrong
            if wrong:
                found.damaged.append(shard["file"])
            if isinstance(actual["num_examples"], int):
                counted += actual["num_examples"]
            found.shards += 1
        if counted != split_info["num_examples"] and len(found.damaged) == damaged_before:
            found.problems.append(
                f"split {split}: {counted} examples, expected {split_info['num_examples']}"
            )
        found.examples += counted
    return found


def verify(name_or_path: str | os.PathLike, data_dir: Path | None = None) -> dict:
    """Recompute every shard's sha256, size and record count; raise on any difference.

    Returns {"shards": n, "examples": n} when everything matches.
    """
    found = check(name_or_path, data_dir)
    if found.problems:
        raise VerificationError(explain(found), found.damaged)
    return {"shards": found.shards, "examples": found.examples}


def explain(found: Findings) -> str:
    text = (f"{found.name} at {found.directory} does not match its {len(found.problems)} "
            "recorded fact(s):\n  " + "\n  ".join(found.problems))
    if found.damaged:
        text += (f"\nDamaged shard(s): {', '.join(found.damaged)}. `python -m tasks verify "
                 f"{found.name} --repair` deletes them and rebuilds them from staging, "
                 "byte-identical to the original")
    else:
        text += ("\nEvery shard matches, but the metadata contradicts itself: delete "
                 "dataset_info.json and run the build again (only the metadata is rewritten)")
    return text


def has_size(path: Path, num_bytes: int | None) -> bool:
    """``path`` exists with the recorded size: the check a build can afford on every run
    (one stat); a byte changed in place takes ``verify`` to find."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    return num_bytes is None or size == num_bytes


def matches_sidecar(shard: Path, sidecar: Path) -> bool:
    """The shard exists with the size its sidecar (written by its converter) records."""
    try:
        entry = json.loads(sidecar.read_text())
    except (FileNotFoundError, ValueError):
        return False
    return has_size(shard, entry.get("num_bytes"))
