"""The Parquet export (python -m tasks export) read by the real mlcroissant and Hugging Face
datasets: the same examples as data.load, for a single-label greyscale dataset with a
``dev-test`` split and a derived ``train_and_dev`` (semeion), single-label RGB (toyset),
multi-label JPEGs (awa2) and regression (mall_count); byte-identical when written again."""

from __future__ import annotations

import functools
import io
import json
import os
import subprocess
import sys

os.environ["HF_DATASETS_OFFLINE"] = "1"  # before datasets is imported: never the Hub

import numpy as np
import pytest
from PIL import Image

import data
from data import images
from data.export import EXPORT_DIR, export_parquet, hf_split_name

mlc = pytest.importorskip("mlcroissant")
hf = pytest.importorskip("datasets")
pytest.importorskip("pyarrow")

NAMES = ["semeion", "toyset", "awa2", "mall_count"]
LABEL = {"single_label": "label", "multi_label": "multi_label", "regression": "target"}


@pytest.fixture(scope="module")
def built(tmp_path_factory, http_mirror):
    from conftest import build_once

    workspace = build_once(tmp_path_factory, http_mirror, "export", *NAMES)
    for name in NAMES:
        export_parquet(workspace.dataset_dir(name))
    return workspace


@functools.cache  # per dataset, shared by the tests of this module
def _ours(directory) -> dict[str, dict[bytes, dict]]:
    """split -> key -> data.load's example, with the pixels PIL gives for the stored bytes
    (PNG: data.load's own; JPEG: TensorFlow's accurate IDCT, which PIL's equals)."""
    import tensorflow as tf

    out = {}
    for split in data.info(directory)["splits"]:
        decoded = data.load(directory, split).as_numpy_iterator()
        encoded = data.load(directory, split, decode=False).as_numpy_iterator()
        out[split] = {}
        for example, raw in zip(decoded, encoded, strict=True):
            if raw["image"].startswith(images.JPEG_SIGNATURE):
                example["image"] = tf.io.decode_jpeg(
                    raw["image"], channels=example["image"].shape[-1],
                    dct_method="INTEGER_ACCURATE").numpy()
            out[split][example["key"]] = example
    return out


def _pixels(image: Image.Image, channels: int) -> np.ndarray:
    array = np.asarray(image)
    return array.reshape(array.shape[0], array.shape[1], channels)


def _same_label(task: str, theirs, mine) -> bool:
    if task == "multi_label":
        return list(theirs) == mine["multi_label"].tolist()
    if task == "regression":
        return np.float32(theirs) == mine["target"]
    return theirs == mine["label"]


@pytest.mark.parametrize("name", NAMES)
def test_mlcroissant_iterates_the_examples_data_load_reads(built, name):
    directory = built.dataset_dir(name)
    info = data.info(directory)
    task, channels = info["features"]["task"], info["features"]["channels"]
    dataset = mlc.Dataset(jsonld=directory / EXPORT_DIR / "croissant.json")  # validates
    assert all("datePublished" in str(w) for w in dataset.metadata.issues.warnings)
    ours = _ours(directory)
    seen = {split: set() for split in ours}
    for record in dataset.records("examples"):
        split, key = record["examples/split"].decode(), record["examples/key"]
        mine = ours[split][key]
        assert _same_label(task, record[f"examples/{LABEL[task]}"], mine), key
        assert np.array_equal(_pixels(record["examples/image"], channels), mine["image"]), key
        seen[split].add(key)
    assert seen == {split: set(examples) for split, examples in ours.items()}
    names = info["features"].get("class_names") or info["features"].get("label_vocabulary")
    if names:
        classes = [r["classes/name"] for r in dataset.records("classes")]
        assert [c.decode() if isinstance(c, bytes) else c for c in classes] == names


@pytest.mark.parametrize("name", NAMES)
def test_hugging_face_load_dataset_gives_the_same_examples(built, name, tmp_path):
    directory = built.dataset_dir(name)
    info = data.info(directory)
    task, channels = info["features"]["task"], info["features"]["channels"]
    export = directory / EXPORT_DIR
    before = sorted((p.name, p.stat().st_mtime_ns) for p in export.iterdir())
    loaded = hf.load_dataset(str(export), cache_dir=str(tmp_path / "hf-cache"))
    assert sorted((p.name, p.stat().st_mtime_ns) for p in export.iterdir()) == before
    ours = _ours(directory)
    derived = info.get("derived_splits", {})
    assert set(loaded) == {hf_split_name(s) for s in [*ours, *derived]}
    if "dev-test" in ours:
        assert "dev_test" in loaded and "dev-test" not in loaded
    names = info["features"].get("class_names") or info["features"].get("label_vocabulary")
    features = loaded[hf_split_name(next(iter(ours)))].features
    assert isinstance(features["image"], hf.Image)
    if task == "single_label":
        assert isinstance(features["label"], hf.ClassLabel) and features["label"].names == names
    elif task == "multi_label":
        assert features["multi_label"].feature.names == names
    else:
        assert features["target"].dtype == "float32"
    for split, examples in ours.items():
        rows = loaded[hf_split_name(split)]
        assert [row["key"].encode() for row in rows] == list(examples)  # stored order
        for row in rows:
            mine = examples[row["key"].encode()]
            assert _same_label(task, row[LABEL[task]], mine)
            assert np.array_equal(_pixels(row["image"], channels), mine["image"])
    for split, entry in derived.items():
        keys = [row["key"].encode() for row in loaded[split]]
        assert keys == [k for part in entry["splits"] for k in ours[part]]
    streamed = hf.load_dataset(str(export), streaming=True)  # no copy into a cache
    for split, examples in ours.items():
        rows = list(streamed[hf_split_name(split)])
        assert [row["key"].encode() for row in rows] == list(examples)
        assert np.array_equal(_pixels(rows[0]["image"], channels), examples[rows[0]["key"].encode()]["image"])


def test_export_is_byte_identical_and_tfrecords_stay_primary(built, tmp_path):
    directory = built.dataset_dir("semeion")
    first = {p.name: p.read_bytes() for p in (directory / EXPORT_DIR).iterdir()}
    (tmp_path / "again").mkdir()  # an earlier export of a build with 9 train shards:
    (tmp_path / "again" / "semeion-train-00000-of-00009.parquet").write_bytes(b"stale")
    result = subprocess.run(
        [sys.executable, "-m", "tasks", "export", "semeion", "-o", str(tmp_path / "again")],
        cwd=built.path, env=built.env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "croissant.json" in result.stdout
    again = {p.name: p.read_bytes() for p in (tmp_path / "again").iterdir()}
    assert again == first  # the stale file is gone
    shards = json.loads((directory / "dataset_info.json").read_text())["splits"]
    assert sorted(first) == sorted(
        [f"semeion-{s}-{i:05d}-of-{len(e['shards']):05d}.parquet" for s, e in shards.items()
         for i in range(len(e["shards"]))] + ["README.md", "croissant.json"])
    data.verify(directory)  # the shards and their metadata are untouched
    card = first["README.md"].decode()
    assert "- split: dev_test" in card and "- split: train_and_dev" in card
    # One Parquet file per shard, the same records in the same order.
    import pyarrow.parquet as pq

    for shard in data.info(directory)["splits"]["dev-test"]["shards"]:
        parquet = shard["file"].replace(".tfrecord-", "-") + ".parquet"
        table = pq.read_table(directory / EXPORT_DIR / parquet)
        assert table.num_rows == shard["num_examples"]
    png = Image.open(io.BytesIO(pq.read_table(next((directory / EXPORT_DIR).glob("*.parquet")))
                                .column("image")[0]["bytes"].as_py()))
    assert png.format == "PNG"  # the stored bytes, not re-encoded
