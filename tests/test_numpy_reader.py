"""The NumPy reader's record checks on a built toyset: its protobuf parse equals TensorFlow's,
every truncated or corrupted record raises, and the error names the shard file."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
from conftest import build_once

import data
from data import decoding
from data import format as fmt
from data.reader import CorruptShardError, NumpyExamples


@pytest.fixture(scope="module")
def built(tmp_path_factory, http_mirror):
    """(directory of the built toyset, its train split as a NumpyExamples of encoded images)."""
    workspace = build_once(tmp_path_factory, http_mirror, "numpy_reader", "toyset")
    directory = workspace.dataset_dir("toyset")
    return directory, data.load(directory, "train", as_numpy=True, decode=False)


def _records(path):
    with open(path, "rb") as stream:
        return list(fmt.iter_records(stream))


def test_parse_equals_tensorflows_on_built_shards_and_synthetic_examples(built):
    import tensorflow as tf

    directory, examples = built
    records = [r for path in examples.paths for r in _records(path)]
    records += [fmt.serialize_example(f) for f in (
        {"image": b"\x89PNG", "key": "é/1".encode(), "label": -3, "multi_label": [0, 2**40, -(2**63)],
         "target": [0.1]},
        {"image": b"", "key": b"k", "label": 2**63 - 1, "multi_label": [], "target": [float("inf")]},
    )]
    spec = {"image": tf.io.FixedLenFeature([], tf.string), "key": tf.io.FixedLenFeature([], tf.string),
            "label": tf.io.FixedLenFeature([], tf.int64)}
    extra = {"multi_label": tf.io.VarLenFeature(tf.int64), "target": tf.io.VarLenFeature(tf.float32)}
    for record in records:
        ours = decoding.parse_example(record)
        theirs = tf.io.parse_single_example(record, spec | {k: v for k, v in extra.items() if k in ours})
        for name, value in theirs.items():
            value = value.values if isinstance(value, tf.SparseTensor) else value[None]
            assert np.array_equal(np.asarray(ours[name], dtype=value.dtype.as_numpy_dtype),
                                  value.numpy()), name
            assert np.asarray(ours[name]).dtype.kind in "SiUf"
    stored = list(examples)
    assert len(stored) == len(examples) == sum(len(_records(p)) for p in examples.paths)
    for example, record in zip(stored, records, strict=False):
        parsed = tf.io.parse_single_example(record, spec)
        assert example["image"] == parsed["image"].numpy() and example["key"] == parsed["key"].numpy()
        assert example["label"] == parsed["label"].numpy() and example["label"].dtype == np.int64


def test_every_truncated_record_raises_where_tensorflow_does(built):
    import tensorflow as tf

    _, examples = built
    record = _records(examples.paths[0])[0]
    ours = theirs = 0
    for cut in range(len(record)):
        with pytest.raises(decoding.BadExampleError) if cut else _nothing():
            decoding.parse_example(record[:cut])
        ours += 1
        try:
            tf.train.Example.FromString(record[:cut])
        except Exception:
            theirs += 1
    assert theirs == len(record) - 1 == ours - 1  # only the empty message is well-formed


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _damaged(tmp_path, examples, damage) -> NumpyExamples:
    """The split's shards copied, the second one passed through ``damage(bytes) -> bytes``."""
    paths = []
    for i, path in enumerate(examples.paths):
        copy = tmp_path / path.name
        shutil.copyfile(path, copy)
        if i == 1:
            copy.write_bytes(damage(copy.read_bytes()))
        paths.append(copy)
    return NumpyExamples(paths, examples.features, decode=True, counts=examples.counts)


def _flip(position):
    def damage(blob: bytes) -> bytes:
        where = position if position >= 0 else len(blob) + position
        return blob[:where] + bytes((blob[where] ^ 0x10,)) + blob[where + 1:]
    return damage


def _reframed(change):
    """The shard's records framed again (CRCs right) after ``change`` to the first one."""
    def damage(blob: bytes) -> bytes:
        import io

        records = list(fmt.iter_records(io.BytesIO(blob)))
        records[0] = change(records[0])
        return b"".join(fmt.frame_record(r) for r in records)
    return damage


@pytest.mark.parametrize("damage, why", [
    (_flip(40), "bad data checksum"),
    (_flip(3), "bad length checksum"),
    (_flip(-2), "bad data checksum"),  # the last record's data CRC itself
    (lambda blob: blob[:-7], "truncated record"),
    (lambda blob: blob[:5], "truncated record header"),
    (_reframed(lambda r: r[:-3]), "not a valid tf.train.Example"),
    (_reframed(lambda r: r[:len(r) // 2]), "not a valid tf.train.Example"),
    (_reframed(lambda r: b""), "missing"),
    (_reframed(lambda r: fmt.serialize_example({"image": b"x", "key": b"k"})), "missing"),
    (_reframed(lambda r: fmt.serialize_example({"image": b"x", "key": b"k", "label": [0.5]})), "no value"),
    (_reframed(lambda r: fmt.serialize_example({"image": b"x", "key": b"k", "label": 1})), "does not decode"),
])
def test_a_bad_record_is_an_error_naming_the_shard_file(built, tmp_path, damage, why):
    _, examples = built
    damaged = _damaged(tmp_path, examples, damage)
    with pytest.raises(CorruptShardError, match=re.escape(str(damaged.paths[1])) + r": record \d+: .*" + why):
        for _ in damaged:
            pass
    assert isinstance(CorruptShardError("x"), fmt.CorruptRecordError)
