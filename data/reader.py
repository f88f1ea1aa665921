"""Reading a built dataset back: into tf.data, or as plain NumPy without TensorFlow.

``load`` imports TensorFlow (the only place here that does); ``load(..., as_numpy=True)``
reads the shards with data/decoding.py (the protobuf library's parser and PIL), so NumPy
and PyTorch (data/torch.py) users never need TensorFlow.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from data import format as fmt
from data.decoding import BadExampleError, decode_image, parse_message
from data.location import as_location, find_dataset, open_file
from data.metadata import features_of, read_info, split_parts


def info(name_or_path: str | os.PathLike, data_dir: Path | None = None) -> dict:
    """The dataset_info.json of a built dataset; refuses an unfinished build."""
    return read_info(find_dataset(name_or_path, data_dir))


def shard_paths(name_or_path, split: str, data_dir: Path | None = None) -> list:
    """The shard files of ``split``, a stored split or a derived one (see data/format.py):
    paths, or URLs for a dataset in object storage; an unknown name raises
    UnknownSplitError listing the splits there are."""
    folder = find_dataset(name_or_path, data_dir)
    return [as_location(folder.url(shard["file"])) for shard in _shards(read_info(folder), split)]


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
    folder = find_dataset(name_or_path, data_dir)
    meta = read_info(folder)
    features = features_of(meta)
    shards = _shards(meta, split)
    paths = [as_location(folder.url(shard["file"])) for shard in shards]
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

    return _record_dataset(tf, paths).map(parse, num_parallel_calls=tf.data.AUTOTUNE)


# URL schemes TensorFlow's own file layer reads (core TensorFlow has GCS, not S3).
TF_NATIVE_SCHEMES = ("gs",)


def _record_dataset(tf, paths: list[str]):
    """The serialized records of the shards, in order. Local files and schemes TensorFlow
    reads natively go to TFRecordDataset; others (s3://) are streamed through fsspec in
    ranged GETs and framed by our own reader (both CRCs checked), nothing copied to disk."""
    if all("://" not in p or p.split("://", 1)[0] in TF_NATIVE_SCHEMES for p in paths):
        return tf.data.TFRecordDataset(paths)

    def records():
        for path in paths:
            for _, record in _records(path):
                yield record

    return tf.data.Dataset.from_generator(
        records, output_signature=tf.TensorSpec([], tf.string)).prefetch(tf.data.AUTOTUNE)


class CorruptShardError(fmt.CorruptRecordError):
    """A record of a shard file that cannot be read: a bad TFRecord frame (length or data
    CRC, a cut file) or a payload that is not a well-formed tf.train.Example of this
    dataset. The message names the file and the record's index in it."""


class NumpyExamples:
    """The examples of one split as dicts of NumPy values, read without TensorFlow.

    Iterating yields {"image": uint8 HxWxC array, writable (or the encoded bytes with
    ``decode=False``), "key": bytes, and "label": int64 | "multi_label": int64 array |
    "target": float32}, in stored order, like ``load``. Iterable again and again, with
    a length. Every record is checked: both TFRecord CRCs, then a strict protobuf parse;
    a bad one raises CorruptShardError naming the shard file.

    Views, each a new NumpyExamples with its own correct length: ``subset(i, n)`` keeps
    every n-th shard from the i-th (data-loader workers' own shards), ``strided(i, n)``
    every n-th record from the i-th (for fewer shards than workers), ``shuffled(seed)``
    the shards in a seeded random order. ``paths`` and ``counts`` are tuples, kept in step.
    """

    def __init__(self, paths, features, decode: bool = True, counts=None, stride=(0, 1)):
        self.paths = tuple(as_location(p) for p in paths)
        self.features = features
        self.decode = decode
        # Examples per shard, from dataset_info.json (None: count the records when asked).
        self.counts = tuple(int(c) for c in counts) if counts is not None else None
        if self.counts is not None and len(self.counts) != len(self.paths):
            raise ValueError(f"{len(self.counts)} counts for {len(self.paths)} shard files")
        self.stride = _checked_part(*stride)

    def _view(self, order, stride=None) -> NumpyExamples:
        counts = [self.counts[i] for i in order] if self.counts is not None else None
        return NumpyExamples([self.paths[i] for i in order], self.features, self.decode, counts,
                             self.stride if stride is None else stride)

    def subset(self, index: int, count: int) -> NumpyExamples:
        """Every ``count``-th shard from the ``index``-th (0 <= index < count). With fewer
        shards than ``count`` some subsets are empty: see ``strided``."""
        index, count = _checked_part(index, count)
        if self.stride != (0, 1):
            raise ValueError("subset() of a strided view: take subset() first, then strided()")
        return self._view(range(index, len(self.paths), count))

    def strided(self, index: int, count: int) -> NumpyExamples:
        """Every ``count``-th record from the ``index``-th (0 <= index < count), over all
        shards: every shard is read, the other records are skipped unparsed."""
        index, count = _checked_part(index, count)
        if self.stride != (0, 1):
            raise ValueError("strided() of a strided view")
        return self._view(range(len(self.paths)), (index, count))

    def shuffled(self, seed: int) -> NumpyExamples:
        """The shards in a random order drawn from ``seed`` (the same seed, the same order);
        records keep their order within a shard. For an epoch-dependent order pass e.g.
        ``seed + epoch``; mix records further with a shuffle buffer (data.torch has one)."""
        order = np.random.default_rng(seed).permutation(len(self.paths))
        return self._view([int(i) for i in order])

    def shard_counts(self) -> tuple[int, ...]:
        """Examples per shard file (counted by reading when the metadata did not say)."""
        if self.counts is None:
            self.counts = tuple(sum(1 for _ in _records(path)) for path in self.paths)
        return self.counts

    def __len__(self) -> int:
        total = sum(self.shard_counts())
        start, step = self.stride
        return len(range(start, total, step))

    def __iter__(self) -> Iterator[dict]:
        start, step = self.stride
        position = 0  # the record's index over all shards of this view
        for path in self.paths:
            for index, record in _records(path):
                position += 1
                if (position - 1) % step != start:
                    continue
                try:
                    example = self._example(record)
                except (BadExampleError, OSError, ValueError) as error:
                    raise CorruptShardError(f"{path}: record {index}: {error}") from None
                yield example

    def _example(self, record: bytes) -> dict:
        feature = parse_message(record).features.feature
        task = self.features.task
        label_name = _LABEL_FEATURE[task]
        for name in (fmt.IMAGE, fmt.KEY, label_name):
            if name not in feature and name != fmt.MULTI_LABEL:  # an empty multi_label may be left out
                raise BadExampleError(f"the {name!r} feature is missing")
        try:
            image = feature[fmt.IMAGE].bytes_list.value[0]
            out = {fmt.IMAGE: image, fmt.KEY: feature[fmt.KEY].bytes_list.value[0]}
            if task == "single_label":
                out[fmt.LABEL] = np.int64(feature[fmt.LABEL].int64_list.value[0])
            elif task == "multi_label":
                values = feature[fmt.MULTI_LABEL].int64_list.value if fmt.MULTI_LABEL in feature else ()
                out[fmt.MULTI_LABEL] = np.array(values, dtype=np.int64)
            else:
                out[fmt.TARGET] = np.float32(feature[fmt.TARGET].float_list.value[0])
        except IndexError:
            raise BadExampleError(f"a feature of {sorted(feature)} has no value of its type") from None
        if self.decode:
            try:
                out[fmt.IMAGE] = decode_image(image, self.features.channels)
            except Exception as error:  # PIL raises many kinds on bad bytes
                raise BadExampleError(f"the image of {out[fmt.KEY]!r} does not decode: {error!r}") from None
        return out


_LABEL_FEATURE = {"single_label": fmt.LABEL, "multi_label": fmt.MULTI_LABEL, "regression": fmt.TARGET}


def _checked_part(index, count) -> tuple[int, int]:
    """(index, count) of one part of ``count``: integers, 0 <= index < count."""
    for name, value in (("index", index), ("count", count)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an integer, not {value!r}")
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    if not 0 <= index < count:
        raise ValueError(f"index must be in [0, {count}), not {index}")
    return int(index), int(count)


def _records(path) -> Iterator[tuple[int, bytes]]:
    """(index, payload) of each record of a shard file (a path, or a URL streamed in
    ranged GETs); a bad frame raises CorruptShardError naming the file."""
    with open_file(path) as stream:
        records = fmt.iter_records(stream)
        index = 0
        while True:
            try:
                record = next(records)
            except StopIteration:
                return
            except fmt.CorruptRecordError as error:
                raise CorruptShardError(f"{path}: record {index}: {error}") from None
            yield index, record
            index += 1
