"""Decoding stored examples without TensorFlow: our own tf.train.Example parser and PIL.

The counterpart of the serializer in data/format.py, for readers that must stay light:
``data.load(..., as_numpy=True)``, the conversion statistics and ``python -m tasks
preview``. Tests check it against TensorFlow's parser on built shards.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator

import numpy as np
from PIL import Image


def decode_image(encoded: bytes, channels: int) -> np.ndarray:
    """PNG/JPEG bytes as a uint8 HxWxC array (C = channels), as ``load`` decodes them."""
    with Image.open(io.BytesIO(encoded)) as image:
        mode = "L" if channels == 1 else "RGB"
        pixels = np.asarray(image if image.mode == mode else image.convert(mode))
    return pixels.reshape(pixels.shape[0], pixels.shape[1], channels)


# --- tf.train.Example wire format (see data/format.py) ----------------------------


def _read_varint(buffer, position: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buffer[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, position
        shift += 7


def _fields(buffer) -> Iterator[tuple[int, int, object]]:
    """(field number, wire type, value) of a protobuf message; value is an int or bytes."""
    position, end = 0, len(buffer)
    while position < end:
        tag, position = _read_varint(buffer, position)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, position = _read_varint(buffer, position)
        elif wire == 1:
            value, position = buffer[position : position + 8], position + 8
        elif wire == 2:
            length, position = _read_varint(buffer, position)
            value, position = buffer[position : position + length], position + length
        elif wire == 5:
            value, position = buffer[position : position + 4], position + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, wire, value


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _feature_values(feature: bytes) -> list:
    values: list = []
    for kind, _, body in _fields(feature):
        for _, wire, item in _fields(body):
            if kind == 1:  # bytes_list
                values.append(bytes(item))
            elif kind == 2:  # float_list: packed (wire 2) or one float (wire 5)
                values.extend(struct.unpack(f"<{len(item) // 4}f", item))
            elif kind == 3 and wire == 0:  # int64_list, unpacked
                values.append(_signed(item))
            elif kind == 3:  # int64_list, packed varints
                position = 0
                while position < len(item):
                    value, position = _read_varint(item, position)
                    values.append(_signed(value))
    return values


def parse_example(serialized: bytes) -> dict[str, list]:
    """A serialized tf.train.Example as {feature name: list of bytes | int | float}."""
    features: dict[str, list] = {}
    view = memoryview(serialized)
    for number, _, body in _fields(view):
        if number != 1:
            continue
        for entry_number, _, entry in _fields(body):
            if entry_number != 1:
                continue
            name, value = "", b""
            for part, _, content in _fields(entry):
                if part == 1:
                    name = bytes(content).decode("utf-8")
                elif part == 2:
                    value = content
            features[name] = _feature_values(value)
    return features
