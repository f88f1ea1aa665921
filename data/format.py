"""The on-disk contract of a built dataset: the one place that defines it.

Layout under the data dir::

    artifacts/<source>/<file>                      verified downloads (read-only input)
    staging/<dataset>/                             intermediate, see data/staging.py
    datasets/<dataset>/<version>/
        <dataset>-<split>.tfrecord-00000-of-00008  shards (TFDS naming)
        tfds/                                      TFDS's own metadata, pointing at the shards
        croissant.json                             Croissant (MLCommons) description
        dataset_info.json                          written last: its presence = complete

Each shard is a TFRecord file; each record a serialized ``tf.train.Example`` with:

    ``image``        bytes      encoded PNG, or the source's own JPEG/PNG bytes passed
                                through when they already have the declared channels
    ``key``          bytes      UTF-8 stable example key (archive member path, record index)
    ``label``        int64      class index in ``class_names`` (single-label datasets)
    ``multi_label``  int64 list indices into ``label_vocabulary`` (multi-label datasets)
    ``target``       float      a regression target, e.g. a crowd count (since version 2)

Records are written with our own serializer (below) so conversion never imports
TensorFlow; tests check that TensorFlow parses the bytes into the same Example.
Map entries are written in sorted key order, so equal examples give equal bytes.

``dataset_info.json`` fields: name, version, format_version, description, homepage,
citation, license, features {task, channels, and num_classes with class_names |
label_vocabulary, or regression_target}, splits {<split>: {num_examples, shards: [{file, num_examples,
num_bytes, sha256}], label_counts, statistics {pixel mean/std per channel, height and
width min/median/max}}}, derived_splits {<split>: {splits, num_examples}} (present only
when some derived split exists), artifacts [{file, url, sha256 | md5, size}], provenance
{fingerprint, code digests, artifact checksums, format_version, settings},
validation {counts and example keys of every check; schema: data/validation/section.py},
skipped_members {count, keys}.
It holds nothing that varies between two builds of the same artifacts.

A derived split is read as the union of stored splits and has no shards of its own:
``train_and_dev`` = ``["train", "dev"]`` (dm_nevis's split of that name) for every
dataset that stores both; readers take the parts' shards in the listed order. Its
``num_examples`` is the parts' sum. Readers of builds written before the field
existed apply the same rule (data/metadata.py). TFDS expresses it as
``split="train+dev"``: one TFDS split names one set of shard files.

Format versions: 1 = image, key, label | multi_label. 2 adds the ``target`` feature and
the ``regression`` task. 3 changes only how PNGs are compressed (ISA-L deflate, filter
none or sub, data/images.py): the same pixels, about 2.5x faster to write, so shards
of version 2 and 3 differ in bytes; within version 3 the filter may also be average
(5% smaller PNGs of photos, the same pixels; bench/png_tradeoff.py). Versions 1 and 2
builds are still read.
"""

from __future__ import annotations

import functools
import struct

import google_crc32c

FORMAT_VERSION = 3
READABLE_FORMAT_VERSIONS = (1, 2, 3)

IMAGE = "image"
KEY = "key"
LABEL = "label"
MULTI_LABEL = "multi_label"
TARGET = "target"

INFO_FILE = "dataset_info.json"


def shard_name(dataset: str, split: str, index: int, count: int) -> str:
    return f"{dataset}-{split}.tfrecord-{index:05d}-of-{count:05d}"


# --- tf.train.Example wire format -------------------------------------------------
# Example{features=1: Features{feature=1: map<string, Feature>}};
# Feature{bytes_list=1 | float_list=2 | int64_list=3}, each list's values in field 1.


_TAGS = {number: bytes(((number << 3) | 2,)) for number in range(1, 4)}


def _varint_loop(value: int) -> bytes:
    value &= (1 << 64) - 1  # int64 is written as its two's complement
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


# Tags, labels and lengths up to 16 KiB (a small image's, a key's) are looked up: a
# record needs a dozen varints, and the loop above costs a microsecond each.
# Built by formula (a third of the loop's time at every start).
_VARINTS = [bytes((v,)) for v in range(0x80)] + [bytes(((v & 0x7F) | 0x80, v >> 7)) for v in range(0x80, 0x4000)]


def _varint(value: int) -> bytes:
    if 0 <= value < 0x4000:
        return _VARINTS[value]
    if 0x4000 <= value < 0x200000:  # a photo's length: three bytes
        return bytes(((value & 0x7F) | 0x80, ((value >> 7) & 0x7F) | 0x80, value >> 14))
    return _varint_loop(value)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return b"".join((_TAGS[number], _varint(len(payload)), payload))


def _feature_parts(value) -> tuple[list[bytes], int]:
    """The pieces of a Feature message's body and their total length, without joining
    them: the image bytes are copied once, into the final record."""
    if isinstance(value, bytes):
        length = len(value)
        head = _TAGS[1] + _varint(length)  # BytesList.value
        inner = len(head) + length
        head = _TAGS[1] + _varint(inner) + head  # Feature.bytes_list
        return [head, value], len(head) + length
    if isinstance(value, int):
        body = _small_int64_feature(value) if 0 <= value < 0x4000 else _field(3, _field(1, _varint(value)))
    elif isinstance(value, float):
        body = _float_feature([value])
    elif len(value) == 1 and isinstance(value[0], int) and 0 <= value[0] < 0x4000:
        body = _small_int64_feature(value[0])  # a class label: the common case
    elif all(isinstance(v, int) for v in value):
        body = _int64_feature(list(value))
    else:
        body = _float_feature([float(v) for v in value])
    return [body], len(body)


def _int64_feature(values) -> bytes:
    return _field(3, _field(1, b"".join(_varint(int(v)) for v in values)) if values else b"")


@functools.lru_cache(maxsize=4096)
def _small_int64_feature(value: int) -> bytes:
    return _int64_feature([value])


def _float_feature(values) -> bytes:
    packed = struct.pack(f"<{len(values)}f", *values)
    return _field(2, _field(1, packed) if values else b"")


@functools.lru_cache(maxsize=64)
def _name_field(name: str) -> bytes:
    return _field(1, name.encode())


def serialize_example(features: dict) -> bytes:
    """Serialize {name: bytes | int | list[int] | list[float]} as a tf.train.Example."""
    parts: list[bytes] = []
    total = 0
    for name in sorted(features):
        feature, length = _feature_parts(features[name])
        name_field = _name_field(name)
        value_head = _TAGS[2] + _varint(length)  # the map entry's value
        entry = len(name_field) + len(value_head) + length
        entry_head = _TAGS[1] + _varint(entry)  # Features.feature (a map entry)
        parts += (entry_head, name_field, value_head, *feature)
        total += len(entry_head) + entry
    return b"".join((_TAGS[1], _varint(total), *parts))  # Example.features


def _bytes_entry(name_field: bytes, value: bytes) -> tuple[bytes, int]:
    """The head of a map entry holding one bytes value (the value follows it), and the
    entry's length with its head."""
    n = len(value)
    lengths = _VARINTS if n < 0x3F00 else None  # the heads below stay under 16 KiB
    inner = _TAGS[1] + (lengths[n] if lengths else _varint(n))  # BytesList.value
    feature = len(inner) + n
    head = _TAGS[1] + _varint(feature) + inner  # Feature.bytes_list
    value_length = len(head) + n
    value_head = _TAGS[2] + _varint(value_length)
    entry = len(name_field) + len(value_head) + value_length
    entry_head = _TAGS[1] + _varint(entry)
    return b"".join((entry_head, name_field, value_head, head)), len(entry_head) + entry


@functools.lru_cache(maxsize=4096)
def _label_entry(name: str, value: int) -> bytes:
    """A whole map entry {name: [value]}, for a class label: built once per value."""
    body = _small_int64_feature(value)
    name_field = _name_field(name)
    value_head = _TAGS[2] + _varint(len(body))
    return _field(1, name_field + value_head + body)


def serialize_image_example(image: bytes, key: bytes, label_name: str, label) -> bytes:
    """``serialize_example({IMAGE: image, KEY: key, label_name: label})``, the same bytes,
    at a third of its cost: conversion calls it once per record."""
    value = label[0] if isinstance(label, list) and len(label) == 1 else label
    if type(value) is not int or not 0 <= value < 0x4000 or label_name < KEY:
        return serialize_example({IMAGE: image, KEY: key, label_name: label})
    image_head, image_length = _bytes_entry(_name_field(IMAGE), image)
    key_head, key_length = _bytes_entry(_name_field(KEY), key)
    label_entry = _label_entry(label_name, value)
    total = image_length + key_length + len(label_entry)
    return b"".join((_TAGS[1], _varint(total), image_head, image, key_head, key, label_entry))


# --- TFRecord framing -------------------------------------------------------------
# uint64 length, uint32 masked crc32c(length), data, uint32 masked crc32c(data).


def _masked_crc(data: bytes) -> int:
    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame_record(data: bytes) -> bytes:
    length = struct.pack("<Q", len(data))
    return b"".join(
        (
            length,
            struct.pack("<I", _masked_crc(length)),
            data,
            struct.pack("<I", _masked_crc(data)),
        )
    )


class CorruptRecordError(ValueError):
    pass


def iter_records(stream):
    """Yield the payloads of a TFRecord stream, checking both CRCs."""
    while True:
        header = stream.read(12)
        if not header:
            return
        if len(header) < 12:
            raise CorruptRecordError("truncated record header")
        length_bytes, length_crc = header[:8], struct.unpack("<I", header[8:])[0]
        if _masked_crc(length_bytes) != length_crc:
            raise CorruptRecordError("bad length checksum")
        (length,) = struct.unpack("<Q", length_bytes)
        data = stream.read(length)
        footer = stream.read(4)
        if len(data) < length or len(footer) < 4:
            raise CorruptRecordError("truncated record")
        if _masked_crc(data) != struct.unpack("<I", footer)[0]:
            raise CorruptRecordError("bad data checksum")
        yield data


# --- Parsing ----------------------------------------------------------------------


def parse_example(data: bytes) -> dict[str, list]:
    """A serialized tf.train.Example as {name: list of bytes | int | float}, no TensorFlow.

    Accepts any valid Example, not only ours: packed or unpacked int64/float lists and
    negative int64 (10-byte varints). The parser itself lives in data/decoding.py, shared
    with the reader and the statistics; this name keeps it beside the serializer.
    """
    from data.decoding import parse_example as parse  # decoding pulls in numpy and PIL

    return parse(data)
