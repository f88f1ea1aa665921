"""TFDS without traps, on fixture builds of two TFDS catalog names (mnist, cifar10) and one
name TFDS does not know (semeion): the documented call reads every one of them from its
own folder, and the call a TFDS user is likely to type instead (``tfds.load(name,
data_dir=<data dir>/datasets)``, or the data dir itself) neither downloads nor writes."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from conftest import build_once

import data
from data import tfds_compat

tfds = pytest.importorskip("tensorflow_datasets")

CATALOG = ["mnist", "cifar10"]  # names TFDS's own catalog has (it would build its version)
NAMES = [*CATALOG, "semeion"]  # semeion: unknown to TFDS, and a split named dev-test

# Network use of this process while a check runs, seen through Python's audit events (a
# real observation of every socket lookup and connection, not a stand-in for them).
_NETWORK: list | None = None


def _audit(event, args):
    if _NETWORK is not None and event in ("socket.getaddrinfo", "socket.connect"):
        _NETWORK.append((event, args[:2]))


sys.addaudithook(_audit)


@pytest.fixture(scope="module")
def built(tmp_path_factory, http_mirror):
    return build_once(tmp_path_factory, http_mirror, "tfds_load", *NAMES)


def _tree(folder):
    return sorted((p.relative_to(folder).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in folder.rglob("*"))


def _in_order(builder, split):
    config = tfds.ReadConfig(interleave_cycle_length=1)  # the shards in data.load's order
    return list(tfds.as_numpy(builder.as_dataset(split=split, read_config=config)))


@pytest.mark.parametrize("name", NAMES)
def test_documented_call_reads_every_build_catalog_names_included(built, name):
    directory = built.dataset_dir(name)
    info = data.info(directory)
    assert data.tfds_dir(name, data_dir=built.data_dir) == directory / "tfds"
    builder = tfds.builder_from_directory(data.tfds_dir(directory))
    assert builder.info.name == name and str(builder.info.version) == info["version"]
    assert builder.info.features["label"].names == info["features"]["class_names"]
    sizes = [artifact.get("size") for artifact in info["artifacts"]]
    if all(isinstance(size, int) for size in sizes):  # mnist, cifar10 declare theirs
        assert builder.info.download_size == sum(sizes) > 0
    else:  # semeion's provider publishes no size
        assert builder.info.download_size == 0
    same = data.tfds_builder(name, data_dir=built.data_dir)
    assert same.info.splits.keys() == builder.info.splits.keys() == info["splits"].keys()
    for split in info["splits"]:  # dev-test too: TFDS takes that name
        ours = list(data.load(directory, split).as_numpy_iterator())
        theirs = _in_order(same, split)
        assert [e["key"] for e in theirs] == [e["key"] for e in ours]
        for mine, other in zip(ours, theirs, strict=True):
            assert other["label"] == mine["label"] and np.array_equal(other["image"], mine["image"])


@pytest.mark.parametrize("where", ["datasets", "data dir", "tfds folder"])
@pytest.mark.parametrize("name", NAMES)
def test_likely_mistaken_tfds_load_neither_downloads_nor_writes(built, name, where):
    global _NETWORK
    target = {"datasets": built.data_dir / "datasets", "data dir": built.data_dir,
              "tfds folder": built.dataset_dir(name) / "tfds"}[where]
    before = _tree(built.data_dir)
    _NETWORK = []
    try:
        if name in CATALOG:
            # TFDS takes its catalog's code and version and goes to download into the
            # folder it was given; it stops on the guard, the first thing it would create.
            with pytest.raises(FileExistsError, match="downloads"):
                tfds.load(name, data_dir=target, split="train")
        else:
            with pytest.raises(tfds.core.registered.DatasetNotFoundError):
                tfds.load(name, data_dir=target, split="train")
        network, _NETWORK = _NETWORK, None
    finally:
        _NETWORK = None
    assert network == []
    assert _tree(built.data_dir) == before
    guard = target / tfds_compat.GUARD_NAME
    assert guard.read_bytes() == tfds_compat.GUARD_TEXT
    assert b"tfds.builder_from_directory(data.tfds_dir(" in guard.read_bytes()


def test_guard_leaves_real_tfds_downloads_alone(tmp_path):
    version = tmp_path / "datasets" / "toy" / "1.0.0"
    version.mkdir(parents=True)
    (tmp_path / "downloads").mkdir()  # someone's real TFDS data dir shares this root
    (tmp_path / "downloads" / "file").write_text("kept")
    tfds_compat.write_download_guards(version)
    tfds_compat.write_download_guards(version)  # again: unchanged
    assert (tmp_path / "downloads" / "file").read_text() == "kept"
    assert (tmp_path / "datasets" / "downloads").read_bytes() == tfds_compat.GUARD_TEXT
    assert sorted(p.name for p in (tmp_path / "datasets").iterdir()) == ["downloads", "toy"]
    (tmp_path / "datasets" / "downloads").write_bytes(b"someone's own file")
    tfds_compat.write_download_guards(version)  # not ours: kept as it is
    assert (tmp_path / "datasets" / "downloads").read_bytes() == b"someone's own file"
    elsewhere = tmp_path / "copy" / "1.0.0"  # not under a datasets/ folder: no guard
    assert tfds_compat.guard_paths(elsewhere) == []
