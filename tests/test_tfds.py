"""TensorFlow Datasets opens a fixture build (from its tfds/ folder) and reads what data.load reads."""

from __future__ import annotations

import numpy as np
import pytest

import data
from data.tfds_compat import TFDS_DIR

tfds = pytest.importorskip("tensorflow_datasets")

# One dataset per task: JPEG pass-through single-label, multi-label, regression.
TASKS = ["caltech101", "awa2", "mall"]


def _in_order(builder, split, **kwargs):
    # One file at a time, so TFDS reads the shards in the order data.load does.
    config = tfds.ReadConfig(interleave_cycle_length=1)
    return list(tfds.as_numpy(builder.as_dataset(split=split, read_config=config, **kwargs)))


@pytest.mark.parametrize("name", TASKS)
def test_tfds_reads_the_same_examples_as_data_load(workspace, name):
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
        "tfds/multi_label.labels.txt"}
    before = {p: p.read_bytes() for p in files}
    for path in files:
        path.unlink()
    workspace.build("awa2")  # only WriteMetadata reruns: shards and sidecars are kept
    assert {p: p.read_bytes() for p in files} == before
