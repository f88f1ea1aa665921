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
                 "exact_duplicates_across_splits", "near_duplicates"):
        assert section[name]["count"] == 0, name
    near = section["near_duplicates"]
    assert near["groups"] == 0 and near["exact_only_reason"] is None
    assert {split: m["method"] for split, m in near["method"].items()} == {"test": "dhash", "train": "dhash"}
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
    near = section["near_duplicates"]
    groups = [e["keys"] for e in near["examples"]]
    # One group each, not the exact a-07 / t-exact (reported as exact).
    assert groups == [{"test": ["t-shifted"], "train": ["a-03"]}, {"test": ["t-reencoded"], "train": ["a-20"]}]
    assert near["count"] == 2 and near["by_split_pair"] == {"test/train": 2}
    assert near["held_out_records"] == 2 and near["held_out_records_by_split"] == {"test": 2}

    ok, lines = validation.passed(section, leakage_fails=False)
    assert ok and any(line.startswith("WARNING: 1 images occur in several splits") for line in lines)
    ok, lines = validation.passed(section, leakage_fails=True)
    assert not ok and any(line.startswith("ERROR: 2 near-duplicate groups span train and held-out splits "
                                          "(2 held-out images have a near-duplicate in train: test: 2;")
                          for line in lines)


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


def _components(hashes: np.ndarray, distance: int) -> set[frozenset[int]]:
    """Brute force: the connected components of "within distance", as sets of indices."""
    close = np.bitwise_count(hashes[:, None] ^ hashes[None, :]) <= distance
    label = np.arange(len(hashes))
    for _ in range(len(hashes)):
        spread = np.where(close, label[None, :], len(hashes)).min(axis=1)
        if np.array_equal(spread, label):
            break
        label = spread
    return {frozenset(np.flatnonzero(label == x).tolist()) for x in np.unique(label)}


def _found(roots: np.ndarray) -> set[frozenset[int]]:
    return {frozenset(np.flatnonzero(roots == x).tolist()) for x in np.unique(roots)}


def test_near_duplicate_groups_agree_with_brute_force():
    # Few distinct bits make bands collide a lot; a cap larger than any bucket searches all.
    rng = np.random.default_rng(1)
    hashes = rng.integers(0, 2**12, size=500).astype(np.uint64) << np.uint64(20)
    for distance in (0, 2, 5):
        stats = validation.SearchStats()
        roots = validation.near_duplicate_groups(hashes, distance, cap=10_000, stats=stats)
        assert _found(roots) == _components(hashes, distance)
        assert stats.capped_buckets == 0 and stats.comparisons < 500 * 499 / 2 * (distance + 1)


def test_near_duplicate_groups_find_planted_pairs_in_large_sets():
    rng = np.random.default_rng(0)
    hashes = rng.integers(0, 2**64 - 1, size=25_000, dtype=np.uint64)
    planted = []
    for n, (i, j) in enumerate(zip(rng.choice(12_500, 40, replace=False),
                                   12_500 + rng.choice(12_500, 40, replace=False), strict=True)):
        flips = rng.choice(64, n % 7, replace=False).tolist()  # 0 to 6 bits
        hashes[j] = _flip(int(hashes[i]), flips)
        planted.append((int(i), int(j), len(flips)))
    stats = validation.SearchStats()
    roots = validation.near_duplicate_groups(hashes, 4, stats=stats)
    assert stats.capped_buckets == 0  # random hashes: every bucket searched completely
    assert [a for a, b, flips in planted if (roots[a] == roots[b]) != (flips <= 4)] == []
    assert len(np.unique(roots)) == 25_000 - sum(flips <= 4 for *_, flips in planted)


def _similar_hashes(count: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """``count`` hashes in 10 tight clusters (each within 2 bits of its centre): every
    hash of a cluster shares all its bands' buckets, which a pairwise search within
    buckets would pay for quadratically."""
    rng = np.random.default_rng(seed)
    centres = rng.integers(0, 2**64 - 1, size=10, dtype=np.uint64)
    cluster = np.arange(count) % 10
    hashes = centres[cluster].copy()
    for _ in range(2):
        flip = rng.integers(0, 64, size=count).astype(np.uint64)
        hashes ^= np.where(rng.random(count) < 0.5, np.uint64(1) << flip, np.uint64(0))
    return hashes, cluster


def test_many_similar_images_take_linear_work():
    counts = {}
    for count in (2_000, 8_000, 32_000):
        hashes, cluster = _similar_hashes(count)
        stats = validation.SearchStats()
        roots = validation.near_duplicate_groups(hashes, 4, stats=stats)
        # Each cluster is one group (its members are within 4 bits of each other).
        assert len(np.unique(roots)) == 10
        assert all(len(np.unique(roots[cluster == c])) == 1 for c in range(10))
        assert stats.capped_records == count
        counts[count] = stats.comparisons
    # Never more than (d + 1) * cap comparisons per hash, and about as many per hash at
    # every size, where a search of every pair in the buckets would pay 16 times more per
    # hash at 32,000 than at 2,000 (the pairs within distance alone number
    # 10 * (count / 10)^2 / 2: 51 million at 32,000).
    per_hash = {count: comparisons / count for count, comparisons in counts.items()}
    assert all(value <= 5 * validation.BUCKET_CAP for value in per_hash.values()), per_hash
    assert per_hash[32_000] <= 1.5 * per_hash[2_000], per_hash


def test_one_crowded_bucket_costs_the_cap_per_image():
    """Hashes that agree on one band but are far apart otherwise: nothing joins, so every
    comparison is paid; the cap keeps them at about BUCKET_CAP per image, where a search
    of every pair in the bucket would pay count^2 / 2."""
    rng = np.random.default_rng(4)
    counts = {}
    for count in (2_000, 8_000):
        hashes = rng.integers(0, 2**64 - 1, size=count, dtype=np.uint64) & ~np.uint64(0xFFF)  # band 0 all zero
        stats = validation.SearchStats()
        roots = validation.near_duplicate_groups(hashes, 4, stats=stats)
        assert len(np.unique(roots)) == count
        counts[count] = stats.comparisons
        assert validation.BUCKET_CAP * count * 0.9 <= stats.comparisons <= validation.BUCKET_CAP * count * 1.1
    assert counts[8_000] <= 4.2 * counts[2_000]


def test_vertical_hash_confirms_candidates():
    """Smooth unrelated images (low-frequency colour fields) agree on the horizontal
    dHash by chance; the vertical one tells them apart."""
    from bench import replicas

    pixels = replicas.natural_images(np.random.default_rng(7), 4_000, 32, 32, 3)
    scan = validation.ShardScan("s", "train", CLASSES)
    scan.add_stack([f"k{i}" for i in range(len(pixels))], [{"label": [0]}] * len(pixels), pixels)
    horizontal = np.array(scan.dhashes, dtype=np.uint64)
    vertical = np.array(scan.vertical, dtype=np.uint64)
    alone = validation.near_duplicate_groups(horizontal, 4)
    confirmed = validation.near_duplicate_groups(horizontal, 4, confirm=vertical, confirm_distance=8)
    assert len(np.unique(alone)) < len(pixels) - 10  # chance matches on the horizontal bits alone
    assert len(np.unique(confirmed)) == len(pixels)
    # A copy still matches on both.
    copy = np.asarray(Image.open(io.BytesIO(_fixtures.jpeg_bytes(pixels[0], quality=80))))
    hashes = validation.hashing.dhash(Image.fromarray(copy))
    assert np.bitwise_count(np.uint64(hashes[0]) ^ horizontal[0]) <= 4
    assert np.bitwise_count(np.uint64(hashes[1]) ^ vertical[0]) <= 8


def _tiny(seed: int, size: int = 3, channels: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (size, size, channels) if channels == 3 else (size, size)
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def test_tiny_images_get_exact_checks_only(tmp_path):
    """3x3 patches (as in Statlog landsat): a dHash of them says nothing, so the
    near-duplicate search is not run on them, and only true copies are reported."""
    train = [_record(f"train/{i:04d}", png_from_array(_tiny(i)), i % 3) for i in range(600)]
    test = [_record(f"test/{i:04d}", png_from_array(_tiny(10_000 + i)), i % 3) for i in range(200)]
    scans = {"train": [_scan(_write(tmp_path / "train", train), "train")],
             "test": [_scan(_write(tmp_path / "test", test), "test")]}
    assert set(scans["train"][0]["dhash"]) == {None} and scans["train"][0]["small_images"] == 600
    section = validation.merge(scans, CLASSES)
    near = section["near_duplicates"]
    assert near["count"] == near["groups"] == 0 and near["search"]["comparisons"] == 0
    assert near["method"]["train"] == {"method": "exact", "dhash_records": 0, "exact_only_small": 600,
                                       "exact_only_low_detail": 0, "smallest_image": [3, 3]}
    assert "all 800 images are smaller than the 9x8 dHash grid (smallest 3x3)" in near["exact_only_reason"]
    assert section["exact_duplicates_across_splits"]["count"] == 0
    ok, lines = validation.passed(section, leakage_fails=True)
    assert ok and lines == ["800 records in 2 splits, no problems found"]
    # A true copy is still found, by its pixels.
    test.append(_record("test/copy", png_from_array(_tiny(5)), 0))
    scans["test"] = [_scan(_write(tmp_path / "test", test), "test")]
    across = validation.merge(scans, CLASSES)["exact_duplicates_across_splits"]
    assert across["examples"] == [{"test": ["test/copy"], "train": ["train/0005"]}]


def test_planted_duplicates_across_splits_are_one_group_each(tmp_path):
    """Each original has transformed copies in train, test and dev-test: one group per
    original, counted per split pair."""
    originals = {i: _picture(i, 96) for i in range(6)}

    def variant(image: np.ndarray, kind: int) -> bytes:
        if kind == 0:
            return _fixtures.jpeg_bytes(image, quality=50)
        if kind == 1:
            return png_from_array(np.clip(image.astype(np.int16) + 12, 0, 255).astype(np.uint8))
        return png_from_array(np.asarray(Image.fromarray(image[2:-2, 2:-2]).resize((96, 96))))

    train = [_record(f"train/{i:03d}", png_from_array(_picture(100 + i, 96)), 0) for i in range(40)]
    train += [_record(f"train/orig{i}", png_from_array(image), 0) for i, image in originals.items()]
    train += [_record(f"train/orig{i}-b", variant(image, 1), 0) for i, image in originals.items() if i < 2]
    test = [_record(f"test/{i:03d}", png_from_array(_picture(200 + i, 96)), 0) for i in range(20)]
    test += [_record(f"test/dup{i}", variant(image, i % 3), 0) for i, image in originals.items()]
    dev = [_record(f"dev/{i:03d}", png_from_array(_picture(300 + i, 96)), 0) for i in range(20)]
    dev += [_record(f"dev/dup{i}", variant(image, (i + 1) % 3), 0) for i, image in originals.items() if i % 2]
    scans = {"train": [_scan(_write(tmp_path / "train", train), "train")],
             "test": [_scan(_write(tmp_path / "test", test), "test")],
             "dev-test": [_scan(_write(tmp_path / "dev", dev), "dev-test")]}
    near = validation.merge(scans, CLASSES)["near_duplicates"]
    groups = sorted(sorted(k for keys in e["keys"].values() for k in keys) for e in near["examples"])
    expected = sorted(sorted([f"train/orig{i}", f"test/dup{i}"] + ([f"train/orig{i}-b"] if i < 2 else [])
                             + ([f"dev/dup{i}"] if i % 2 else [])) for i in originals)
    assert groups == expected
    assert near["count"] == near["groups"] == 6 and near["groups_within_split"] == 0
    assert near["by_split_pair"] == {"dev-test/test": 3, "dev-test/train": 3, "test/train": 6}
    assert near["held_out_records_by_split"] == {"test": 6, "dev-test": 3} and near["held_out_records"] == 9
    # Largest groups first.
    assert [e["size"] for e in near["examples"]] == sorted((e["size"] for e in near["examples"]), reverse=True)


def test_mixed_sizes_say_which_images_got_exact_checks_only(tmp_path):
    train = [_record(f"big{i}", png_from_array(_picture(i, 32)), 0) for i in range(5)]
    train += [_record(f"small{i}", png_from_array(_tiny(i, size=8)), 0) for i in range(3)]  # 8x8 < 9x8
    section = validation.merge({"train": [_scan(_write(tmp_path / "s", train), "train")]}, CLASSES)
    method = section["near_duplicates"]["method"]["train"]
    assert method["method"] == "dhash+exact" and method["exact_only_small"] == 3
    assert method["dhash_records"] == 5 and method["smallest_image"] == [8, 8]
    assert section["near_duplicates"]["exact_only_reason"].startswith("3 images are smaller than")


def test_group_reporting_is_capped_with_exact_totals():
    rng = np.random.default_rng(5)
    scan = {"shard": "s", "split": "train", "num_records": 0, "keys": [], "exact": [], "dhash": [], "dhash_v": [],
            "label_counts": [0, 0, 0], "version": validation.SCAN_VERSION, "small_images": 0,
            "smallest": [32, 32], **{p: {"count": 0, "examples": [], "reasons": []}
                                     for p in validation.RECORD_PROBLEMS}}
    test = json.loads(json.dumps(scan)) | {"split": "test"}
    for group in range(30):
        centre = int(rng.integers(0, 2**63)) | 0xFFFF  # enough bits set and clear
        members = 1 + group % 4
        for m in range(members):
            scan["keys"].append(f"g{group:02d}-{m}")
            scan["exact"].append(f"{group * 8 + m:016x}")
            scan["dhash"].append(_flip(centre, [m]))
            scan["dhash_v"].append(centre)
        test["keys"].append(f"t{group:02d}")
        test["exact"].append(f"{1000 + group:016x}")
        test["dhash"].append(_flip(centre, [40]))
        test["dhash_v"].append(centre)
    for part in (scan, test):
        part["num_records"] = len(part["keys"])
    near = validation.merge({"train": [scan], "test": [test]}, CLASSES)["near_duplicates"]
    assert near["count"] == 30 and near["held_out_records"] == 30
    assert near["records_in_groups"] == sum(2 + g % 4 for g in range(30))
    assert len(near["examples"]) == validation.NUM_GROUPS
    assert all(e["size"] == 5 for e in near["examples"][:7]) and near["examples"][7]["size"] == 4


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
    plan = staging.stage(examples, features, tmp_path / "staging", None)
    staging.write_plan(tmp_path / "staging", plan)
    shard = tmp_path / "shard.tfrecord"
    shards.convert_shard(tmp_path / "staging", "train", 0, 1, features, shard, tmp_path / "side.json",
                         10**9, scan_path=tmp_path / "scan.json")
    built = json.loads((tmp_path / "scan.json").read_text())
    read_back = validation.scan_shard(shard, "train", features)
    assert built == read_back
    assert built["num_records"] == len(examples) and None not in built["exact"]
    # Images narrower than 9 or lower than 8 pixels get no dHash: exact checks only.
    small = {f"k{i:04d}" for i, (height, width) in enumerate(shapes) if width < 9 or height < 8}
    assert {k for k, h in zip(built["keys"], built["dhash"], strict=True) if h is None} == small
    assert built["small_images"] == 6 and built["smallest"] == [5, 40]  # width, height
    assert len(set(built["dhash"]) - {None}) > len(examples) - 6 - 5  # the hashes tell the pictures apart


def test_one_image_dhash_is_the_stack_dhash_to_the_bit():
    """``dhash`` (the imaging core's calls, for single images) against ``dhashes`` of a
    stack of one (Image.resize), on sizes and contents that exercise the box filter's
    fractional edges."""
    import numpy as np
    from PIL import Image

    from data.validation.hashing import dhash, dhashes

    rng = np.random.default_rng(7)
    for trial in range(400):
        width, height = int(rng.integers(9, 300)), int(rng.integers(8, 300))
        pixels = (rng.integers(0, 256, (height, width), dtype=np.uint8) if trial % 2 else
                  np.linspace(0, 255, width * height).reshape(height, width).astype(np.uint8))
        for image in (Image.fromarray(pixels), Image.fromarray(np.dstack([pixels, pixels[::-1], pixels]))):
            horizontal, vertical = dhashes(image, 1)
            assert dhash(image) == (horizontal[0], vertical[0]), (width, height, image.mode)


def test_key_hashes_are_key_hash_of_each_key():
    """The batched form validation's merge orders records by, against the one per key
    (the same blake2b, purposes longer than its 16-byte personalisation included)."""
    from data.hashing import key_hash, key_hashes

    keys = ["", "a", "line0001", "2750/AnnualCrop/AnnualCrop_1.jpg", "é/ü" * 40]
    for purpose in ("", "shuffle", "a purpose longer than sixteen bytes"):
        assert key_hashes(keys, purpose).tolist() == [key_hash(key, purpose) for key in keys]
