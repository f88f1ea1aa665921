"""Conversion benchmark: ``python -m bench [--scale 1.0] [--only cifar10,mnist,photos,memory]``.

On full-size replica artifacts (bench/replicas.py) it measures, in one run:
the hand-written baseline (bench/baseline.py) and ``BuildDataset`` with --workers 1
and 2, each in its own process tree; then a no-op rerun and a rerun after deleting
one shard; for the memory check, the 600,000-example scale-up of cifar10 (once). Each
build, the TFDS peer and each rerun run ``--repeat`` times (3), in rounds, and the
median run is shown: on a shared 2-core machine one run of the same build varies by
10% and more, TFDS's as much (1,018 to 1,393 examples/s in three runs of a day). It prints
one table: examples/s, CPU use (CPU seconds of the whole tree per wall second), the
peak PSS of the whole process tree (bench/tree_memory.py: every process's share of the
pages it holds, summed, sampled while it runs), the shards' size, output MB/s and
ratios to the baseline (examples/s, and output size). Where the baseline is too slow to run in full (photos,
the scale-up) it converts a sample, and its figures are extrapolated to the full count.
``--scale`` shrinks every replica (0.01 for a smoke run). On the photos, TFDS's own
builder runs on the same zip (bench/tfds_peer.py); the photo builds' ratios to it follow the table.

``--only png`` (not part of the default run) prints the PNG encoder's trade-off of
filters and compression levels against PIL's default on CIFAR-size images
(bench/png_tradeoff.py).

``--only validation`` (not part of the default run) prints instead, in-process and in
a minute or two at ``--scale 0.1``, the validation stage's share of conversion on
CIFAR-size and photo-size data and the near-duplicate detector's recall and precision
on planted duplicates (bench/validation.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import handlers
from bench import replicas, tfds_peer
from bench.tree_memory import TreePss

ROOT = Path(__file__).resolve().parent.parent
MEMORY_LIMIT_MB = 700  # a build's whole process tree, at any dataset size


@dataclass
class Run:
    label: str
    examples: int
    seconds: float
    cpu: float
    tree_pss_mb: float
    output_mb: float

    @property
    def rate(self) -> float:
        return self.examples / self.seconds


def _measured(command: list[str], cwd: Path, env: dict) -> tuple[float, float, float, str]:
    """(wall s, CPU s of the whole tree, peak PSS MB of the whole tree, stdout)."""
    out = Path(tempfile.mkstemp()[1])
    started = time.perf_counter()
    with open(out, "w") as stdout:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=stdout, stderr=subprocess.DEVNULL)
        sampler = TreePss(process.pid).start()
        _, status, usage = os.wait4(process.pid, 0)
        sampler.stop()
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed with {status}")
    return wall, usage.ru_utime + usage.ru_stime, sampler.peak_mb, out.read_text()


class Workspace:
    """A data dir and luigi.cfg whose mirror holds the replica artifacts."""

    def __init__(self, root: Path, source: str):
        self.root, self.mirror = root, root / "mirror"
        self.artifacts = self.mirror / source
        self.artifacts.mkdir(parents=True)
        self.data_dir = root / "data"

    def configure(self, spec, validate: bool = True) -> None:
        # Hashed in pieces: a whole artifact read here would raise this process's peak,
        # which every command it starts inherits in its own peak-RSS figure.
        sums = {f"{spec.source}/{a.file}": {"sha256": _sha256(self.artifacts / a.file)}
                for a in spec.artifacts if (self.artifacts / a.file).exists()}
        (self.root / "sums.json").write_text(json.dumps(sums))
        # Set key by key (./luigi.cfg holds only commented examples; data/defaults.cfg
        # has the defaults): the replica mirror, offline, no count check, no validation.
        import configparser

        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str
        parser.read_string((ROOT / "luigi.cfg").read_text())
        settings = {"fetch": {"mirrors": str(self.mirror), "offline": "true",
                              "checksum_overrides": str(self.root / "sums.json")},
                    "convert": {"check_counts": "false"},
                    "validate": {"enabled": "true" if validate else "false"}}
        for section, values in settings.items():
            if not parser.has_section(section):
                parser.add_section(section)
            for key, value in values.items():
                parser.set(section, key, value)
        with open(self.root / "luigi.cfg", "w") as out:
            parser.write(out)

    def env(self) -> dict:
        return {**os.environ, "LUIGI_CONFIG_PATH": str(self.root / "luigi.cfg"),
                "DATASETS_STORAGE_DIR": str(self.data_dir), "PYTHONPATH": str(ROOT)}

    def luigi(self, task: str, dataset: str, workers: int) -> list[str]:
        return [sys.executable, "-m", "luigi", "--module", "tasks", task, "--dataset", dataset,
                "--local-scheduler", "--workers", str(workers), "--log-level", "WARNING"]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for piece in iter(lambda: stream.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


def _shards_mb(path: Path) -> float:
    """The TFRecord shards' size (the metadata beside them is left out: the baseline
    writes none, and the size ratio compares the records)."""
    return sum(p.stat().st_size for p in path.rglob("*.tfrecord-*") if p.is_file()) / 1e6


def generate_replica(label: str, make, artifacts: Path) -> None:
    """Runs ``make(artifacts)`` in a child process: Linux carries a parent's peak RSS into
    the children it forks, so generating gigabytes here would inflate every measured peak
    that follows."""
    maker = multiprocessing.get_context("fork").Process(target=make, args=(artifacts,))
    maker.start()
    maker.join()
    if maker.exitcode != 0:
        raise RuntimeError(f"generating the {label} replica failed")


def bench_dataset(label: str, dataset: str, make, baseline_limit: int | None, scratch: Path,
                  repeat: int = 3) -> list[Run]:
    """The dataset's runs; each build, the TFDS peer and each rerun ``repeat`` times, in
    rounds (so a slow spell of the machine falls on the peer and the builds alike), each
    reported by its median run."""
    spec = handlers.get(dataset)
    ws = Workspace(scratch / label, spec.source)
    print(f"[{label}] generating replica artifacts ...", file=sys.stderr, flush=True)
    generate_replica(label, make, ws.artifacts)
    ws.configure(spec)
    wall, cpu, pss, out = _measured(
        [sys.executable, "-m", "bench.baseline", dataset, str(ws.artifacts), str(ws.root / "baseline")]
        + (["--limit", str(baseline_limit)] if baseline_limit else []), ROOT, ws.env())
    baseline = (json.loads(out), wall, cpu, pss)
    samples: dict[str, list[Run]] = {}
    examples = 0
    for _ in range(repeat):
        for workers, validate in ((1, True), (2, True), (2, False)):
            ws.configure(spec, validate)
            shutil.rmtree(ws.data_dir, ignore_errors=True)
            started = time.time()
            wall, cpu, pss, _ = _measured(ws.luigi("BuildDataset", dataset, workers), ws.root, ws.env())
            info = json.loads(next((ws.data_dir / "datasets" / dataset).glob("*/dataset_info.json")).read_text())
            examples = sum(split["num_examples"] for split in info["splits"].values())
            # One command, as a user runs it; plan.json is written when planning ends, so
            # its time says how long startup, fetching and planning took together.
            planned = next((ws.data_dir / "staging" / dataset).glob("*/plan.json")).stat().st_mtime - started
            checked = "" if validate else ", no validation"
            samples.setdefault(f"{label}: BuildDataset --workers {workers}{checked}", []).append(
                Run(f"(until planned {planned / wall:.0%})", examples, wall, cpu, pss, _shards_mb(ws.data_dir / "datasets")))
        if dataset == "eurosat":  # TFDS's own builder on the same zip, in its own process
            shutil.rmtree(ws.root / "tfds", ignore_errors=True)
            samples.setdefault("peer", []).append(tfds_peer.measure(label, ws.artifacts, ws.root / "tfds", ws.env(), _measured))
        wall, *_ = _measured(ws.luigi("BuildDataset", dataset, 2), ws.root, ws.env())
        shards = sorted((ws.data_dir / "datasets" / dataset).glob("*/*.tfrecord-*"))
        samples.setdefault(f"{label}: no-op rerun ({len(shards)} shards)", []).append(Run("", 0, wall, 0, 0, 0))
        shards[len(shards) // 2].unlink()
        wall, *_ = _measured(ws.luigi("BuildDataset", dataset, 2), ws.root, ws.env())
        samples.setdefault(f"{label}: rerun after deleting 1 of {len(shards)} shards", []).append(Run("", 0, wall, 0, 0, 0))
    runs = [_median(name, found) for name, found in samples.items() if name != "peer"]
    runs.insert(0, _baseline_run(label, *baseline, examples))
    if "peer" in samples:
        runs.insert(1, _median(samples["peer"][0].label, samples["peer"]))
    shutil.rmtree(ws.root)
    return runs


def _median(name: str, runs: list[Run]) -> Run:
    """The run of median wall time, named ``name`` (+ its own note, + how many ran), with
    the largest peak PSS of them all: a peak seen once is the tree's peak."""
    middle = sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]
    note = f" {middle.label}" if middle.label and middle.label not in name else ""
    count = f" (median of {len(runs)})" if len(runs) > 1 else ""
    return Run(f"{name}{note}{count}", middle.examples, middle.seconds, middle.cpu,
               max(run.tree_pss_mb for run in runs), middle.output_mb)


def _baseline_run(label: str, done: dict, wall: float, cpu: float, pss: float, full: int) -> Run:
    """The baseline's run; one that converted a sample is extrapolated to the ``full``
    count: its fixed start (interpreter, TensorFlow, opening the archive) once, its
    per-example loop scaled. Dividing the sample by the whole wall time would charge
    the fixed start to a few hundred examples and flatter every ratio."""
    if done["examples"] >= full:
        return Run(f"{label}: baseline (hand-written loop)", done["examples"], wall, cpu, pss, done["bytes"] / 1e6)
    scale = full / done["examples"]
    loop = done["loop_seconds"]
    extrapolated = wall - loop + loop * scale
    return Run(f"{label}: baseline (loop over {done['examples']}, extrapolated)", full, extrapolated,
               cpu / wall * extrapolated, pss, done["bytes"] / 1e6 * scale)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="replica size factor (0.01: smoke run)")
    parser.add_argument("--only", default="cifar10,mnist,photos,memory")
    parser.add_argument("--scratch", type=Path, default=Path(tempfile.gettempdir()) / "datasets_storage_bench")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each build and peer (the median is shown)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error(f"--repeat {args.repeat}: at least one run of each is needed")
    wanted = set(args.only.split(","))
    s = args.scale
    shutil.rmtree(args.scratch, ignore_errors=True)
    results: list[Run] = []
    if "png" in wanted:
        from bench import png_tradeoff

        for line in png_tradeoff.run(max(100, int(10_000 * s))):
            print(line, flush=True)
    if "validation" in wanted:
        from bench import validation

        for line in validation.run(True, True, s, args.scratch / "validation"):
            print(line, flush=True)
    if "objstore" in wanted:  # building into S3 (moto on 127.0.0.1) vs local disk
        from bench import object_storage

        print("\n".join(object_storage.run(s, args.scratch / "objstore")), flush=True)
    if "cifar10" in wanted:
        results += bench_dataset("(a) cifar10", "cifar10",
                                 lambda d: replicas.cifar10_tar(d, int(50_000 * s), int(10_000 * s)), None, args.scratch, args.repeat)
    if "mnist" in wanted:
        results += bench_dataset("(c) mnist", "mnist", lambda d: replicas.mnist_idx(d, s), None, args.scratch, args.repeat)
    if "photos" in wanted:
        count = max(20, int(20_000 * s))
        results += bench_dataset("(b) photos", "eurosat", lambda d: replicas.photo_zip(d, count),
                                 max(10, count // 40), args.scratch, args.repeat)
    if "memory" in wanted:
        results += bench_dataset("(d) cifar10 x10", "cifar10",
                                 # batches of 10,000 as in the release: memory is then
                                 # compared at equal batch size, only the count grows
                                 lambda d: replicas.cifar10_tar(d, int(590_000 * s), 10_000), 1000, args.scratch, 1)  # a peak: one run of each
    if results:
        _print(results)
        print("\n".join(tfds_peer.ratio_lines(results)))


def _print(results: list[Run]) -> None:
    header = (f"{'run':<66} {'ex/s':>7} {'CPU':>5} {'PSS MB':>7} {'out MB':>7} {'MB/s':>6} {'wall s':>7}"
              f" {'x base':>7} {'size x':>7}")
    print(header)
    print("-" * len(header))
    print(f"{'(CPU: CPU s of the tree per wall s, of ' + str(os.cpu_count()) + ' cores; PSS: peak of the tree)':<66}")
    base = None
    for run in results:
        if "baseline" in run.label:
            base = run
        if run.examples == 0:
            print(f"{run.label:<66} {'':>7} {'':>5} {'':>7} {'':>7} {'':>6} {run.seconds:7.2f}")
            continue
        ratio = run.rate / base.rate if base else float("nan")
        size = run.output_mb / base.output_mb if base and base.output_mb else float("nan")
        print(f"{run.label:<66} {run.rate:7.0f} {run.cpu / run.seconds:5.2f} {run.tree_pss_mb:7.0f} "
              f"{run.output_mb:7.1f} {run.output_mb / run.seconds:6.1f} {run.seconds:7.2f} {ratio:7.2f} {size:7.2f}")
    builds = [run for run in results if "BuildDataset" in run.label]
    if builds:
        worst = max(builds, key=lambda run: run.tree_pss_mb)
        verdict = "under" if worst.tree_pss_mb < MEMORY_LIMIT_MB else "OVER"
        print(f"largest tree PSS of a build: {worst.tree_pss_mb:.0f} MB ({worst.label}), {verdict} "
              f"the {MEMORY_LIMIT_MB} MB limit")


if __name__ == "__main__":
    main()
