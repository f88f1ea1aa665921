"""The baseline: the simplest correct converter a user would write by hand.

Iterate the handler, decode the image with PIL, PNG-encode it with PIL, build a
tf.train.Example, write it with one TFRecordWriter per shard of ``--shard-size``
examples; no staging, no shuffling, one process.

    python -m bench.baseline DATASET ARTIFACTS_DIR OUTPUT_DIR [--limit N]
"""

from __future__ import annotations

import argparse
import io
import json
import time
from pathlib import Path

import numpy as np
from PIL import Image

import handlers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("artifacts_dir", type=Path)
    parser.add_argument("output_dir", type=Path)
    parser.add_argument("--limit", type=int, default=None, help="stop after N examples")
    parser.add_argument("--shard-size", type=int, default=10_000)
    args = parser.parse_args()
    started = time.perf_counter()
    import tensorflow as tf  # part of the baseline's cost, as in any hand-written script

    spec = handlers.get(args.dataset)
    mode = "L" if spec.features.channels == 1 else "RGB"
    args.output_dir.mkdir(parents=True, exist_ok=True)
    count = written = 0
    writer = None
    first = None  # when the first example arrived: imports and opening the archive are done
    for example in spec.examples(args.artifacts_dir):
        if first is None:
            first = time.perf_counter()
        if args.limit is not None and count >= args.limit:
            break
        if count % args.shard_size == 0:
            if writer:
                writer.close()
            writer = tf.io.TFRecordWriter(str(args.output_dir / f"{args.dataset}.tfrecord-{count // args.shard_size:05d}"))
        image = example.image
        if isinstance(image, bytes):
            image = Image.open(io.BytesIO(image))
        elif isinstance(image, np.ndarray):
            image = Image.fromarray(image.squeeze())
        buffer = io.BytesIO()
        image.convert(mode).save(buffer, format="PNG")
        feature = {
            "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[buffer.getvalue()])),
            "key": tf.train.Feature(bytes_list=tf.train.BytesList(value=[example.key.encode()])),
            "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(example.label or 0)])),
        }
        record = tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()
        writer.write(record)
        written += len(record)
        count += 1
    if writer:
        writer.close()
    ended = time.perf_counter()
    print(json.dumps({"examples": count, "bytes": written, "seconds": ended - started,
                      "loop_seconds": ended - (first or ended)}))


if __name__ == "__main__":
    main()
