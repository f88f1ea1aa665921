"""Reading a built dataset back: into tf.data, or as plain NumPy without TensorFlow.

``load`` imports TensorFlow (the only place here that does); ``load(..., as_numpy=True)``
reads the shards with data/decoding.py (our own parser and PIL), so NumPy and PyTorch
users never need TensorFlow.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from data import format as fmt
from data.decoding import decode_image, parse_example
from data.locate import find_dataset_dir
from data.metadata import features_of, read_info, split_parts


def info(name_or_path: str | os.PathLike, data_dir: Path | None = None) -> dict:
    """The dataset_info.json of a built dataset; refuses an unfinished build."""
    return read_info(find_dataset_dir(name_or_path, data_dir))


def shard_paths(name_or_path, split: str, data_dir: Path | None = None) -> list[Path]:
    """The shard files of ``split``, a stored split or a derived one (see data/format.py);
    an unknown name raises UnknownSplitError listing the splits there are."""
    directory = find_dataset_dir(name_or_path, data_dir)
    return [directory / shard["file"] for shard in _shards(read_info(directory), split)]


def _shards(meta: dict, split: str) -> list[dict]:
    """The shard entries of ``split``: a derived split's are its parts' own, in order."""
    return [shard for part in split_parts(meta, split) for shard in meta["splits"][part]["shards"]]


def load(name_or_path, split: str, data_dir: Path | None = None, decode: bool = True,
         as_numpy: bool = False):
    """A tf.data.Dataset of {"image": uint8 HxWxC, "label" | "multi_label" | "target", "key"}.

    Records come in stored order (already shuffled globally at build time); shuffle
    again per epoch in the training pipeline as usual. ``split`` may be a derived
    split such as ``train_and_dev``: the shards of train, then those of dev. An unknown
    split raises UnknownSplitError naming the ones there are. ``as_numpy=True`` returns
    a ``NumpyExamples`` instead: the same examples as dicts of NumPy values, read
    without TensorFlow.
    """
    directory = find_dataset_dir(name_or_path, data_dir)
    meta = read_info(directory)
    features = features_of(meta)
    shards = _shards(meta, split)
    paths = [directory / shard["file"] for shard in shards]
    if as_numpy:
        counts = [shard["num_examples"] for shard in shards]
        return NumpyExamples(paths, features, decode=decode, counts=counts)

    import tensorflow as tf

    paths = [str(p) for p in paths]
    spec = {
        fmt.IMAGE: tf.io.FixedLenFeature([], tf.string),
        fmt.KEY: tf.io.FixedLenFeature([], tf.string),
    }
    if features.task == "single_label":
        spec[fmt.LABEL] = tf.io.FixedLenFeature([], tf.int64)
    elif features.task == "multi_label":
        spec[fmt.MULTI_LABEL] = tf.io.VarLenFeature(tf.int64)
    else:
        spec[fmt.TARGET] = tf.io.FixedLenFeature([], tf.float32)
    channels = features.channels

    def parse(serialized):
        example = tf.io.parse_single_example(serialized, spec)
        if fmt.MULTI_LABEL in example:
            example[fmt.MULTI_LABEL] = tf.sparse.to_dense(example[fmt.MULTI_LABEL])
        if decode:
            image = tf.io.decode_image(
                example[fmt.IMAGE], channels=channels, dtype=tf.uint8, expand_animations=False
            )
            image.set_shape([None, None, channels])
            example[fmt.IMAGE] = image
        return example

    return tf.data.TFRecordDataset(paths).map(parse, num_parallel_calls=tf.data.AUTOTUNE)


class NumpyExamples:
    """The examples of one split as dicts of NumPy values, read without TensorFlow.

    Iterating yields {"image": uint8 HxWxC array (or the encoded bytes with
    ``decode=False``), "key": bytes, and "label": int64 | "multi_label": int64 array |
    "target": float32}, in stored order, like ``load``. Iterable again and again, with
    a length; ``subset(i, n)`` keeps every n-th shard from the i-th, to split the work
    between data-loader workers.
    """

    def __init__(self, paths, features, decode: bool = True, counts=None):
        self.paths = [Path(p) for p in paths]
        self.features = features
        self.decode = decode
        # Examples per shard, from dataset_info.json (None: count the records when asked).
        self.counts = list(counts) if counts is not None else None

    def subset(self, index: int, count: int) -> NumpyExamples:
        counts = self.counts[index::count] if self.counts is not None else None
        return NumpyExamples(self.paths[index::count], self.features, self.decode, counts)

    def __len__(self) -> int:
        if self.counts is not None:
            return sum(self.counts)
        return sum(1 for path in self.paths for _ in _records(path))

    def __iter__(self) -> Iterator[dict]:
        for path in self.paths:
            for record in _records(path):
                yield self._example(parse_example(record))

    def _example(self, raw: dict) -> dict:
        image = raw[fmt.IMAGE][0]
        out = {
            fmt.IMAGE: decode_image(image, self.features.channels) if self.decode else image,
            fmt.KEY: raw[fmt.KEY][0],
        }
        if self.features.task == "single_label":
            out[fmt.LABEL] = np.int64(raw[fmt.LABEL][0])
        elif self.features.task == "multi_label":
            out[fmt.MULTI_LABEL] = np.array(raw.get(fmt.MULTI_LABEL, []), dtype=np.int64)
        else:
            out[fmt.TARGET] = np.float32(raw[fmt.TARGET][0])
        return out


def _records(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as stream:
        yield from fmt.iter_records(stream)
