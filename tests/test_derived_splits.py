"""train_and_dev: read by name as the union of train and dev, from their own shards, in
tf.data and the NumPy reader; nothing is copied and nothing but the metadata changes."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import build_once

import data
from data import format as fmt
from data.croissant import CROISSANT_FILE
from data.tfds_compat import TFDS_DIR, tfds_files


@pytest.fixture(scope="module")
def built(tmp_path_factory, http_mirror):
    """semeion (train, dev, dev-test, test) and toyset (train, test), built for real once;
    the tests only read them."""
    workspace = build_once(tmp_path_factory, http_mirror, "derived", "semeion", "toyset")
    assert workspace.counts["semeion"]["train"] and workspace.counts["semeion"]["dev"]
    return workspace, workspace.counts


def _keys(directory, split, **kwargs) -> list[bytes]:
    if kwargs.get("as_numpy"):
        return [e["key"] for e in data.load(directory, split, **kwargs)]
    return [e["key"] for e in data.load(directory, split, **kwargs).as_numpy_iterator()]


def test_train_and_dev_reads_the_train_and_dev_shards(built):
    workspace, counts = built
    directory = workspace.dataset_dir("semeion")
    total = counts["semeion"]["train"] + counts["semeion"]["dev"]
    info = data.info(directory)
    assert info["derived_splits"] == {"train_and_dev": {"splits": ["train", "dev"], "num_examples": total}}

    train, dev = _keys(directory, "train"), _keys(directory, "dev")
    both = _keys(directory, "train_and_dev")
    assert len(both) == total == len(train) + len(dev)
    assert set(both) == set(train) | set(dev) and len(set(both)) == total
    assert both == train + dev  # stored order: train's shards, then dev's
    decoded = next(data.load(directory, "train_and_dev").as_numpy_iterator())
    assert decoded["image"].shape[-1] == info["features"]["channels"]

    plain = data.load(directory, "train_and_dev", as_numpy=True)
    assert len(plain) == total
    assert [e["key"] for e in plain] == both
    shards = len(info["splits"]["train"]["shards"]) + len(info["splits"]["dev"]["shards"])
    assert len(plain.paths) == shards
    parts = [plain.subset(i, 2) for i in range(2)]  # two data-loader workers
    assert sum(len(part) for part in parts) == total
    assert sorted(e["key"] for part in parts for e in part) == sorted(both)


def test_nothing_is_written_for_it_but_the_metadata_entry(built):
    workspace, _ = built
    directory = workspace.dataset_dir("semeion")
    info = data.info(directory)
    stored = {shard["file"] for entry in info["splits"].values() for shard in entry["shards"]}
    expected = stored | {fmt.INFO_FILE, CROISSANT_FILE} | {f"{TFDS_DIR}/{name}" for name in tfds_files(info)}
    files = {str(path.relative_to(directory)) for path in directory.rglob("*") if path.is_file()}
    assert files == expected
    assert not any("train_and_dev" in name for name in files)
    for other in (CROISSANT_FILE, f"{TFDS_DIR}/{fmt.INFO_FILE}"):
        assert "train_and_dev" not in (directory / other).read_text(), other
    assert set(info["splits"]) == {"train", "dev", "dev-test", "test"}
    assert data.verify(directory)["examples"] == sum(e["num_examples"] for e in info["splits"].values())


def test_only_datasets_with_train_and_dev_have_it(built):
    workspace, _ = built
    directory = workspace.dataset_dir("toyset")
    info = data.info(directory)
    assert set(info["splits"]) == {"train", "test"} and "derived_splits" not in info
    for as_numpy in (False, True):
        with pytest.raises(data.UnknownSplitError) as error:
            data.load(directory, "train_and_dev", as_numpy=as_numpy)
        assert str(error.value) == "toyset has no split 'train_and_dev'; it has test, train"


def test_an_unknown_split_names_the_stored_and_derived_ones(built):
    workspace, _ = built
    directory = workspace.dataset_dir("semeion")
    for as_numpy in (False, True):
        with pytest.raises(data.UnknownSplitError) as error:
            data.load(directory, "validation", as_numpy=as_numpy)
        assert str(error.value) == (
            "semeion has no split 'validation'; it has dev, dev-test, test, train, "
            "train_and_dev (= train + dev)")
    assert isinstance(error.value, KeyError)  # what an unknown split raised before


def test_builds_from_before_the_field_still_read_it(built, tmp_path):
    workspace, counts = built
    directory = tmp_path / "semeion"
    shutil.copytree(workspace.dataset_dir("semeion"), directory)
    path = directory / fmt.INFO_FILE
    info = json.loads(path.read_text())
    del info["derived_splits"]
    path.write_text(json.dumps(info))
    assert len(_keys(directory, "train_and_dev", as_numpy=True, decode=False)) == (
        counts["semeion"]["train"] + counts["semeion"]["dev"])


def test_tfds_reads_the_same_union_as_train_plus_dev(built):
    tfds = pytest.importorskip("tensorflow_datasets")
    workspace, _ = built
    directory = workspace.dataset_dir("semeion")
    builder = tfds.builder_from_directory(directory / TFDS_DIR)
    assert "train_and_dev" not in builder.info.splits
    theirs = [e["key"] for e in tfds.as_numpy(builder.as_dataset(split="train+dev"))]
    assert sorted(theirs) == sorted(_keys(directory, "train_and_dev"))
