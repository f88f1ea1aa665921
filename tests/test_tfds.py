"""Other readers of a fixture build: TensorFlow Datasets (from its tfds/ folder) and the
NumPy reader (no TensorFlow) give the examples data.load gives."""

from __future__ import annotations

import numpy as np
import pytest

import data
from data import images
from data.tfds_compat import TFDS_DIR

tfds = pytest.importorskip("tensorflow_datasets")

# JPEG pass-through single-label, greyscale single-label, multi-label, regression.
TASKS = ["caltech101", "semeion", "awa2", "mall_count"]


def _in_order(builder, split, **kwargs):
    # One file at a time, so TFDS reads the shards in the order data.load does.
    config = tfds.ReadConfig(interleave_cycle_length=1)
    return list(tfds.as_numpy(builder.as_dataset(split=split, read_config=config, **kwargs)))


@pytest.mark.parametrize("name", TASKS)
def test_tfds_and_numpy_read_the_same_examples_as_data_load(workspace, name):
    workspace.fixture(name)
    workspace.build(name)
    directory = workspace.dataset_dir(name)
    info = data.info(directory)
    builder = tfds.builder_from_directory(directory / TFDS_DIR)
    assert builder.info.name == name and str(builder.info.version) == info["version"]
    assert {s: v.num_examples for s, v in builder.info.splits.items()} == {
        s: v["num_examples"] for s, v in info["splits"].items()}
    names = info["features"].get("class_names") or info["features"].get("label_vocabulary")
    if info["features"]["task"] == "single_label":
        assert builder.info.features["label"].names == names
    elif info["features"]["task"] == "multi_label":
        assert builder.info.features["multi_label"].feature.names == names
    for split in info["splits"]:
        ours = list(data.load(directory, split).as_numpy_iterator())
        theirs = _in_order(builder, split)
        assert [e["key"] for e in theirs] == [e["key"] for e in ours]
        for mine, tfds_example in zip(ours, theirs, strict=True):
            assert set(tfds_example) == set(mine)
            for feature, value in mine.items():
                assert np.array_equal(tfds_example[feature], value), (split, mine["key"], feature)
        _check_numpy_reader(directory, split, ours)


def _check_numpy_reader(directory, split, ours):
    import tensorflow as tf

    raw = list(data.load(directory, split, decode=False).as_numpy_iterator())
    plain = data.load(directory, split, as_numpy=True)
    assert len(plain) == len(ours)
    parts = [plain.subset(i, 2) for i in range(2)]  # two data-loader workers
    assert sorted(e["key"] for part in parts for e in part) == sorted(e["key"] for e in ours)
    assert sum(len(part) for part in parts) == len(ours)
    for mine, encoded, numpy_example in zip(ours, raw, plain, strict=True):
        assert set(numpy_example) == set(mine)
        assert isinstance(numpy_example["image"], np.ndarray) and numpy_example["image"].dtype == np.uint8
        for feature in set(mine) - {"image"}:
            assert np.array_equal(numpy_example[feature], mine[feature]), feature
            assert np.asarray(numpy_example[feature]).dtype == np.asarray(mine[feature]).dtype
        if encoded["image"].startswith(images.JPEG_SIGNATURE):
            # PIL decodes JPEG with the accurate integer IDCT; TensorFlow's default is the
            # fast one (a level or two apart), its accurate one is the same as PIL's.
            accurate = tf.io.decode_jpeg(encoded["image"], channels=mine["image"].shape[-1],
                                         dct_method="INTEGER_ACCURATE").numpy()
            assert np.array_equal(numpy_example["image"], accurate)
        else:
            assert np.array_equal(numpy_example["image"], mine["image"])


def test_tfds_slices_and_supervised_pairs(workspace):
    workspace.fixture("caltech101")
    workspace.build("caltech101")
    directory = workspace.dataset_dir("caltech101")
    builder = tfds.builder_from_directory(directory / TFDS_DIR)
    ours = list(data.load(directory, "train").as_numpy_iterator())
    head = _in_order(builder, "train[:10%]")
    assert len(head) == round(len(ours) / 10) > 0
    assert [e["key"] for e in head] == [e["key"] for e in ours[: len(head)]]
    pairs = _in_order(builder, "train", as_supervised=True)
    assert len(pairs) == len(ours)
    for (image, label), mine in zip(pairs, ours, strict=True):
        assert label == mine["label"] and np.array_equal(image, mine["image"])
    assert builder.info.supervised_keys == ("image", "label")


def test_metadata_files_are_byte_identical_when_rewritten(workspace):
    workspace.fixture("awa2")
    workspace.build("awa2")
    directory = workspace.dataset_dir("awa2")
    files = sorted(p for p in directory.rglob("*") if p.is_file() and ".tfrecord-" not in p.name)
    assert {p.relative_to(directory).as_posix() for p in files} == {
        "dataset_info.json", "croissant.json", "tfds/dataset_info.json", "tfds/features.json",
        "tfds/multi_label.labels.txt", "tfds/downloads"}
    before = {p: p.read_bytes() for p in files}
    for path in files:
        path.unlink()
    workspace.build("awa2")  # only WriteMetadata reruns: shards and sidecars are kept
    assert {p: p.read_bytes() for p in files} == before

