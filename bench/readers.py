"""Read throughput: ``python -m bench.readers [--scale 0.1] [--only cifar10,photos]``.

Builds replica datasets (bench/replicas.py: CIFAR-size 32x32 PNGs, photo-size 250-500 px
JPEGs) with the real ``BuildDataset`` command, then reads the largest split of each
through every reader, each in a process of its own, and prints examples/s over the
whole pass (``ex/s``: imports and interpreter start not timed, pipeline setup and
worker start are), after the first batch (``steady``), the seconds to the first batch,
the steady rate as a fraction of the raw ceiling's, and the CPU time per example of
the reading process and its loader workers (the figure to trust on a machine shared
with other work, where wall-clock rates follow the other load):

- ``raw TFRecordDataset``: tf.data reading the records' bytes in batches of 64, no
  parse, no decode (the ceiling of anything built on tf.data);
- ``data.load (tf.data)``: parse and decode in tf.data (AUTOTUNE), ``ragged_batch(64)``
  (the images vary in size), NumPy out;
- ``NumPy reader``: ``data.load(..., as_numpy=True)``, one process, decoded; and with
  ``decode=False`` (framing, CRCs and the protobuf parse alone);
- ``PyTorch, 2 workers``: ``data.torch.dataset`` in a DataLoader with 2 workers, batches
  of 64: images stacked into one tensor when of one size (CIFAR), else a list of arrays;
- ``TFDS``: ``tfds.builder_from_directory`` on the build's TFDS folder, decoded,
  ``ragged_batch(64)``.

tf.data readers hand Python batches of 64 (one example at a time through
``as_numpy_iterator`` costs ~0.4 ms each in TensorFlow's Python layer, more than a
CIFAR image's decode); the NumPy reader is a Python iterator of single examples.
``--scale`` sizes the replicas (1.0: CIFAR-10's 50,000 + 10,000, 20,000 photos).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BATCH = 64
READERS = ("raw", "tf", "numpy", "numpy-nodecode", "torch", "tfds")
LABELS = {"raw": "raw TFRecordDataset (ceiling)", "tf": "data.load (tf.data)",
          "numpy": "NumPy reader", "numpy-nodecode": "NumPy reader, decode=False",
          "torch": "PyTorch DataLoader, 2 workers", "tfds": "TFDS builder_from_directory"}


def _collate(batch: list[dict]):
    """A batch as a training loop takes it: images stacked into one tensor when they share
    a size (one shared-memory block per batch), else kept as a list of arrays (pickled
    through the worker's pipe: a shared-memory block per small tensor costs more than
    the decode)."""
    import numpy as np
    import torch

    images = [e["image"] for e in batch]
    if len({i.shape for i in images}) == 1:
        images = torch.from_numpy(np.stack(images))
    return {"image": images, "label": torch.tensor([int(e["label"]) for e in batch])}


def _tfds_folder(directory: Path) -> Path:
    """The folder holding TFDS's own dataset_info.json for the build."""
    import data

    return Path(data.tfds_dir(directory))


def read_once(reader: str, directory: Path, split: str) -> dict:
    """Read ``split`` through ``reader``: {examples, seconds, first, steady, cpu}."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import data
    from data.reader import shard_paths

    if reader in ("raw", "tf", "tfds"):
        import tensorflow as tf  # imported before the clock starts
    if reader == "tfds":
        import tensorflow_datasets as tfds
    if reader == "torch":
        import torch

        from data.torch import dataset
    import resource

    def cpu() -> float:  # this process's threads and its reaped children (loader workers)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + children.ru_utime + children.ru_stime

    cpu_started = cpu()
    started = time.perf_counter()
    first = None
    count = 0

    def batches():
        if reader == "raw":
            paths = [str(p) for p in shard_paths(directory, split)]
            yield from tf.data.TFRecordDataset(paths).batch(BATCH).prefetch(tf.data.AUTOTUNE).as_numpy_iterator()
        elif reader == "tf":
            yield from (b["key"] for b in data.load(directory, split).ragged_batch(BATCH)
                        .prefetch(tf.data.AUTOTUNE).as_numpy_iterator())
        elif reader in ("numpy", "numpy-nodecode"):
            yield from ([e] for e in data.load(directory, split, as_numpy=True, decode=reader == "numpy"))
        elif reader == "torch":
            yield from (b["label"] for b in torch.utils.data.DataLoader(
                dataset(directory, split), batch_size=BATCH, num_workers=2, collate_fn=_collate))
        elif reader == "tfds":
            builder = tfds.builder_from_directory(_tfds_folder(directory))
            yield from (b["key"] for b in tfds.as_numpy(builder.as_dataset(split=split).ragged_batch(BATCH)))

    first_batch = 0
    for batch in batches():
        if first is None:
            first, first_batch = time.perf_counter(), len(batch)
        count += len(batch)
    end = time.perf_counter()
    # An exhausted DataLoader has joined its workers: their CPU time is in RUSAGE_CHILDREN.
    cpu_seconds = cpu() - cpu_started
    # Steady: after the first batch (pipeline set up, workers started, TF graphs traced).
    return {"examples": count, "seconds": end - started, "first": first - started,
            "steady": (count - first_batch) / (end - first) if end > first else float("nan"),
            "cpu": cpu_seconds}


def _build(label: str, dataset: str, make, scratch: Path) -> Path:
    import handlers
    from bench.__main__ import Workspace, generate_replica

    spec = handlers.get(dataset)
    workspace = Workspace(scratch / label, spec.source)
    print(f"[{label}] generating and building {dataset} ...", file=sys.stderr, flush=True)
    generate_replica(label, make, workspace.artifacts)
    workspace.configure(spec, validate=False)
    subprocess.run(workspace.luigi("BuildDataset", dataset, 2), cwd=workspace.root, env=workspace.env(),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return next((workspace.data_dir / "datasets" / dataset).glob("*/dataset_info.json")).parent


def bench(label: str, directory: Path, readers) -> list[tuple[str, str, dict, float]]:
    info = json.loads((directory / "dataset_info.json").read_text())
    split = max(info["splits"], key=lambda s: info["splits"][s]["num_examples"])
    megabytes = sum(s["num_bytes"] for s in info["splits"][split]["shards"]) / 1e6
    rows = []
    for reader in readers:
        command = [sys.executable, "-m", "bench.readers", "--read", reader, str(directory), split]
        out = subprocess.run(command, check=True, capture_output=True, text=True,
                             env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}).stdout
        result = json.loads(out.strip().splitlines()[-1])
        if result["examples"] != info["splits"][split]["num_examples"]:
            raise RuntimeError(f"{reader} read {result['examples']} examples of {split}")
        rows.append((label, LABELS[reader], result, megabytes))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--only", default="cifar10,photos")
    parser.add_argument("--readers", default=",".join(READERS))
    parser.add_argument("--scratch", type=Path, default=Path(tempfile.gettempdir()) / "datasets_storage_readers")
    parser.add_argument("--keep", action="store_true", help="keep the built replicas in --scratch")
    parser.add_argument("--read", nargs=3, metavar=("READER", "DIRECTORY", "SPLIT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        reader, directory, split = args.read
        print(json.dumps(read_once(reader, Path(directory), split)))
        return
    from bench import replicas

    s, wanted, readers = args.scale, args.only.split(","), args.readers.split(",")
    shutil.rmtree(args.scratch, ignore_errors=True)
    rows = []
    if "cifar10" in wanted:
        directory = _build("cifar10", "cifar10",
                           lambda d: replicas.cifar10_tar(d, int(50_000 * s), int(10_000 * s)), args.scratch)
        rows += bench("CIFAR-size (32x32 PNG)", directory, readers)
    if "photos" in wanted:
        count = max(20, int(20_000 * s))
        directory = _build("photos", "eurosat", lambda d: replicas.photo_zip(d, count), args.scratch)
        rows += bench("photo-size (250-500 px JPEG)", directory, readers)
    if not args.keep:
        shutil.rmtree(args.scratch, ignore_errors=True)
    header = (f"{'data':<29} {'reader':<30} {'examples':>8} {'ex/s':>7} {'steady':>7} "
              f"{'MB/s':>6} {'1st s':>6} {'x raw':>6} {'CPU ms/ex':>9}")
    print(header)
    print("-" * len(header))
    ceiling = {}
    for label, reader, result, megabytes in rows:
        rate = result["examples"] / result["seconds"]
        if reader == LABELS["raw"]:
            ceiling[label] = result["steady"]
        ratio = f"{result['steady'] / ceiling[label]:6.2f}" if label in ceiling else ""
        print(f"{label:<29} {reader:<30} {result['examples']:>8} {rate:7.0f} {result['steady']:7.0f} "
              f"{megabytes / result['seconds']:6.1f} {result['first']:6.2f} {ratio:>6} "
              f"{result['cpu'] / result['examples'] * 1e3:9.3f}")


if __name__ == "__main__":
    main()
