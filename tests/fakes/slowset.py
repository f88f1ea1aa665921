"""A test-only dataset that a test can kill in the middle of planning or of converting.

Registered in luigi subprocesses with DATASETS_STORAGE_HANDLERS=...,slowset and this
folder on PYTHONPATH. Reading sleeps ``SLOWSET_DELAY`` seconds per example (planning
lasts as long as the test needs), and the images are noise given as pixel arrays, so
each is PNG-encoded at conversion (a shard takes a while to write).
"""

import io
import os
import time
from pathlib import Path

import numpy as np
from PIL import Image

from data.types import Example, Features
from handlers import _fixtures, _readers
from handlers._spec import Artifact, DatasetSpec

FILE = "slowset.zip"
CLASS_NAMES = ("even", "odd")


def examples(artifacts_dir: Path):
    delay = float(os.environ.get("SLOWSET_DELAY", "0"))
    for name, data in _readers.zip_members(artifacts_dir / FILE, suffixes=(".png",)):
        time.sleep(delay)
        number = int(Path(name).stem)
        yield Example(key=name, image=np.asarray(Image.open(io.BytesIO(data))),
                      label=number % 2, split="test" if number % 4 == 0 else "train")


def write_zip(path: Path, count: int = 48, side: int = 160) -> dict[str, int]:
    rng = np.random.default_rng(16)
    members = {f"slowset/{i:03d}.png": _fixtures.png_bytes(rng.integers(0, 256, (side, side, 3), np.uint8))
               for i in range(count)}
    _fixtures.write_zip(path, members)
    return {"train": count - count // 4, "test": count // 4}


slowset = DatasetSpec(
    name="slowset",
    description="Test-only dataset that is slow to plan and to convert.",
    homepage="https://example.invalid/slowset",
    citation="none",
    license="CC0",
    artifacts=(Artifact(FILE, "https://example.invalid/slowset.zip"),),
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=lambda folder: write_zip(folder / FILE),
)
