"""Reading a built dataset back into tf.data (the only module here importing TensorFlow)."""

from __future__ import annotations

import os
from pathlib import Path

from data import format as fmt
from data.locate import find_dataset_dir
from data.metadata import features_of, read_info


def info(name_or_path: str | os.PathLike, data_dir: Path | None = None) -> dict:
    """The dataset_info.json of a built dataset; refuses an unfinished build."""
    return read_info(find_dataset_dir(name_or_path, data_dir))


def shard_paths(name_or_path, split: str, data_dir: Path | None = None) -> list[Path]:
    directory = find_dataset_dir(name_or_path, data_dir)
    meta = read_info(directory)
    if split not in meta["splits"]:
        raise KeyError(
            f"{meta['name']} has no split {split!r}; it has {sorted(meta['splits'])}"
        )
    return [directory / shard["file"] for shard in meta["splits"][split]["shards"]]


def load(name_or_path, split: str, data_dir: Path | None = None, decode: bool = True):
    """A tf.data.Dataset of {"image": uint8 HxWxC, "label" | "multi_label" | "target", "key"}.

    Records come in stored order (already shuffled globally at build time); shuffle
    again per epoch in the training pipeline as usual.
    """
    import tensorflow as tf

    directory = find_dataset_dir(name_or_path, data_dir)
    meta = read_info(directory)
    features = features_of(meta)
    paths = [str(p) for p in shard_paths(directory, split)]
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
