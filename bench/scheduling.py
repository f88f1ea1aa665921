"""Scheduling overhead of thousands of shard-sized tasks, local scheduler and luigid.

Builds a graph shaped like ours (D datasets x S shards -> one metadata task each ->
one root) of tasks that only touch a file, so what is measured is Luigi's own cost:
scheduling, dispatch and ``complete()`` checks. Prints seconds per task and the
no-op rerun time, against a baseline of writing the same files in a plain loop.

    python -m bench.scheduling [--datasets 100] [--shards 50] [--luigid]
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import luigi

ROOT = Path(tempfile.gettempdir()) / "bench_scheduling"


class TinyShard(luigi.Task):
    dataset = luigi.IntParameter()
    shard = luigi.IntParameter()

    def output(self):
        return luigi.LocalTarget(ROOT / f"d{self.dataset}" / f"s{self.shard}")

    def run(self):
        with self.output().open("w") as out:
            out.write("x")


class TinyMetadata(luigi.Task):
    dataset = luigi.IntParameter()
    shards = luigi.IntParameter()

    def requires(self):
        return [TinyShard(dataset=self.dataset, shard=i) for i in range(self.shards)]

    def output(self):
        return luigi.LocalTarget(ROOT / f"d{self.dataset}" / "info")

    def run(self):
        with self.output().open("w") as out:
            out.write("done")


class TinyBuild(luigi.WrapperTask):
    datasets = luigi.IntParameter()
    shards = luigi.IntParameter()

    def requires(self):
        return [TinyMetadata(dataset=d, shards=self.shards) for d in range(self.datasets)]


def _run(args, scheduler_port: int | None) -> float:
    command = [sys.executable, "-m", "luigi", "--module", "bench.scheduling", "TinyBuild",
               "--datasets", str(args.datasets), "--shards", str(args.shards),
               "--workers", "1", "--log-level", "WARNING"]
    command += (["--scheduler-host", "127.0.0.1", "--scheduler-port", str(scheduler_port)]
                if scheduler_port else ["--local-scheduler"])
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def _baseline(args) -> float:
    started = time.perf_counter()
    for d in range(args.datasets):
        (ROOT / f"d{d}").mkdir(parents=True, exist_ok=True)
        for s in range(args.shards):
            (ROOT / f"d{d}" / f"s{s}").write_text("x")
        (ROOT / f"d{d}" / "info").write_text("done")
    return time.perf_counter() - started


def _start_luigid(state: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (state / "log").mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen([shutil.which("luigid"), "--address", "127.0.0.1", "--port", str(port),
                                "--state-path", str(state / "state.pickle"), "--logdir", str(state / "log")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("luigid did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=100)
    parser.add_argument("--shards", type=int, default=50)
    parser.add_argument("--luigid", action="store_true", help="also measure against a real luigid")
    args = parser.parse_args()
    tasks = args.datasets * (args.shards + 1) + 1
    results = {}
    shutil.rmtree(ROOT, ignore_errors=True)
    results["baseline: plain loop writing the files"] = _baseline(args)
    modes = [("local scheduler", None)]
    luigid = None
    if args.luigid:
        luigid, port = _start_luigid(Path(tempfile.mkdtemp()))
        modes.append(("luigid on loopback", port))
    try:
        for label, port in modes:
            shutil.rmtree(ROOT, ignore_errors=True)
            results[f"{label}: full build"] = _run(args, port)
            if port:
                time.sleep(11)  # stable_done_cooldown_secs: reruns inside it are ignored
            results[f"{label}: no-op rerun"] = _run(args, port)
    finally:
        if luigid:
            luigid.terminate()
    print(f"{tasks} tasks ({args.datasets} datasets x {args.shards} shards + metadata + root)")
    base = results["baseline: plain loop writing the files"]
    for label, seconds in results.items():
        print(f"  {label:<45} {seconds:8.2f} s  {seconds / tasks * 1e3:7.2f} ms/task"
              f"  {seconds / base:8.1f}x baseline")
    print(json.dumps({k: round(v, 3) for k, v in results.items()}))


if __name__ == "__main__":
    main()
