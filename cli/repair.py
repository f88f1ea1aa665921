"""``python -m tasks verify NAME --repair``: rebuild the shards whose bytes no longer
match dataset_info.json, through the real graph, byte-identical to the original.

The damaged shard files are deleted; WriteMetadata is then incomplete (a shard it lists
is missing), so the graph reruns ConvertShard for exactly those shards from staging
and writes the metadata again. The same inputs give the same bytes, so the repaired
dataset equals the original, metadata included. Nothing is repaired when the build's
recorded inputs differ from today's (that would be a different dataset, not a repair),
nor when staging is gone and an artifact to plan it again is missing (no download
behind the user's back: the message says what to fetch).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import luigi

from data import format as fmt
from data import locate, metadata
from data.verify import check, explain, verify


class RepairError(ValueError):
    """The dataset cannot be repaired as it stands; the message says why and what to do."""


def repair(name: str, data_dir: Path, workers: int = 1, changes=None) -> dict:
    """Rebuild ``name``'s damaged shards; returns {"repaired": [files], "shards": n,
    "examples": n}. ``changes(spec, info)`` lists how the recorded inputs differ from
    today's (cli.main's rule, shared with plain ``verify``)."""
    import handlers

    spec = handlers.get(name)
    _use_data_dir(data_dir)
    directory = locate.dataset_dir(data_dir, spec.name, spec.version)
    rewritten = _rewrite_lost_metadata(spec, directory, workers)
    found = check(directory)
    if not found.problems:
        return {"repaired": [fmt.INFO_FILE] if rewritten else [], "shards": found.shards,
                "examples": found.examples}
    if not found.damaged:
        raise RepairError(explain(found))
    stale = changes(spec, metadata.read_info(directory)) if changes else []
    if stale:
        raise RepairError(
            f"{spec.name} was built from other inputs than the current ones, so rebuilding "
            f"its damaged shard(s) ({', '.join(found.damaged)}) would not give the original "
            "bytes:\n  " + "\n  ".join(stale) + f"\nRun the build of {spec.name} instead "
            f"(luigi --module tasks BuildDataset --dataset {spec.name} --local-scheduler): "
            "it rebuilds the dataset from today's inputs")
    _check_inputs(spec)
    for file in found.damaged:
        (directory / file).unlink(missing_ok=True)
    print(f"{spec.name}: deleted {len(found.damaged)} damaged shard(s) "
          f"({', '.join(found.damaged)}); rebuilding them from staging", file=sys.stderr)
    _build(spec, workers, "damaged shard(s)")
    after = verify(directory)
    return {"repaired": ([fmt.INFO_FILE] if rewritten else []) + found.damaged, **after}


def _build(spec, workers: int, what: str) -> None:
    """Run the real graph up to WriteMetadata: whatever is missing is built."""
    from tasks.graph import WriteMetadata

    result = luigi.build([WriteMetadata(dataset=spec.name)], local_scheduler=True,
                         workers=workers, detailed_summary=True)
    if not result.scheduling_succeeded or result.status.name not in ("SUCCESS",
                                                                      "SUCCESS_WITH_RETRY"):
        raise RepairError(f"rebuilding {spec.name}'s {what} failed ({result.status.name}); "
                          "the log above says why. Run the same command again once that is "
                          "fixed")


def _rewrite_lost_metadata(spec, directory: Path, workers: int) -> bool:
    """dataset_info.json deleted or unreadable beside shards: write it again from the
    shards' records in staging (the graph's WriteMetadata), so the shards can be checked."""
    path = directory / fmt.INFO_FILE
    try:
        json.loads(path.read_text())
        return False
    except FileNotFoundError:
        if not any(directory.glob("*.tfrecord-*")):
            return False  # never built: check() says how to build it
    except ValueError:
        pass
    _check_inputs(spec)
    path.unlink(missing_ok=True)
    print(f"{spec.name}: {fmt.INFO_FILE} is missing or unreadable; writing it again from "
          "staging", file=sys.stderr)
    _build(spec, workers, fmt.INFO_FILE)
    return True


def _use_data_dir(data_dir: Path) -> None:
    """The graph reads the data dir from Luigi's settings: point them at ``data_dir``."""
    luigi.configuration.get_config().set("storage", "data_dir", str(Path(data_dir).resolve()))


def _check_inputs(spec) -> None:
    """Staging, or else every artifact to plan it again from, must be on disk."""
    from tasks.graph import FetchArtifact, PlanExamples

    if PlanExamples(dataset=spec.name).complete():
        return
    missing = [task for task in (FetchArtifact(source=spec.source_of(a), file=a.file)
                                 for a in spec.artifacts) if not task.complete()]
    if missing:
        paths = "\n  ".join(str(task.output().path) for task in missing)
        raise RepairError(
            f"{spec.name}'s staging is gone, and it cannot be planned again without its "
            f"artifact(s), missing or unverified:\n  {paths}\nNothing was deleted. Put them "
            f"back (`python -m tasks doctor {spec.name}` says where to get each, and files "
            "hand-downloaded copies into place) and run this command again")
    print(f"{spec.name}: staging is gone; planning it again from the artifacts", file=sys.stderr)
