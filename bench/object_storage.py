"""Building into object storage against building to local disk: ``python -m bench.object_storage
[--scale 0.05]`` (or ``python -m bench --only objstore``).

For a CIFAR-size replica (60,000 32x32 PNGs at scale 1) and a photo-size one (20,000
JPEGs of 250-500 px), in one run: the same ``BuildDataset --workers 2`` into
``<data dir>/datasets`` and into ``s3://`` on moto's S3-compatible server on 127.0.0.1
(the ratio of the two), the S3 requests the build made (counted by the server, by
operation) per shard, the requests of a no-op rerun, and the read rate of the train
split through ``data.load`` (tf.data) and the NumPy reader from both places.

The server runs in this process on the same cores as the build and keeps objects in
memory: the ratio is the cost of the protocol and the server, not of a network.
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import handlers
from bench import replicas
from bench.__main__ import ROOT, Workspace, _measured, generate_replica
from cli import local_s3


def _set(ws: Workspace, section: str, key: str, value: str) -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(ws.root / "luigi.cfg")
    if not parser.has_section(section):
        parser.add_section(section)
    parser.set(section, key, value)
    with open(ws.root / "luigi.cfg", "w") as out:
        parser.write(out)


READ = """
import json, sys, time
import data
where, split = sys.argv[1], sys.argv[2]
data.info(where)  # the client made and the metadata read before the clock starts
import tensorflow as tf  # noqa: F401
out = {}
for reader, records in (("numpy", lambda: iter(data.load(where, split, decode=False, as_numpy=True))),
                        ("tf.data", lambda: data.load(where, split, decode=False).as_numpy_iterator())):
    it = records()
    next(it)  # from the first record on: the steady read rate
    started = time.perf_counter()
    n = sum(1 for _ in it)
    out[reader] = n / (time.perf_counter() - started)
print(json.dumps(out))
"""


def _read_rates(where: str, env: dict) -> dict:
    result = subprocess.run([sys.executable, "-c", READ, where, "train"], env=env, cwd=ROOT,
                            capture_output=True, text=True, check=True, timeout=3600)
    return json.loads(result.stdout.strip().splitlines()[-1])


def bench(label: str, dataset: str, make, scratch: Path, server) -> list[str]:
    spec = handlers.get(dataset)
    ws = Workspace(scratch / label, spec.source)
    print(f"[{label}] generating replica artifacts ...", file=sys.stderr, flush=True)
    generate_replica(label, make, ws.artifacts)
    ws.configure(spec)
    bucket = f"bench-{dataset}-{os.getpid()}"
    server.create_bucket(bucket)
    url = f"s3://{bucket}/datasets"
    env = ws.env() | server.env
    sys.path.insert(0, str(ROOT))
    os.environ.update(server.env)
    from data.location import Folder

    walls = {}
    for place in ("s3", "local"):  # each from an empty data dir: fetch, plan, convert
        shutil.rmtree(ws.data_dir, ignore_errors=True)
        _set(ws, "storage", "datasets_url", url if place == "s3" else "")
        server.reset_counts()
        walls[place] = _measured(ws.luigi("BuildDataset", dataset, 2), ws.root, env)[0]
        if place == "s3":
            build_counts = server.counts
            server.reset_counts()
            rerun = _measured(ws.luigi("BuildDataset", dataset, 2), ws.root, env)[0]
            rerun_counts = server.counts
    folder = Folder(f"{url}/{dataset}/{spec.version}")
    info = json.loads(folder.read_bytes("dataset_info.json"))
    shards = sum(len(split["shards"]) for split in info["splits"].values())
    examples = sum(split["num_examples"] for split in info["splits"].values())
    size = sum(s["num_bytes"] for split in info["splits"].values() for s in split["shards"]) / 1e6
    lines = [f"{label}: {examples} examples, {shards} shards, {size:.1f} MB of shards",
             f"  BuildDataset --workers 2: local disk {walls['local']:.1f} s, S3 {walls['s3']:.1f} s "
             f"(S3 / local = {walls['s3'] / walls['local']:.2f})",
             f"  S3 requests of the build: {sum(build_counts.values())} "
             f"({sum(build_counts.values()) / shards:.2f} per shard): "
             + ", ".join(f"{op} {n}" for op, n in sorted(build_counts.items())),
             f"  no-op rerun: {rerun:.1f} s, requests " + ", ".join(f"{op} {n}" for op, n in sorted(rerun_counts.items()))]
    local_dir = next((ws.data_dir / "datasets" / dataset).glob("*"))
    local_rates = _read_rates(str(local_dir), env)
    server.reset_counts()
    remote_rates = _read_rates(f"{url}/{dataset}/{spec.version}", env)
    reads = server.counts
    for reader in ("tf.data", "numpy"):
        lines.append(f"  read train ({reader}, undecoded): local {local_rates[reader]:,.0f} rec/s, "
                     f"S3 {remote_rates[reader]:,.0f} rec/s ({remote_rates[reader] / local_rates[reader]:.2f})")
    lines.append("  S3 requests of the two reads: " + ", ".join(f"{op} {n}" for op, n in sorted(reads.items())))
    shutil.rmtree(ws.root)
    return lines


def run(scale: float, scratch: Path) -> list[str]:
    shutil.rmtree(scratch, ignore_errors=True)
    lines = [f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"]
    started = time.perf_counter()
    with local_s3.serve() as server:
        lines += bench("cifar10", "cifar10",
                       lambda d: replicas.cifar10_tar(d, int(50_000 * scale), int(10_000 * scale)), scratch, server)
        count = max(20, int(20_000 * scale))
        lines += bench("photos", "eurosat", lambda d: replicas.photo_zip(d, count), scratch, server)
    lines.append(f"({time.perf_counter() - started:.0f} s in all; load average after: {os.getloadavg()[0]:.1f})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="replica size factor (0.05: a quick look)")
    parser.add_argument("--scratch", type=Path, default=Path(tempfile.gettempdir()) / "datasets_storage_objstore")
    args = parser.parse_args()
    for line in run(args.scale, args.scratch):
        print(line, flush=True)


if __name__ == "__main__":
    main()
