"""Staging: late annotations, contract errors, and the shard slices."""

from __future__ import annotations

import pytest
from PIL import Image

from data import staging
from data.types import Annotation, Example, Features

FEATURES = Features(channels=1, class_names=("a", "b", "c"))


def _image(value: int) -> Image.Image:
    return Image.new("L", (4, 3), value)


def _stage(items, tmp_path, rule=None):
    return staging.stage(items, FEATURES, tmp_path, rule)


def test_annotations_after_the_images_fill_labels_and_splits(tmp_path):
    items = [Example(f"img{i}", _image(i)) for i in range(6)]
    items += [Annotation(f"img{i}", label=i % 3, split="test" if i < 2 else "train") for i in range(6)]
    plan = _stage(items, tmp_path)
    assert {s: v["num_examples"] for s, v in plan["splits"].items()} == {"test": 2, "train": 4}
    found = {}
    with staging.StagedRecords(tmp_path / plan["records"]) as records:
        for split, count in staging.shard_counts(plan, 10**6, 2).items():
            for shard in range(count):
                rows, labels = staging.shard_rows(tmp_path, plan, split, shard, count)
                for (_, offset, length), label in zip(rows, labels, strict=True):
                    header, payload = records.read(offset, length)
                    found[header["k"]] = (split, label, payload[0])
    assert found == {f"img{i}": ("test" if i < 2 else "train", i % 3, i) for i in range(6)}


def test_shards_partition_the_split_in_hash_order(tmp_path):
    plan = _stage([Example(f"k{i}", _image(i), label=i % 3, split="train") for i in range(50)], tmp_path)
    count = staging.shard_counts(plan, 10**6, 2)["train"]
    slices = [staging.shard_rows(tmp_path, plan, "train", i, count)[0] for i in range(count)]
    hashes = [int(h) for rows in slices for h in rows[:, 0]]
    assert len(hashes) == 50 and hashes == sorted(hashes) and all(len(s) for s in slices)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([Example("x", _image(0), label=0, split="train"), Annotation("y", label=1)], "does not contain"),
        ([Example("x", _image(0), label=0, split="train"), Annotation("x", label=1)], "annotation says"),
        ([Example("x", _image(0), split="train")], "no single_label label"),
        ([Example("x", _image(0), label=3, split="train")], "outside"),
        ([Example("x", _image(0), label=0, split="train")] * 2, "duplicate keys"),
        ([Example("x", _image(0), label=0)], "no split rule"),
        ([], "no examples"),
        ([Example("x", _image(0), label=0), Annotation("x", split="test"), Annotation("x", split="test")],
         "two annotations for 'x'"),
        ([Example("x", _image(0), label=0, split="train"), Annotation("x", split="test")],
         "split 'train' but annotation says 'test'"),
        ([Example("x", _image(0), label=0, split="train"), Example("y", _image(1), split="train"),
          Annotation("x", label=0)], "example 'y' has no single_label label"),
    ],
)
def test_contract_violations_are_clear_errors(tmp_path, items, message):
    with pytest.raises(staging.PlanError, match=message):
        _stage(items, tmp_path)
    assert not (tmp_path / staging.PLAN_FILE).exists()
