"""Where a photo build's CPU goes, per example: ``python -m bench.photo_profile [--count 2000]``.

Plans the photo replica (bench/replicas.py ``photo_zip``: JPEGs of 250-500 px in a zip of
class folders, read through the eurosat handler) and converts every shard in this one
process under cProfile, with validation on, and prints CPU microseconds per example of
planning and of conversion, then the functions that cost most (their own time, per
example). ``--stride`` fixes the statistics' pixel sample at 1 image in N, as a full-size
split decodes it (about 1 in 10 of 20,000 photos: 1,024 of train, 256 of each other split);
by default it follows the split sizes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import tempfile
import time
from pathlib import Path

import handlers
from bench import replicas
from data import shards, staging, stats


def _top(profile: cProfile.Profile, count: int, examples: int, lines: int) -> list[str]:
    buffer = io.StringIO()
    table = pstats.Stats(profile, stream=buffer)
    rows = sorted(table.stats.items(), key=lambda item: -item[1][2])[:lines]
    out = []
    for (file, line, name), (_, calls, own, cumulative, _) in rows:
        where = f"{Path(file).name}:{line}({name})" if line else name
        out.append(f"  {own / examples * 1e6:8.1f} us own {cumulative / examples * 1e6:8.1f} us cumulative"
                   f"  {calls / examples:5.2f} calls  {where}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--stride", type=int, default=0, help="pixel sample: 1 in N (0: by split size)")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--scratch", type=Path, default=Path(tempfile.gettempdir()) / "datasets_storage_profile")
    args = parser.parse_args()
    if args.stride:
        stats.pixel_sample_stride = lambda examples, split="train": args.stride
    shutil.rmtree(args.scratch, ignore_errors=True)
    artifacts, directory, out = (args.scratch / name for name in ("artifacts", "staging", "out"))
    for folder in (artifacts, out):
        folder.mkdir(parents=True)
    replicas.photo_zip(artifacts, args.count)
    spec = handlers.get("eurosat")

    # CPU time, not wall time: on a loaded machine the two differ by the waiting.
    planning = cProfile.Profile(time.process_time)
    started = time.process_time()
    planning.enable()
    plan = staging.stage(spec.examples(artifacts), spec.features, directory, spec.split_rule)
    staging.write_plan(directory, plan)
    planning.disable()
    plan_cpu = time.process_time() - started

    conversion = cProfile.Profile(time.process_time)
    started = time.process_time()
    conversion.enable()
    for split, count in staging.shard_counts(plan, 64_000_000, 4).items():
        for shard in range(count):
            name = f"{split}-{shard}"
            shards.convert_shard(directory, split, shard, count, spec.features, out / name, out / f"{name}.json",
                                 178_956_970, scan_path=out / f"{name}.scan.json")
    conversion.disable()
    convert_cpu = time.process_time() - started

    n = args.count
    staged = sum(p.stat().st_size for p in directory.iterdir() if p.is_file())
    print(f"{n} photos; staging {staged / 1e6:.2f} MB for {(artifacts / 'EuroSAT.zip').stat().st_size / 1e6:.0f} MB "
          f"of zip; CPU per example (profiled): planning {plan_cpu / n * 1e6:.0f} us, "
          f"conversion with validation {convert_cpu / n * 1e6:.0f} us")
    for label, profile in (("planning", planning), ("conversion", conversion)):
        print(f"{label}: the functions with most time of their own, per example")
        print("\n".join(_top(profile, args.top, n, args.top)))
    shutil.rmtree(args.scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
