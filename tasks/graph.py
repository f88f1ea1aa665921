"""The Luigi graph: FetchArtifact -> PlanExamples -> ConvertShard x N -> WriteMetadata.

``luigi --module tasks BuildDataset --dataset mnist`` builds one dataset; every task
leaves an on-disk target, so a killed run resumes and a failed shard reruns alone.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import os
import shutil
import time
from pathlib import Path

import luigi
import luigi.interface

import handlers
from data import (
    encoded_pngs,
    images,
    locate,
    metadata,
    ownership,
    settings,
    shards,
    staging,
    validation,
)
from data import format as fmt
from data.artifacts import ArtifactStore, recorded_sha256
from data.atomic import atomic_path, write_json_atomic
from data.verify import matches_sidecar
from fetch import download_host, fetch
from tasks import config, progress, provenance, status, store

log = logging.getLogger("luigi-interface")


class CountMismatchError(ValueError):
    """A real build's split sizes differ from the handler's ``num_examples``."""


# A handler that can list the keys it expects declares them in its spec's ``extra``:
# {"expected_keys": fn}, fn(artifacts_dir) -> {split: keys}. A count mismatch then names
# a few of the keys produced but not expected, and of those expected but not produced.
EXPECTED_KEYS = "expected_keys"
SHOWN_KEYS = 5
SHOWN_ARTIFACTS = 5


def _count_mismatch(spec, found: dict[str, int], plan: dict, directory: Path) -> str:
    """The CountMismatchError message, one paragraph: which splits differ and by how much,
    example keys where the handler can know them, how to build anyway, what to report."""
    declared = dict(spec.num_examples)
    differ = sorted(s for s in set(declared) | set(found) if declared.get(s, 0) != found.get(s, 0))
    sizes = "; ".join(
        f"{s} declared {declared.get(s, 0)}, found {found.get(s, 0)} ({found.get(s, 0) - declared.get(s, 0):+d})"
        for s in differ
    )
    checksums = [f"{file} sha256:{digest or 'unrecorded'}" for file, digest in _artifact_sha256(spec).items()]
    if len(checksums) > SHOWN_ARTIFACTS:
        checksums[SHOWN_ARTIFACTS:] = [f"and {len(checksums) - SHOWN_ARTIFACTS} more, recorded in "
                                       f"artifacts/{spec.source}/.<file>.sha256"]
    return (
        f"{spec.name}: the artifacts give other split sizes than the handler declares: {sizes}. "
        f"{_key_differences(spec, differ, plan, directory)} "
        f"`python -m tasks doctor {spec.name}` checks the artifacts against their checksums again: "
        "if they pass, the files are the expected ones and the handler's counts or its reading "
        "of the files is wrong; if not, the files changed upstream or are truncated. To build "
        "anyway, set `check_counts = false` in the [convert] section of luigi.cfg (no "
        "command-line flag turns it off) and run the same command again. Please report it on "
        f"the project's issue tracker with the dataset name ({spec.name}), the artifacts' "
        f"checksums ({', '.join(checksums)}) and these counts (declared "
        f"{dict(sorted(declared.items()))}, found {dict(sorted(found.items()))})."
    )


def _key_differences(spec, splits: list[str], plan: dict, directory: Path) -> str:
    """A sentence naming up to SHOWN_KEYS keys produced but not expected and expected but
    not produced in ``splits``, or saying why it cannot."""
    expected_keys = spec.extra.get(EXPECTED_KEYS)
    if expected_keys is None:
        return "The handler declares counts only, not keys, so which examples differ cannot be named."
    try:
        listed = expected_keys(locate.artifacts_dir(config.data_dir(), spec.source))
        expected = {split: set(keys) for split, keys in listed.items() if split in splits}
    except Exception as error:  # noqa: BLE001 - the count mismatch is the error to report
        return (f"The handler's expected keys could not be listed ({type(error).__name__}: "
                f"{error}), so which examples differ cannot be named.")
    unexpected, missing = [], []
    with staging.StagedRecords(directory / plan["records"]) as records:
        for split in splits:
            produced = set()
            if split in plan["splits"]:
                rows, _ = staging.shard_rows(directory, plan, split, 0, 1)
                produced = {records.key(offset) for offset in rows[:, 1].tolist()}
            wanted = expected.get(split, set())
            unexpected += [(key, split) for key in produced - wanted]
            missing += [(key, split) for key in wanted - produced]

    def some(pairs) -> str:
        if not pairs:
            return "none"
        first = sorted(pairs, key=lambda pair: (pair[1], pair[0]))[:SHOWN_KEYS]
        shown = ", ".join(
            ", ".join(repr(key) for key, _ in group) + f" in {split}"
            for split, group in itertools.groupby(first, key=lambda pair: pair[1]))
        return f"{len(pairs)} ({'e.g. ' if len(pairs) > SHOWN_KEYS else ''}{shown})"

    return f"Keys produced but not expected: {some(unexpected)}; expected but not produced: {some(missing)}."


def _artifact_sha256(spec) -> dict[str, str | None]:
    """file -> the sha256 recorded when the artifact was accepted (None if unrecorded)."""
    return {
        a.file: recorded_sha256(locate.artifacts_dir(config.data_dir(), spec.source_of(a)) / a.file)
        for a in spec.artifacts
    }


@functools.cache
def provenance_of(dataset: str) -> dict:
    """The dataset's build inputs and fingerprint (fixed for the life of a process)."""
    return provenance.describe(handlers.get(dataset), config.fetch_settings().checksum_for,
                               config.conversion_settings())


def staging_of(dataset: str) -> Path:
    """staging/<dataset>/<fingerprint>/: a changed input means a fresh, empty folder."""
    return locate.staging_dir(config.data_dir(), dataset) / provenance_of(dataset)["fingerprint"]


@functools.lru_cache(maxsize=256)
def _plan_of(dataset: str) -> dict:
    """The dataset's plan; read once per process (it is written once per fingerprint)."""
    return read_plan(dataset)


def read_plan(dataset: str) -> dict:
    """This host's plan, or (datasets in object storage) the one another host published."""
    return store.read_plan(dataset, staging_of(dataset), provenance_of(dataset)["fingerprint"])


def shard_counts(plan: dict) -> dict[str, int]:
    """split -> number of shards: decided at conversion time, from the plan's sizes and
    this run's [convert] settings, so a new shard size needs no new staging."""
    settings = config.convert()
    return staging.shard_counts(plan, int(settings.target_shard_mb * 1e6), settings.min_shards)


class StorageTask(config.ParamsOnce, luigi.Task):
    """Base of every task here: failures are journaled in the data dir for `status`."""


@StorageTask.event_handler(luigi.Event.FAILURE)
def _journal_failure(task, exception):
    status.record_failure(config.data_dir(), task, exception)


@StorageTask.event_handler(luigi.Event.SUCCESS)
def _clear_failure(task):
    status.clear_failure(config.data_dir(), task)


@StorageTask.event_handler(luigi.Event.START)
def _govern_pixel_limit(task):
    """[convert] max_image_pixels as luigi sees it (a command-line override included) is
    the limit PIL enforces in the process that runs the task, handlers included."""
    images.govern_pixel_limit(config.convert().max_image_pixels)


class FetchArtifact(StorageTask):
    """A verified artifact file at artifacts/<source>/<file>."""

    source = luigi.Parameter()
    file = luigi.Parameter()

    def _spec(self):
        # The owner's declaration, not a borrower's (see handlers._spec.borrow).
        return handlers.owner_of(self.source, self.file)

    def _spec_artifact(self):
        return self._spec().artifact(self.file)

    @property
    def resources(self):
        # One of [resources] downloads overall, and one of downloads@<host> per host, so
        # a build of many datasets from one provider does not hammer it.
        host = download_host(self._spec_artifact(), config.fetch_settings())
        return {"downloads": 1, **({f"downloads@{host}": 1} if host else {})}

    def output(self):
        return luigi.LocalTarget(locate.artifacts_dir(config.data_dir(), self.source) / self.file)

    def _store(self) -> ArtifactStore:
        return ArtifactStore(config.data_dir() / "artifacts")

    def _published(self):
        return config.fetch_settings().checksum_for(self._spec_artifact(), self.source)

    def complete(self):
        # Verified, and against today's checksum (a file put there by hand is verified
        # first; one verified against a checksum since changed is fetched again).
        return self._store().verified(_path(self.output()), self._published())

    def run(self):
        # Another build may fetch the same file (Luigi's own lock only matches identical
        # command lines): wait for it, then use what it fetched.
        with self._store().writing(_path(self.output())):
            if self.complete():
                log.info("%s/%s was fetched by another process meanwhile", self.source, self.file)
                return
            self._fetch()

    def _fetch(self):
        started = time.monotonic()
        path = _path(self.output())
        if self._store().verified(path, None) and not self.complete():
            aside = self._store().supersede(path)
            log.warning("%s was verified against another checksum; moved to %s", path.name, aside.name)

        reporter = progress.Reporter(self, self.source, "fetch", "bytes")

        def report(done, total):
            rate = done / max(time.monotonic() - started, 1e-6) / 1e6
            size = f"/{total / 1e6:.1f}" if total else ""
            reporter.update(done, total, f"{self.file}: {done / 1e6:.1f}{size} MB at {rate:.1f} MB/s")

        spec = self._spec()
        fetch(spec.artifact(self.file), self.source, path,
              config.fetch_settings(), report, page=spec.homepage)
        size = path.stat().st_size
        reporter.finish(size, size, f"{self.file}: {size / 1e6:.1f} MB verified")


def _link_borrowed(spec) -> None:
    """Relative symlinks in the dataset's artifact folder to the artifacts it borrows, so
    its handler reads every file from one folder while each is stored once."""
    own = locate.artifacts_dir(config.data_dir(), spec.source)
    own.mkdir(parents=True, exist_ok=True)
    for artifact in spec.borrowed:
        link = own / artifact.file
        target = Path(os.path.relpath(locate.artifacts_dir(config.data_dir(), artifact.source) / artifact.file, own))
        if link.is_symlink() and Path(os.readlink(link)) == target:
            continue
        with atomic_path(link, sync=False) as temporary:
            temporary.symlink_to(target)


class PlanExamples(StorageTask):
    """The dataset's examples read once into staging/<dataset>/, with their plan (per-split
    counts and bytes; the shard counts follow at conversion time, see ``shard_counts``)."""

    dataset = luigi.Parameter()

    @property
    def resources(self):
        # In object storage mode this task fetches its artifacts itself (see requires).
        return {"conversions": 1} | ({"downloads": 1} if store.remote_folder(self.dataset) else {})

    def fetches(self) -> list[FetchArtifact]:
        spec = handlers.get(self.dataset)
        return [FetchArtifact(source=spec.source_of(a), file=a.file) for a in spec.artifacts]

    def requires(self):
        # Datasets in object storage: artifacts are on the disk of the host that stages,
        # which the scheduler does not choose, so the fetches run inside run() instead.
        return [] if store.remote_folder(self.dataset) else self.fetches()

    def output(self):
        return luigi.LocalTarget(staging_of(self.dataset) / staging.PLAN_FILE)

    def complete(self):
        # Staged references read their artifacts in place: one changed since is planned
        # again, and so is staging dropped after a build ([convert] keep_staging = false).
        # Datasets in object storage: planned by any host is enough; a host stages what it
        # converts (tasks/store.py: ensure_staged).
        return (staging.staged(staging_of(self.dataset))
                or store.plan_published(self.dataset, provenance_of(self.dataset)["fingerprint"]))

    def run(self):
        # Another build may plan the same dataset: wait for it, then use its plan.
        # Temporaries of a killed planning are removed (see data/ownership.py).
        directory = staging_of(self.dataset)
        try:
            with ownership.owned(directory / staging.PLAN_FILE, f"PlanExamples({self.dataset})"):
                # Staged here (a plan published by another host is not: tasks/store.py
                # runs this to stage it on this host).
                if staging.staged(directory):
                    log.info("%s was planned by another process meanwhile", self.dataset)
                    return
                ownership.sweep(directory)
                self._plan()
        except BaseException:
            staging.discard(directory)  # the folders too, now that the lock file is gone
            raise

    def _plan(self):
        spec = handlers.get(self.dataset)
        remote = store.remote_folder(self.dataset) is not None
        if remote:
            store.fetch_here(self, self.fetches())
        settings = config.convert()
        directory = staging_of(self.dataset)
        for stale in directory.parent.glob("*"):
            # Staging of an older fingerprint (changed handler, artifact or settings).
            if stale.is_dir() and stale != directory:
                shutil.rmtree(stale, ignore_errors=True)
        artifacts_dir = locate.artifacts_dir(config.data_dir(), spec.source)
        _link_borrowed(spec)
        skipped: list[str] = []

        def kept(items):
            for item in items:
                if item.key in spec.skip_members:
                    skipped.append(item.key)
                    continue
                yield item

        reporter = progress.Reporter(self, self.dataset, "plan", "examples")
        # The other workers' cores encode raw images as PNG while this one reads: the
        # workers that convert next are idle until the plan exists.
        helpers = min(_workers(), os.cpu_count() or 1) - 1
        try:
            checks = config.validate()
            with encoded_pngs.Encoder(directory, spec.features.channels, helpers,
                                      hash_jpegs=checks.enabled and not checks.full_decode) as encoder:
                plan = staging.stage(
                    kept(spec.examples(artifacts_dir)),
                    spec.features,
                    directory,
                    spec.split_rule,
                    progress=lambda n: reporter.update(n, None, f"read {n} examples"),
                    on_record=encoder.add_record,
                    refer_within=config.data_dir() / "artifacts",  # verified files only, not a handler's scratch
                )
            counts = {split: info["num_examples"] for split, info in plan["splits"].items()}
            total = sum(counts.values())
            reporter.finish(total, total, f"planned {total} examples: "
                            + ", ".join(f"{split} {n}" for split, n in sorted(counts.items())))
            if settings.check_counts and spec.num_examples is not None and counts != dict(spec.num_examples):
                raise CountMismatchError(_count_mismatch(spec, counts, plan, directory))
            plan["skipped_members"] = sorted(set(skipped))
            if remote:  # for the host that writes the metadata, which may not have them
                plan["artifact_sha256"] = _artifact_sha256(spec)
            staging.write_plan(directory, plan)
            store.publish_plan(self.dataset, directory, provenance_of(self.dataset)["fingerprint"])
        except BaseException as error:
            staging.discard(directory)  # a failed plan leaves no staging behind
            explained = images.explained(error, f"dataset {self.dataset}")
            if explained is error:
                raise
            raise explained from error


def _workers() -> int:
    """The run's --workers (1 where unknown)."""
    try:
        return max(1, int(luigi.interface.core().workers))
    except Exception:  # noqa: BLE001 - outside a luigi run
        return 1


class ConvertShard(StorageTask):
    """One TFRecord shard datasets/<dataset>/<version>/<dataset>-<split>.tfrecord-i-of-n."""

    dataset = luigi.Parameter()
    split = luigi.Parameter()
    shard = luigi.IntParameter()
    num_shards = luigi.IntParameter()
    resources = {"conversions": 1}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._outputs: dict | None = None
        self._local_outputs: dict[bool, dict[str, Path]] = {}

    def requires(self):
        return PlanExamples(dataset=self.dataset)

    @property
    def priority(self) -> float:
        """The shard's number of examples: larger shards are started first, so a build
        does not end with one worker converting a large shard while the others idle."""
        try:
            split = _plan_of(self.dataset)["splits"][self.split]
        except (OSError, ValueError, KeyError):
            return 0
        return split["num_examples"] / max(self.num_shards, 1)

    # A task's paths are fixed for the life of a process (its settings are, and so is
    # provenance_of): they are worked out once per task object. Luigi keeps one object per
    # task id, and checks each shard's completeness on the one core that schedules while
    # the workers wait (a few ms a shard: seconds at thousands of shards), and
    # WriteMetadata asks for every shard's files several times.
    def output(self):
        if self._outputs is None:
            folder = store.remote_folder(self.dataset)
            if folder is not None:  # in object storage: shard, sidecar and scan in its folder
                self._outputs = store.shard_targets(folder, self.local_outputs())
            else:
                self._outputs = {name: luigi.LocalTarget(path) for name, path in self.local_outputs().items()}
        return dict(self._outputs)

    def local_outputs(self, outbox: bool = False) -> dict[str, Path]:
        """The shard, sidecar and scan files on this host (``outbox``: the shard in staging,
        before it is published to object storage)."""
        if outbox not in self._local_outputs:
            self._local_outputs[outbox] = self._find_local_outputs(outbox)
        return dict(self._local_outputs[outbox])

    def _find_local_outputs(self, outbox: bool) -> dict[str, Path]:
        spec = handlers.get(self.dataset)
        name = fmt.shard_name(self.dataset, self.split, self.shard, self.num_shards)
        staged = staging_of(self.dataset)
        shard_dir = staged / "outbox" if outbox else locate.dataset_dir(config.data_dir(), self.dataset, spec.version)
        return {
            "shard": shard_dir / name,
            # Under the converter's digest: changed conversion code converts again.
            "sidecar": staged / f"shards-{provenance_of(self.dataset)['conversion']}" / f"{name}.json",
        } | ({
            # The per-shard half of the validation stage, built while converting (or read
            # back from the written file); a scan of an older kind is not merged.
            "scan": staged / f"validation-v{validation.SCAN_VERSION}" / f"{name}.json",
        } if config.validate().enabled else {})

    def complete(self):
        # A shard cut short (a full disk, a bad copy) is converted again: its size is
        # checked against its sidecar, one stat; a byte changed in place is verify's.
        # (An object in a bucket is whole by construction: see tasks/store.py.)
        outputs = self.output()
        if not all(target.exists() for target in outputs.values()):
            return False
        if not isinstance(outputs["shard"], luigi.LocalTarget):
            return True
        return matches_sidecar(_path(outputs["shard"]), _path(outputs["sidecar"]))

    def run(self):
        # Another build converting the same shard: wait for it; the shard is then there
        # and is not converted again (_convert checks under the lock).
        # In object storage the lock is on the local file it is converted into (the outbox).
        local = self.local_outputs(outbox=store.remote_folder(self.dataset) is not None)["shard"]
        with ownership.owned(local, f"ConvertShard({self.dataset}, {self.split}, {self.shard})"):
            self._convert()

    def _convert(self):
        spec = handlers.get(self.dataset)

        reporter = progress.Reporter(self, self.dataset, "convert", "examples")

        def report(done, total):
            reporter.update(done, total, f"{done}/{total} examples written")

        folder = store.remote_folder(self.dataset)
        if folder is not None:
            store.ensure_staged(self, self.dataset)
        outputs = {name: luigi.LocalTarget(path) for name, path in self.local_outputs(folder is not None).items()}
        scan_path = _path(outputs["scan"]) if "scan" in outputs else None
        if not matches_sidecar(_path(outputs["shard"]), _path(outputs["sidecar"])):
            shards.convert_shard(
                staging_of(self.dataset),
                self.split,
                self.shard,
                self.num_shards,
                spec.features,
                _path(outputs["shard"]),
                _path(outputs["sidecar"]),
                max_pixels=config.convert().max_image_pixels,
                progress=report,
                scan_path=scan_path,
                full_decode=config.validate().full_decode,
            )
        elif scan_path is not None:
            # A shard finished before validation was enabled: read back, never rewritten.
            self.set_status_message("validating the written shard")
            scan = validation.scan_shard(_path(outputs["shard"]), self.split, spec.features,
                                         full_decode=config.validate().full_decode)
            write_json_atomic(scan_path, scan, compact=True)
            total = scan["num_records"]
            self.set_status_message(f"{total}/{total} examples written; read back and checked")
        written = json.loads(_path(outputs["sidecar"]).read_text())["num_examples"]
        if folder is not None:
            store.publish_shard(folder, {name: _path(target) for name, target in outputs.items()})
        reporter.finish(written, written, f"{written} examples in {_path(outputs['shard']).name}")


class ValidationError(ValueError):
    """The built dataset breaks its own metadata (or leaks, when that is set to fail)."""


class WriteMetadata(StorageTask):
    """dataset_info.json, written after every shard exists; its presence = complete."""

    dataset = luigi.Parameter()

    def requires(self):
        return PlanExamples(dataset=self.dataset)

    def _directory(self):
        spec = handlers.get(self.dataset)
        return locate.dataset_dir(config.data_dir(), self.dataset, spec.version)

    def output(self):
        folder = store.remote_folder(self.dataset)
        if folder is not None:
            return store.FolderTarget(folder, fmt.INFO_FILE)
        return luigi.LocalTarget(self._directory() / fmt.INFO_FILE)

    def complete(self):
        # Complete means the metadata and every shard it lists exist with its recorded
        # size: a deleted or cut shard makes the dataset incomplete, and a rerun rebuilds
        # just that shard (a byte changed in place: `python -m tasks verify --repair`).
        # In object storage: one listing of the folder answers for all of them.
        folder = store.folder_of(self.dataset)
        if not folder.exists(fmt.INFO_FILE):
            return False
        try:
            info = json.loads(folder.read_bytes(fmt.INFO_FILE))
        except (ValueError, FileNotFoundError):
            return False
        if not provenance.same_build(info.get("provenance", {}), provenance_of(self.dataset)):
            return False  # other inputs: stage again, or convert again from the same staging
        return all(
            folder.has_size(shard["file"], shard.get("num_bytes"))
            for split in info.get("splits", {}).values()
            for shard in split.get("shards", [])
        )

    def shard_tasks(self):
        counts = shard_counts(read_plan(self.dataset))
        return [
            ConvertShard(dataset=self.dataset, split=split, shard=i, num_shards=count)
            for split, count in sorted(counts.items())
            for i in range(count)
        ]

    def run(self):
        tasks = self.shard_tasks()
        yield tasks  # dynamic dependencies: the shard counts follow from the plan
        remote = store.remote_folder(self.dataset) is not None
        # In object storage the lock is on this host's outbox copy of the metadata.
        local = staging_of(self.dataset) / "outbox" / fmt.INFO_FILE if remote else _path(self.output())
        with ownership.owned(local, f"WriteMetadata({self.dataset})"):
            if self.complete():
                log.info("%s's metadata is current (written by another process meanwhile, or the shards rebuilt match it)", self.dataset)
            else:
                self._write(tasks, remote)
            if not config.convert().keep_staging:
                staging.drop(staging_of(self.dataset))  # a repair plans again from the artifacts

    def _write(self, tasks, remote: bool) -> None:
        # What killed writers left: temporaries of shards (of any shard count), sidecars,
        # scans and metadata files, and their lock files. A live writer's are kept.
        for folder in (staging_of(self.dataset),) if remote else (self._directory(), staging_of(self.dataset)):
            ownership.sweep(folder, recursive=True)
        if not remote:
            for folder in (self._directory().parent.parent, config.data_dir()):
                ownership.sweep(folder)  # the TFDS guard files (data/tfds_compat.py)
        folder = store.remote_folder(self.dataset)
        if folder is not None:  # records of shards other hosts converted
            store.fetch_records(folder, [task.local_outputs() for task in tasks])
        entries: dict[str, list[dict]] = {}
        for task in tasks:
            sidecar = task.local_outputs()["sidecar"]
            entries.setdefault(task.split, []).append(json.loads(sidecar.read_text()))
        info = metadata.build_info(handlers.get(self.dataset), entries)
        info["provenance"] = self._provenance()
        if config.storage().fixture_data:
            info["fixture_data"] = True
            info["description"] = "FIXTURE DATA, not the real dataset: " + info["description"]
        skipped = read_plan(self.dataset).get("skipped_members", [])
        info["skipped_members"] = {"count": len(skipped), "keys": skipped}
        if config.validate().enabled:
            info["validation"] = self._validation(tasks)
        if folder is not None:
            store.write_metadata(folder, staging_of(self.dataset) / "outbox" / "metadata", info)
            store.remove_stale(folder, {entry["file"] for split in entries.values() for entry in split},
                               {path.parent.name for name, path in tasks[0].local_outputs().items() if name != "shard"},
                               store.plan_name(provenance_of(self.dataset)["fingerprint"]))
        else:
            metadata.write_info(self._directory(), info)
        encoded_pngs.discard(staging_of(self.dataset))  # they served this conversion
        total = sum(split["num_examples"] for split in info["splits"].values())
        progress.Reporter(self, self.dataset, "metadata", "examples").finish(
            total, total, f"{total} examples in {len(info['splits'])} splits; "
            + (self._validation_summary if config.validate().enabled else "validation off"))
        for stale in self._directory().glob("[!.]*.tfrecord-*") if folder is None else ():
            # Shards of an earlier build with another shard count are not part of this one.
            if stale.name not in {entry["file"] for split in entries.values() for entry in split}:
                stale.unlink()

    def _validation(self, tasks) -> dict:
        """The validation stage: merge the shards' scans, log the findings, and raise when
        the build must fail (see data/validation/report.py)."""
        settings = config.validate()
        by_split: dict[str, list[Path]] = {}  # scan files, read one at a time
        for task in tasks:
            by_split.setdefault(task.split, []).append(task.local_outputs()["scan"])
        features = handlers.get(self.dataset).features
        section = validation.merge(by_split, features, settings.near_duplicate_distance)
        ok, lines = validation.passed(section, settings.leakage_fails)
        level = logging.INFO if len(lines) == 1 else logging.WARNING  # one line: clean
        for line in lines:
            log.log(level, "%s validation: %s", self.dataset, line)
        self._validation_summary = "; ".join(lines)
        self.set_status_message(self._validation_summary)
        if not ok:
            raise ValidationError(f"{self.dataset} failed validation:\n  " + "\n  ".join(lines))
        return section

    def _provenance(self) -> dict:
        record = dict(provenance_of(self.dataset))
        record["artifact_sha256"] = read_plan(self.dataset).get("artifact_sha256") or _artifact_sha256(
            handlers.get(self.dataset))
        return record


class DatasetList(luigi.Parameter):
    """Dataset names, comma-separated on the command line (``--dataset mnist,cifar10``)."""

    def parse(self, x):
        if isinstance(x, (list, tuple)):
            return tuple(x)
        return tuple(name.strip() for name in str(x).split(",") if name.strip())

    def serialize(self, x):
        return ",".join(x)

    def normalize(self, x):
        return self.parse(x)


class BuildDataset(luigi.WrapperTask):
    """Every requested dataset built: the entry point.

    ``--dataset`` takes names and collections (``all``, ``automatic``), comma-separated.
    Datasets are independent branches: one that fails does not stop the others.
    """

    dataset = DatasetList()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An unknown name fails here, before scheduling, as one line with suggestions
        # (in complete() Luigi would log it with a traceback and go on).
        handlers.expand(self.dataset)
        workers = luigi.interface.core().workers
        if workers < 1:
            raise settings.SettingsError(
                f"--workers {workers}: at least one worker is needed to build anything "
                "(--workers 2 converts two shards at a time)")

    def requires(self):
        return [WriteMetadata(dataset=name) for name in handlers.expand(self.dataset)]


def _path(target: luigi.LocalTarget) -> Path:
    return Path(target.path)
