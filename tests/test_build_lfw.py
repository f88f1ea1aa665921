"""End to end and parsing for lfw: the people with at least five photos, counted while the
tar streams by and checked against the 423 listed people shared with lfwa, and splits by
photo number."""

from __future__ import annotations

import io

import pytest
from conftest import assert_labels_match, build_and_read_back
from PIL import Image

import handlers
from handlers import _fixtures, _lfw_people, lfw, lfwa


def test_build_reads_back_keys_splits_labels_and_jpeg_bytes(workspace):
    spec = handlers.get("lfw")
    splits = {}
    for split, record, want in build_and_read_back(workspace, "lfw", decode=False):
        assert_labels_match(spec, record, want)
        # Colour JPEGs pass through byte for byte; the greyscale one is re-encoded as RGB.
        if Image.open(io.BytesIO(want.image)).mode == "RGB":
            assert record["image"] == want.image, want.key
        else:
            assert Image.open(io.BytesIO(record["image"])).mode == "RGB", want.key
        splits[want.key] = split
    bush = {int(k[-8:-4]): s for k, s in splits.items() if "/George_W_Bush/" in k}
    assert bush == {1: "train", 2: "train", 3: "dev", 4: "dev-test", 5: "test", 6: "test"}


def test_keeps_listed_people_with_their_labels_and_splits_by_photo_number(tmp_path):
    counts = lfw.write_fixture(tmp_path)
    examples = list(lfw.examples(tmp_path))
    assert sum(counts.values()) == len(examples) == 7 + 6 + 5
    assert {e.key.split("/")[1] for e in examples} == {"Abdullah_Gul", "George_W_Bush", "Zinedine_Zidane"}
    assert all(e.key.startswith("lfw/") and e.label == lfw.lfw.features.class_names.index(e.key.split("/")[1])
               for e in examples)
    keys = [e.key for e in examples]
    splits = dict(zip(keys, lfw.lfw.split_rule(keys, [e.label for e in examples]), strict=True))
    gul = {int(k[-8:-4]): s for k, s in splits.items() if "/Abdullah_Gul/" in k}
    assert gul == {1: "train", 2: "train", 3: "train", 4: "dev", 5: "dev-test", 6: "test", 7: "test"}
    assert counts == {"train": 3 + 2 + 1, "dev": 3, "dev-test": 3, "test": 6}


def test_spec_counts_follow_from_the_rule_over_423_people():
    assert lfw.lfw.num_examples == lfwa.lfwa.num_examples
    people = len(_lfw_people.CLASS_NAMES)
    assert people == 423
    assert lfw.lfw.num_examples == {"train": 5985 - 4 * people, "dev": people, "dev-test": people,
                                    "test": 2 * people}
    # lfw and lfwa classify the same people with the same rule.
    assert lfwa.CLASS_NAMES is lfw.lfw.features.class_names and lfwa.SPLIT_RULE is lfw.lfw.split_rule


def test_people_filter_keeps_five_or_more_and_rejects_a_different_list():
    photos = [f"lfw/Tony_Blair/Tony_Blair_{i:04d}.jpg" for i in range(1, 6)]
    photos += [f"lfw/Aaron_Peirsol/Aaron_Peirsol_{i:04d}.jpg" for i in range(1, 5)]
    assert _lfw_people.people_with_enough_images(photos, "lfw.tgz") == {"Tony_Blair"}
    with pytest.raises(ValueError, match=r"lfw.tgz: 1 people with >= 5 photos are not among the 423"):
        _lfw_people.people_with_enough_images(
            [f"lfw/Someone_New/Someone_New_{i:04d}.jpg" for i in range(1, 6)], "lfw.tgz")
    with pytest.raises(ValueError, match="fewer than 5 photos: \\['Tony_Blair'\\]"):
        _lfw_people.check_counts({"Tony_Blair": 4}, "lfw.tgz")
    assert _lfw_people.person("lfw/Tony_Blair/Tony_Blair_0001.jpg") == "Tony_Blair"


@pytest.mark.parametrize(("who", "count", "problem"), [
    ("Aaron_Peirsol", 5, "not among the 423 known"),  # unlisted, yet 5 photos
    ("Tony_Blair", 4, "fewer than 5"),  # listed, yet 4 photos
])
def test_archive_whose_people_differ_from_the_list_fails(tmp_path, who, count, problem):
    image = _fixtures.jpeg_bytes(_fixtures.pixels(0, 8, 8, 3))
    members = [(f"lfw/Abdullah_Gul/Abdullah_Gul_{i:04d}.jpg", image) for i in range(1, 6)]
    members += [(f"lfw/{who}/{who}_{i:04d}.jpg", image) for i in range(1, count + 1)]
    _fixtures.write_tar(tmp_path / "lfw.tgz", members)
    with pytest.raises(ValueError, match=problem):
        list(lfw.examples(tmp_path))
