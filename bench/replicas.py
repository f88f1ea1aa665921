"""Full-size replica artifacts, generated on the fly (never committed).

Content is "natural-looking" rather than noise: low-frequency colour fields upsampled
bilinearly, plus mild grain, so PNG and JPEG compress them roughly as they do photos.
Every generator is seeded: the same call writes the same bytes.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from handlers import _cifar, _fixtures


def natural_images(rng: np.random.Generator, count: int, height: int, width: int, channels: int) -> np.ndarray:
    """``count`` uint8 images (N, H, W, C): smooth colour fields with grain."""
    coarse = rng.uniform(0, 255, size=(count, 5, 5, channels)).astype(np.float32)
    ys = np.linspace(0, 4, height, dtype=np.float32)
    xs = np.linspace(0, 4, width, dtype=np.float32)
    y0, x0 = np.minimum(ys.astype(int), 3), np.minimum(xs.astype(int), 3)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    out = np.empty((count, height, width, channels), dtype=np.uint8)
    for i in range(count):
        c = coarse[i]
        top = c[y0][:, x0] * (1 - fx) + c[y0][:, x0 + 1] * fx
        bottom = c[y0 + 1][:, x0] * (1 - fx) + c[y0 + 1][:, x0 + 1] * fx
        field = top * (1 - fy) + bottom * fy + rng.normal(0, 6, size=(height, width, channels))
        out[i] = np.clip(field, 0, 255)
    return out


def cifar10_tar(folder: Path, train: int = 50_000, test: int = 10_000, per_batch: int = 10_000) -> dict:
    """cifar-10-python.tar.gz at full size: train in data_batch_<n> of ``per_batch``."""
    rng = np.random.default_rng(10)
    batches = [(f"data_batch_{n + 1}", min(per_batch, train - n * per_batch))
               for n in range(-(-train // per_batch))] + [("test_batch", test)]
    path = folder / "cifar-10-python.tar.gz"
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6) as gz, \
            tarfile.open(fileobj=gz, mode="w") as archive:
        for name, count in batches:
            images = natural_images(rng, count, 32, 32, 3)
            labels = rng.integers(0, 10, count)
            body = _cifar.batch_bytes(images, name, {b"labels": labels})  # as Python 2 pickled it
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    return {"train": train, "test": test}


def mnist_idx(folder: Path, scale: float = 1.0) -> dict:
    """The four MNIST idx.gz files at full size (60,000 / 10,000), stroke-like content."""
    rng = np.random.default_rng(28)
    sizes = {"train": max(2, int(60_000 * scale)), "test": max(2, int(10_000 * scale))}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        count = sizes[split]
        images = natural_images(rng, count, 28, 28, 1)[..., 0]
        images = np.where(images > 150, images, 0).astype(np.uint8)  # mostly background, like digits
        _fixtures.write_gz(folder / f"{prefix}-images-idx3-ubyte.gz", _fixtures.idx_bytes(images))
        labels = rng.integers(0, 10, count).astype(np.uint8)
        _fixtures.write_gz(folder / f"{prefix}-labels-idx1-ubyte.gz", _fixtures.idx_bytes(labels))
    return sizes


EUROSAT_CLASSES = ("AnnualCrop", "Forest", "HerbaceousVegetation", "Highway", "Industrial",
                   "Pasture", "PermanentCrop", "Residential", "River", "SeaLake")


def photo_zip(folder: Path, count: int = 20_000) -> int:
    """EuroSAT.zip's layout (2750/<Class>/<Class>_<n>.jpg) holding ``count`` 250-500 px photos."""
    rng = np.random.default_rng(500)
    with zipfile.ZipFile(folder / "EuroSAT.zip", "w", compression=zipfile.ZIP_STORED) as archive:
        for i in range(count):
            height, width = (int(v) for v in rng.integers(250, 501, size=2))
            image = natural_images(rng, 1, height, width, 3)[0]
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format="JPEG", quality=88)
            name = EUROSAT_CLASSES[i % len(EUROSAT_CLASSES)]
            archive.writestr(f"2750/{name}/{name}_{i // len(EUROSAT_CLASSES) + 1}.jpg", buffer.getvalue())
    return count
