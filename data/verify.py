"""Checking a built dataset against its dataset_info.json, without TensorFlow."""

from __future__ import annotations

import os
from pathlib import Path

from data.location import find_dataset
from data.metadata import read_info
from data.shards import describe_shard


class VerificationError(ValueError):
    pass


def verify(name_or_path: str | os.PathLike, data_dir: Path | None = None) -> dict:
    """Recompute every shard's sha256, size and record count; raise on any difference.
    ``name_or_path`` may be a URL of a build in object storage: its shards are streamed.

    Returns {"shards": n, "examples": n} when everything matches.
    """
    directory = find_dataset(name_or_path, data_dir)  # a local folder or one in a bucket
    meta = read_info(directory)
    present = directory.listing(refresh=True)
    problems = []
    shards = examples = 0
    for split, split_info in sorted(meta["splits"].items()):
        counted = 0
        for shard in split_info["shards"]:
            if shard["file"] not in present:
                problems.append(f"{shard['file']}: missing")
                continue
            actual = describe_shard(directory.url(shard["file"]))
            for field in ("sha256", "num_bytes", "num_examples"):
                if actual[field] != shard[field]:
                    problems.append(
                        f"{shard['file']}: {field} is {actual[field]}, expected {shard[field]}"
                    )
            if isinstance(actual["num_examples"], int):
                counted += actual["num_examples"]
            shards += 1
        if counted != split_info["num_examples"]:
            problems.append(
                f"split {split}: {counted} examples, expected {split_info['num_examples']}"
            )
        examples += counted
    if problems:
        raise VerificationError(
            f"{meta['name']} at {directory} does not match its {len(problems)} "
            "recorded fact(s):\n  " + "\n  ".join(problems)
        )
    return {"shards": shards, "examples": examples}
