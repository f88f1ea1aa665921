"""The graph's side of building into object storage (``[storage] datasets_url``).

What changes when the built datasets live in a bucket while artifacts and staging stay
on each host's disk (data/location.py has the storage rules):

- A shard is converted into the host's staging (``outbox/``), then published: its
  validation scan and sidecar first (under ``.build/`` in the dataset's folder, so that
  any host can write the metadata), the shard last, each in one PUT. A shard listed in
  the store therefore always has its sidecar; a killed writer leaves at most a sidecar,
  never a shard, and an incomplete multipart upload is invisible.
- The plan is published too (``.build/plan-<fingerprint>.json``): PlanExamples is
  complete for every host once one host planned, and a host that converts a shard of a
  dataset it has not staged fetches and stages it first (``ensure_staged``), under a
  host-local lock so that its worker processes stage it once.
- ``dataset_info.json`` is uploaded after every other file of the build: its presence
  still means complete.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import shutil
from pathlib import Path

import luigi

import handlers
from data import format as fmt
from data import location, staging
from data.location import Folder
from tasks import config

BUILD_DIR = ".build"  # per-shard records and the plan, beside the shards (hidden: not data)


class FolderTarget(luigi.Target):
    """A file of a data.location.Folder; ``exists`` reads the folder's cached listing."""

    def __init__(self, folder: Folder, name: str):
        self.folder, self.name = folder, name
        self.path = folder.url(name)

    def exists(self) -> bool:
        return self.folder.exists(self.name)

    def __str__(self) -> str:
        return self.path


def datasets_root() -> str:
    """``[storage] datasets_url``, else ``<data dir>/datasets``."""
    url = config.storage().datasets_url.strip()
    return url.rstrip("/") if url else str(config.data_dir() / "datasets")


def folder_of(dataset: str) -> Folder:
    """The folder the dataset's build goes to (local or remote)."""
    return _folder(datasets_root(), dataset, handlers.get(dataset).version)


@functools.lru_cache(maxsize=1024)
def _folder(root: str, dataset: str, version: str) -> Folder:
    return Folder(location.join(root, dataset, version))


def remote_folder(dataset: str) -> Folder | None:
    """The dataset's folder when it is in object storage, else None (the local layout)."""
    root = datasets_root()
    return _folder(root, dataset, handlers.get(dataset).version) if location.is_url(root) else None


def record_name(kind_folder: str, name: str) -> str:
    """Where a shard's sidecar or scan is published: ``.build/<kind folder>/<name>.json``."""
    return f"{BUILD_DIR}/{kind_folder}/{name}.json"


def shard_targets(folder: Folder, local: dict[str, Path]) -> dict[str, FolderTarget]:
    """ConvertShard's outputs in the store, named after its local ones (see graph)."""
    targets = {"shard": FolderTarget(folder, local["shard"].name)}
    for kind in ("sidecar", "scan"):
        if kind in local:
            targets[kind] = FolderTarget(folder, record_name(local[kind].parent.name, local["shard"].name))
    return targets


def publish_shard(folder: Folder, local: dict[str, Path]) -> None:
    """Scan and sidecar (kept on this host too), then the shard (moved): each one PUT."""
    name = local["shard"].name
    for kind in ("scan", "sidecar"):
        if kind in local:
            folder.publish(local[kind], record_name(local[kind].parent.name, name), keep=True)
    folder.publish(local["shard"], name)


def fetch_records(folder: Folder, local_outputs: list[dict[str, Path]]) -> None:
    """Download the sidecars and scans of shards other hosts converted into this host's
    staging, where WriteMetadata reads them (small JSON files, one GET each)."""
    for local in local_outputs:
        for kind in ("sidecar", "scan"):
            path = local.get(kind)
            if path is not None and not path.exists():
                from data.atomic import atomic_path

                with atomic_path(path) as temporary:
                    temporary.write_bytes(folder.read_bytes(record_name(path.parent.name, local["shard"].name)))


def plan_name(fingerprint: str) -> str:
    return f"{BUILD_DIR}/plan-{fingerprint}.json"


def publish_plan(dataset: str, directory: Path, fingerprint: str) -> None:
    folder = remote_folder(dataset)
    if folder is not None:
        folder.publish(directory / staging.PLAN_FILE, plan_name(fingerprint), keep=True)


def plan_published(dataset: str, fingerprint: str) -> bool:
    folder = remote_folder(dataset)
    return folder is not None and folder.exists(plan_name(fingerprint))


def read_plan(dataset: str, directory: Path, fingerprint: str) -> dict:
    """The plan: this host's staging, else the one another host published."""
    folder = remote_folder(dataset)
    if folder is None or (directory / staging.PLAN_FILE).exists():
        return staging.read_plan(directory)
    return json.loads(folder.read_bytes(plan_name(fingerprint)))


def ensure_staged(task, dataset: str) -> None:
    """This host's staging of ``dataset``, fetched and staged here if another host planned
    it (the conversion reads records at random offsets: local disk, not the bucket).
    Worker processes of one host wait for each other on a lock file."""
    from tasks import graph

    plan = graph.PlanExamples(dataset=dataset)
    if Path(plan.output().path).exists():
        return
    lock_dir = Path(plan.output().path).parent.parent
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / ".stage.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if Path(plan.output().path).exists():
            return
        _run_inside(task, plan)


def fetch_here(task, fetches) -> None:
    """Fetch the artifacts this host lacks, inside ``task`` (PlanExamples)."""
    for fetch in fetches:
        if not fetch.complete():
            _run_inside(task, fetch)


def _run_inside(outer, inner) -> None:
    """Run ``inner`` in ``outer``'s process, its progress shown as ``outer``'s."""
    inner.set_status_message = outer.set_status_message
    inner.set_progress_percentage = outer.set_progress_percentage
    inner.run()


def write_metadata(folder: Folder, work: Path, info: dict) -> None:
    """Write the build's metadata files locally, then upload them, dataset_info.json last."""
    from data import metadata

    shutil.rmtree(work, ignore_errors=True)
    metadata.write_info(work, info)
    last = work / fmt.INFO_FILE
    for path in sorted(p for p in work.rglob("*") if p.is_file() and p != last):
        folder.publish(path, path.relative_to(work).as_posix())
    folder.publish(work / fmt.INFO_FILE, fmt.INFO_FILE)
    with contextlib.suppress(OSError):
        shutil.rmtree(work)


def remove_stale(folder: Folder, keep: set[str], records: set[str], plan: str) -> None:
    """After the metadata: shards of an earlier build with another shard count, and build
    records (``.build/``) of shards, converters, scan versions or plans no longer current
    (``records``: the current record folders, ``plan``: the current plan's name). Found
    in one listing, not probed."""
    for name in list(folder.listing(refresh=True)):
        if "/" not in name:
            stale = not name.startswith(".") and ".tfrecord-" in name and name not in keep
        elif name.startswith(f"{BUILD_DIR}/") and name.count("/") == 2:
            _, kind, file = name.split("/")
            stale = kind not in records or file.removesuffix(".json") not in keep
        else:
            stale = name.startswith(f"{BUILD_DIR}/plan-") and name != plan
        if stale:
            folder.delete(name)
