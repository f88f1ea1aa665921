"""``python -m tasks demo [NAME]``: a whole build to watch, offline, in seconds.

The dataset's fixture (tiny artifacts in the real layout) is served by this process on
127.0.0.1 as a mirror, and the real ``luigi`` graph builds it with two workers into a
data dir of its own (``<data dir>/fixture-builds``): fetching, planning, conversion,
validation and metadata, then the examples are read back. Nothing contacts a provider
(``[fetch] offline``), and the metadata says ``"fixture_data": true``, so a demo build
never passes for the real dataset.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import handlers
from cli import fixture_mirror
from data import locate, reader

FIXTURE_BUILDS = "fixture-builds"


def demo_data_dir(data_dir: Path) -> Path:
    return Path(data_dir) / FIXTURE_BUILDS


def config_text(data_dir: Path, mirror_url: str, checksums: Path) -> str:
    return (
        f"[storage]\ndata_dir = {data_dir}\nfixture_data = true\n\n"
        f"[fetch]\nmirrors = {mirror_url}\noffline = true\nattempts = 2\n"
        f"backoff_seconds = 0.05\nchecksum_overrides = {checksums}\n\n"
        "[convert]\ncheck_counts = false\n"
    )


def run(name: str, data_dir: Path, workers: int = 2) -> int:
    spec = handlers.get(name)
    target = demo_data_dir(data_dir)
    # Every run shows the whole build: the previous demo of this dataset goes first (it is
    # fixture data in the demo's own data dir, nothing else is touched).
    for stale in (locate.artifacts_dir(target, spec.source), locate.staging_dir(target, name),
                  target / "datasets" / name):
        shutil.rmtree(stale, ignore_errors=True)
    target.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fixture-mirror-") as scratch:
        mirror = Path(scratch) / "mirror"
        counts = fixture_mirror.write(name, mirror)
        checksums = Path(scratch) / "checksums.json"
        fixture_mirror.pin_checksums(name, mirror, checksums)
        print(f"demo: {name}'s fixture ({sum(counts.values())} examples: "
              f"{', '.join(f'{s} {n}' for s, n in sorted(counts.items()))}) served on 127.0.0.1; "
              f"building into {target}", flush=True)
        with fixture_mirror.serve(mirror) as url:
            config = Path(scratch) / "luigi.cfg"
            config.write_text(config_text(target, url, checksums))
            command = [sys.executable, "-m", "luigi", "--module", "tasks", "BuildDataset",
                       "--dataset", name, "--local-scheduler", "--workers", str(workers)]
            print("demo: " + " ".join(["luigi", *command[3:]]), flush=True)
            env = dict(os.environ, LUIGI_CONFIG_PATH=str(config))
            code = subprocess.run(command, env=env, stdin=subprocess.DEVNULL).returncode
    if code != 0:
        print(f"demo: the build exited with code {code}", file=sys.stderr)
        return code
    meta = reader.info(name, data_dir=target)
    print(f"demo: built in {time.monotonic() - started:.1f} s; reading it back:")
    for split in sorted(meta["splits"]):
        examples = reader.load(name, split, data_dir=target, as_numpy=True)
        first = next(iter(examples))
        label = {k: v.tolist() for k, v in first.items() if k not in ("image", "key")}
        print(f"  {split}: {len(examples)} examples; first {first['key'].decode()!r}, "
              f"image {first['image'].shape}, {label}")
    print(f"demo: fixture data (dataset_info.json says fixture_data: true), not {spec.name} "
          f"itself. Read it with data.load({name!r}, 'train', data_dir={str(target)!r})")
    return 0
