"""Builders for fixture artifacts: tiny files with the layout of the real ones.

Images are smooth gradients plus a seeded pattern, not noise, so they compress like
photos and differ from each other; everything is seeded, so fixtures are reproducible.
"""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import tarfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
from PIL import Image

# Fixed timestamps keep archives byte-identical from run to run.
_EPOCH = 1_000_000_000


def pixels(seed: int, height: int, width: int, channels: int) -> np.ndarray:
    """A deterministic uint8 image of shape (H, W) or (H, W, C)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    planes = []
    for _ in range(channels):
        a, b, c = rng.uniform(-3, 3, size=3)
        plane = 128 + 80 * np.sin(a * x / max(width, 1) * 3 + b * y / max(height, 1) * 3 + c)
        plane += rng.normal(0, 12, size=(height, width))
        planes.append(np.clip(plane, 0, 255).astype(np.uint8))
    return planes[0] if channels == 1 else np.stack(planes, axis=-1)


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(array: np.ndarray, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def bmp_bytes(array: np.ndarray) -> bytes:
    """An uncompressed BMP (8-bit palette for greys), as TID and CMU AMP ship images."""
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="BMP")
    return buffer.getvalue()


def pgm_bytes(array: np.ndarray) -> bytes:
    """A binary (P5) greyscale PGM of a uint8 (H, W) array, as several providers store images."""
    height, width = array.shape
    return f"P5\n{width} {height}\n255\n".encode() + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_zip(path: Path, members: Mapping[str, bytes] | Iterable[tuple[str, bytes]]) -> Path:
    items = members.items() if isinstance(members, Mapping) else members
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in items:
            info = zipfile.ZipInfo(name, date_time=(2001, 9, 9, 1, 46, 40))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return path


def tar_bytes(members: Mapping[str, bytes] | Iterable[tuple[str, bytes]], mode: str = "w:gz") -> bytes:
    """A tar archive (mode "w", "w:gz", "w:bz2", "w:xz") of the given members, folders included."""
    items = list(members.items() if isinstance(members, Mapping) else members)
    buffer = io.BytesIO()
    # gzip stores a timestamp; a fixed one keeps the bytes reproducible.
    if mode == "w:gz":
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as archive:
            _add_members(archive, items)
        with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=_EPOCH) as compressed:
            compressed.write(raw.getvalue())
    else:
        with tarfile.open(fileobj=buffer, mode=mode) as archive:
            _add_members(archive, items)
    return buffer.getvalue()


def _add_members(archive: tarfile.TarFile, items) -> None:
    folders_done = set()
    for name, data in items:
        parts = name.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth])
            if folder not in folders_done:
                info = tarfile.TarInfo(folder)
                info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, _EPOCH
                archive.addfile(info)
                folders_done.add(folder)
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = len(data), 0o644, _EPOCH
        archive.addfile(info, io.BytesIO(data))


def write_tar(path: Path, members, mode: str = "w:gz") -> Path:
    path.write_bytes(tar_bytes(members, mode))
    return path


def idx_bytes(array: np.ndarray) -> bytes:
    """An idx file body for a uint8 array (the MNIST family's format)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def write_gz(path: Path, data: bytes) -> Path:
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=_EPOCH, filename="") as out:
        out.write(data)
    return path


class _Python2Pickler(pickle._Pickler):
    """Writes byte and text strings with the str opcodes Python 2 used, where Python 3's
    protocol 2 writes bytes as ``_codecs.encode`` calls on a Latin-1 text (half again
    the size, and a decode plus an encode to load)."""

    dispatch = pickle._Pickler.dispatch.copy()

    def _save_string(self, obj) -> None:
        data = obj.encode("utf-8") if isinstance(obj, str) else obj
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)))
            self.write(data)
        self.memoize(obj)

    dispatch[bytes] = _save_string
    dispatch[str] = _save_string


def python2_pickle(content: object) -> bytes:
    """``content`` pickled as Python 2 (cPickle, protocol 2) wrote it, e.g. the CIFAR
    batches: Python 3 loads it with ``encoding="bytes"``, strings as bytes."""
    buffer = io.BytesIO()
    _Python2Pickler(buffer, protocol=2).dump(content)
    return buffer.getvalue()
