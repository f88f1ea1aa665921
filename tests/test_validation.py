"""Dataset validation: the Example parser against TensorFlow, shard scans, the merged report."""

from __future__ import annotations

import io
import json
import math
import struct

import numpy as np
import pytest
from PIL import Image

from data import format as fmt
from data import validation
from data.images import png_from_array
from data.types import Features
from handlers import _fixtures

CLASSES = Features(channels=3, class_names=("c0", "c1", "c2"))


# --- parse_example ----------------------------------------------------------------


def test_parse_example_matches_tensorflow_serialization():
    import tensorflow as tf

    example = tf.train.Example(features=tf.train.Features(feature={
        "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"\x00\xff", b"", b"x" * 300])),
        "key": tf.train.Feature(bytes_list=tf.train.BytesList(value=["é/1".encode()])),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[7])),
        "multi_label": tf.train.Feature(int64_list=tf.train.Int64List(
            value=[0, -1, -3, 2**40, -(2**63), 2**63 - 1])),
        "target": tf.train.Feature(float_list=tf.train.FloatList(value=[12.5, -0.1, float("inf")])),
        "empty_ints": tf.train.Feature(int64_list=tf.train.Int64List(value=[])),
        "empty_floats": tf.train.Feature(float_list=tf.train.FloatList(value=[])),
        "nothing": tf.train.Feature(),
    }))
    parsed = fmt.parse_example(example.SerializeToString())
    assert parsed == {
        "image": [b"\x00\xff", b"", b"x" * 300],
        "key": ["é/1".encode()],
        "label": [7],
        "multi_label": [0, -1, -3, 2**40, -(2**63), 2**63 - 1],
        "target": [12.5, float(np.float32(-0.1)), float("inf")],
        "empty_ints": [],
        "empty_floats": [],
        "nothing": [],
    }


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes(out + bytes((value,)))


def _delimited(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def test_parse_example_reads_unpacked_lists():
    import tensorflow as tf

    # Unpacked repeated fields: one tag per value (int64 as varints, floats as fixed32).
    ints = b"".join(_varint(1 << 3 | 0) + _varint(v) for v in (5, -2, 2**62))
    floats = b"".join(_varint(1 << 3 | 5) + struct.pack("<f", v) for v in (1.5, -4.0))
    entries = b"".join(
        _delimited(1, _delimited(1, name) + _delimited(2, _delimited(kind, body)))
        for name, kind, body in ((b"ints", 3, ints), (b"floats", 2, floats))
    )
    serialized = _delimited(1, entries)
    feature = tf.train.Example.FromString(serialized).features.feature
    assert list(feature["ints"].int64_list.value) == [5, -2, 2**62]
    assert fmt.parse_example(serialized) == {"ints": [5, -2, 2**62], "floats": [1.5, -4.0]}


def test_parse_example_inverts_our_serializer():
    features = {"image": b"\x89PNG", "key": b"k", "label": -3, "multi_label": [1, 2**40],
                "target": [0.5]}
    assert fmt.parse_example(fmt.serialize_example(features)) == {
        "image": [b"\x89PNG"], "key": [b"k"], "label": [-3], "multi_label": [1, 2**40],
        "target": [0.5],
    }


# --- fixtures -----------------------------------------------------------------------


def _picture(seed: int, size: int = 64, channels: int = 3) -> np.ndarray:
    """A structured image: a random 6x6 grid, smoothly upscaled, with a little noise.

    Unrelated seeds give dHashes about 32 bits apart (plain gradients would all hash alike).
    """
    rng = np.random.default_rng(seed)
    shape = (6, 6, channels) if channels == 3 else (6, 6)
    coarse = Image.fromarray(rng.integers(0, 256, size=shape, dtype=np.uint8))
    smooth = np.asarray(coarse.resize((size, size), Image.Resampling.BILINEAR), dtype=np.int16)
    return np.clip(smooth + rng.integers(-6, 7, size=smooth.shape), 0, 255).astype(np.uint8)


def _record(key: str, image: bytes, label=0, feature: str = fmt.LABEL) -> bytes:
    return fmt.serialize_example({fmt.IMAGE: image, fmt.KEY: key.encode(), feature: label})


def _write(path, records: list[bytes]):
    path.write_bytes(b"".join(fmt.frame_record(r) for r in records))
    return path


def _scan(path, split, features=CLASSES, **options) -> dict:
    # The caller stores scans as JSON files: go through JSON as it will.
    return json.loads(json.dumps(validation.scan_shard(path, split, features, **options)))


def _clean_splits(tmp_path, channels: int = 3) -> dict[str, list[dict]]:
    features = Features(channels=channels, class_names=("c0", "c1", "c2"))
    train = [_record(f"train/{i:03d}", png_from_array(_picture(i, channels=channels)), i % 3)
             for i in range(30)]
    # Passed-through JPEGs sit among the PNGs.
    train += [_record(f"train/j{i}", _fixtures.jpeg_bytes(_picture(100 + i, channels=channels)), 1)
              for i in range(3)]
    test = [_record(f"test/{i:03d}", png_from_array(_picture(200 + i, channels=channels)), i % 3)
            for i in range(12)]
    return {
        "train": [_scan(_write(tmp_path / "train-0", train[:15]), "train", features),
                  _scan(_write(tmp_path / "train-1", train[15:]), "train", features)],
        "test": [_scan(_write(tmp_path / "test-0", test), "test", features)],
    }


# --- scans and the merged section ---------------------------------------------------------


@pytest.mark.parametrize("channels", [1, 3])
def test_clean_dataset_reports_zero(tmp_path, channels):
    features = Features(channels=channels, class_names=("c0", "c1", "c2"))
    scans = _clean_splits(tmp_path, channels)
    section = validation.merge(scans, features)
    json.dumps(section)
    assert section["num_records"] == {"test": 12, "train": 33}
    for name in ("undecodable", "wrong_channels", "label_out_of_range", "duplicate_keys",
                 "classes_missing_from_train", "exact_duplicates_within_split",
                 "exact_duplicates_across_splits", "near_duplicates_train_test"):
        assert section[name]["count"] == 0, name
    assert section["near_duplicates_train_test"]["skipped_low_detail"] == 0
    ok, lines = validation.passed(section, leakage_fails=True)
    assert ok and lines == [f"{sum(section['num_records'].values())} records in "
                            f"{len(section['num_records'])} splits, no problems found"]


def test_planted_duplicates_are_reported_with_their_keys(tmp_path):
    originals = {i: _picture(i) for i in range(20)}
    train = [_record(f"a-{i:02d}", png_from_array(image), i % 3) for i, image in originals.items()]
    train.append(_record("a-20", _fixtures.jpeg_bytes(_picture(20), quality=95), 1))
    train.append(_record("a-05-copy", png_from_array(originals[5]), 2))  # within train
    shifted = np.roll(originals[3], 1, axis=1)
    test = [_record(f"t-{i:02d}", png_from_array(_picture(300 + i)), i % 3) for i in range(10)]
    test += [
        _record("t-exact", png_from_array(originals[7]), 1),
        _record("t-reencoded", _fixtures.jpeg_bytes(_picture(20), quality=60), 1),
        _record("t-shifted", png_from_array(shifted), 0),
    ]
    scans = {
        "train": [_scan(_write(tmp_path / "train", train), "train")],
        "test": [_scan(_write(tmp_path / "test", test), "test")],
    }
    section = validation.merge(scans, CLASSES)

    across = section["exact_duplicates_across_splits"]
    assert across["count"] == 1 and across["by_split_pair"] == {"test/train": 1}
    assert across["examples"] == [{"test": ["t-exact"], "train": ["a-07"]}]
    within = section["exact_duplicates_within_split"]
    assert within["count"] == 1 and within["examples"] == [{"train": ["a-05", "a-05-copy"]}]
    near = section["near_duplicates_train_test"]
    pairs = [(e["train"], e["test"]) for e in near["examples"]]
    assert pairs == [("a-03", "t-shifted"), ("a-20", "t-reencoded")]  # not the exact a-07
    assert near["count"] == 2 and near["by_split"] == {"test": 2} and near["held_out_records"] == 2

    ok, lines = validation.passed(section, leakage_fails=False)
    assert ok and any(line.startswith("WARNING: 1 images occur in several splits") for line in lines)
    ok, lines = validation.passed(section, leakage_fails=True)
    assert not ok and any("near-duplicate pairs" in line for line in lines if line.startswith("ERROR"))


def test_full_decode_hashes_jpeg_pixels(tmp_path):
    jpeg = _fixtures.jpeg_bytes(_picture(1))
    decoded = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))
    path = _write(tmp_path / "s", [_record("jpeg", jpeg), _record("png", png_from_array(decoded))])
    assert len(set(_scan(path, "train")["exact"])) == 2
    assert len(set(_scan(path, "train", full_decode=True)["exact"])) == 1


@pytest.mark.parametrize(
    ("features", "feature", "value", "reason"),
    [
        (CLASSES, fmt.LABEL, 3, "label 3 not in [0, 3)"),
        (CLASSES, fmt.LABEL, -1, "label -1 not in [0, 3)"),
        (CLASSES, fmt.MULTI_LABEL, [0], "no label feature"),
        (Features(channels=3, label_vocabulary=("a", "b")), fmt.MULTI_LABEL, [1, 2],
         "multi_label 2 not in [0, 2)"),
        (Features(channels=3, regression_target="count"), fmt.TARGET, [math.nan], "target is nan"),
    ],
)
def test_label_out_of_range_fails(tmp_path, features, feature, value, reason):
    label_feature, good = {"single_label": (fmt.LABEL, 0), "multi_label": (fmt.MULTI_LABEL, [0]),
                           "regression": (fmt.TARGET, [1.0])}[features.task]
    records = [_record(f"k{i}", png_from_array(_picture(i)), good, label_feature) for i in range(3)]
    records.append(_record("bad", png_from_array(_picture(9)), value, feature))
    scans = {"train": [_scan(_write(tmp_path / "s", records), "train", features)]}
    section = validation.merge(scans, features)
    assert section["label_out_of_range"] == {"count": 1, "examples": ["bad"], "reasons": [reason]}
    ok, lines = validation.passed(section, leakage_fails=False)
    assert not ok and lines[1].startswith("ERROR: 1 records label out of range")


def test_invalid_images_are_reported(tmp_path):
    truncated = png_from_array(_picture(1))[:-40]
    records = [
        _record("grey", png_from_array(_picture(2, channels=1))),
        _record("truncated-png", truncated),
        _record("truncated-jpeg", _fixtures.jpeg_bytes(_picture(3))[:300]),
        _record("garbage", b"not an image"),
        _record("fine", png_from_array(_picture(4))),
        fmt.serialize_example({fmt.IMAGE: b"", fmt.LABEL: 0}),  # no key
    ]
    scan = _scan(_write(tmp_path / "shard-0", records), "train")
    assert scan["num_records"] == 6 and scan["keys"] == ["grey", "truncated-png",
                                                         "truncated-jpeg", "garbage", "fine"]
    assert scan["wrong_channels"]["examples"] == ["grey"]
    assert scan["wrong_channels"]["reasons"] == ["mode L, expected RGB"]
    assert scan["undecodable"]["examples"] == ["garbage", "shard-0#5", "truncated-jpeg",
                                               "truncated-png"]
    assert scan["exact"][4] is not None and scan["exact"][:4] == [None] * 4
    ok, _ = validation.passed(validation.merge({"train": [scan]}, CLASSES), leakage_fails=False)
    assert not ok


def test_corrupt_shard_is_undecodable(tmp_path):
    data = bytearray(b"".join(fmt.frame_record(_record(f"k{i}", png_from_array(_picture(i))))
                              for i in range(3)))
    data[-10] ^= 0xFF
    path = tmp_path / "shard"
    path.write_bytes(bytes(data))
    scan = _scan(path, "train")
    assert scan["num_records"] == 2 and scan["undecodable"]["examples"] == ["shard#2"]


def test_duplicate_keys_and_split_overlap_fail(tmp_path):
    train = [_record(k, png_from_array(_picture(i))) for i, k in enumerate(["a", "b", "b", "c"])]
    test = [_record(k, png_from_array(_picture(10 + i))) for i, k in enumerate(["c", "d"])]
    scans = {"train": [_scan(_write(tmp_path / "train", train), "train")],
             "test": [_scan(_write(tmp_path / "test", test), "test")]}
    keys = validation.merge(scans, CLASSES)["duplicate_keys"]
    assert keys == {
        "count": 2, "within_split": 1, "across_splits": 1,
        "examples": [{"key": "b", "occurrences": {"train": 2}},
                     {"key": "c", "occurrences": {"test": 1, "train": 1}}],
    }
    ok, lines = validation.passed(validation.merge(scans, CLASSES), leakage_fails=False)
    assert not ok and any("splits overlap" in line for line in lines)


def test_classes_missing_from_train(tmp_path):
    train = [_record(f"a{i}", png_from_array(_picture(i)), i % 2) for i in range(4)]
    test = [_record("t", png_from_array(_picture(9)), 2)]
    scans = {"train": [_scan(_write(tmp_path / "train", train), "train")],
             "test": [_scan(_write(tmp_path / "test", test), "test")]}
    section = validation.merge(scans, CLASSES)
    assert section["classes_missing_from_train"] == {"count": 1, "names": ["c2"]}
    ok, lines = validation.passed(section, leakage_fails=True)
    assert ok and "WARNING: 1 classes never occur in train: c2" in lines
    # Without a train split there is nothing to compare with.
    assert validation.merge({"test": scans["test"]}, CLASSES)["classes_missing_from_train"] is None


def test_merge_does_not_depend_on_shard_order(tmp_path):
    scans = _clean_splits(tmp_path)
    reordered = {"test": scans["test"], "train": scans["train"][::-1]}
    assert validation.merge(scans, CLASSES) == validation.merge(reordered, CLASSES)


# --- near-duplicate search ------------------------------------------------------------


def _flip(value: int, bits: list[int]) -> int:
    for bit in bits:
        value ^= 1 << bit
    return value


def test_near_duplicate_search_finds_planted_pairs_in_large_sets():
    rng = np.random.default_rng(0)
    train = rng.integers(0, 2**63, size=20_000, dtype=np.int64).astype(np.uint64) * np.uint64(2)
    train |= rng.integers(0, 2, size=20_000).astype(np.uint64)
    test = rng.integers(0, 2**63, size=5_000, dtype=np.int64).astype(np.uint64) * np.uint64(2)
    planted = {}
    for n, (i, j) in enumerate(zip(rng.choice(20_000, 12, replace=False),
                                   rng.choice(5_000, 12, replace=False), strict=True)):
        flips = rng.choice(64, n % 7, replace=False).tolist()  # 0 to 6 bits
        test[j] = _flip(int(train[i]), flips)
        if len(flips) <= 4:
            planted[(int(i), int(j))] = len(flips)
    i, j, distances = validation.near_duplicate_pairs(train, test, 4)
    assert dict(zip(zip(i.tolist(), j.tolist(), strict=True), distances.tolist(), strict=True)) == planted


def test_near_duplicate_search_agrees_with_brute_force(monkeypatch):
    # Few distinct bits make bands collide a lot; tiny chunks exercise the chunking.
    monkeypatch.setattr(validation, "_CANDIDATES_PER_CHUNK", 97)
    rng = np.random.default_rng(1)
    first = rng.integers(0, 2**12, size=600).astype(np.uint64) << np.uint64(20)
    second = rng.integers(0, 2**12, size=150).astype(np.uint64) << np.uint64(20)
    for distance in (0, 2, 5):
        i, j, distances = validation.near_duplicate_pairs(first, second, distance)
        brute = np.bitwise_count(first[:, None] ^ second[None, :])
        expected_i, expected_j = np.nonzero(brute <= distance)
        assert i.tolist() == expected_i.tolist() and j.tolist() == expected_j.tolist()
        assert distances.tolist() == brute[expected_i, expected_j].tolist()


@pytest.mark.parametrize("channels", [1, 3])
def test_scan_built_while_converting_equals_the_scan_read_back(tmp_path, channels):
    """Conversion hashes raw images from their pixels, in stacks of one shape; reading the
    written shard back must give the same scan, whatever the shapes and their order."""
    from data import shards, staging
    from data.types import Example

    features = Features(channels=channels, class_names=("c0", "c1", "c2"))
    shapes = [(32, 32)] * 300 + [(28, 28), (5, 40), (40, 5), (250, 13)] * 3 + [(32, 32)] * 5
    examples = []
    for i, (height, width) in enumerate(shapes):
        pixels = np.asarray(Image.fromarray(_picture(i, 64, channels)).resize((width, height)))
        examples.append(Example(f"k{i:04d}", pixels, label=i % 3, split="train"))
    examples.append(Example("jpeg", _fixtures.jpeg_bytes(_picture(999, 40, channels)), label=1,
                            split="train"))
    plan = staging.stage(examples, features, tmp_path / "staging", None, 10**9, 1)
    staging.write_plan(tmp_path / "staging", plan)
    shard = tmp_path / "shard.tfrecord"
    shards.convert_shard(tmp_path / "staging", "train", 0, 1, features, shard, tmp_path / "side.json",
                         10**9, scan_path=tmp_path / "scan.json")
    built = json.loads((tmp_path / "scan.json").read_text())
    read_back = validation.scan_shard(shard, "train", features)
    assert built == read_back
    assert built["num_records"] == len(examples) and None not in built["dhash"]
    assert len(set(built["dhash"])) > len(examples) - 5  # the hashes tell the pictures apart
