"""A test-only dataset with planted leakage between train and test.

``test/copy.png`` is pixel-identical to ``train/c1_003.png``; ``test/reencoded.jpg`` is
``train/c0_005.png`` saved again as a JPEG (a near-duplicate). Everything else is
distinct. With
LEAKSET_BAD_LABEL=1 one example carries a label outside the class list.
"""

import os
from pathlib import Path

import numpy as np

from data.types import Example, Features
from handlers import _fixtures, _readers
from handlers._spec import Artifact, DatasetSpec

ARTIFACTS = (Artifact("leakset.zip", "https://example.invalid/leakset.zip", sha256="0" * 64),)
CLASS_NAMES = ("c0", "c1")


def examples(artifacts_dir: Path):
    bad = os.environ.get("LEAKSET_BAD_LABEL") == "1"
    for name, data in _readers.zip_members(artifacts_dir / "leakset.zip", suffixes=(".png", ".jpg")):
        split, stem = name.split("/")[-2], name.rsplit("/", 1)[-1]
        label = 1 if stem in ("copy.png",) or stem.startswith("c1") else 0
        if bad and stem == "c0_000.png":
            label = 7
        yield Example(key=name, image=data, label=label, split=split)


def _image(seed: int) -> np.ndarray:
    """Distinct, detailed 32x32 images (so their difference hashes differ widely)."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    return np.kron(coarse, np.ones((4, 4, 1), dtype=np.uint8))


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    members = {}
    for c in range(2):
        for i in range(8):
            members[f"leakset/train/c{c}_{i:03d}.png"] = _fixtures.png_bytes(_image(100 * c + i))
        for i in range(3):
            members[f"leakset/test/c{c}_t{i}.png"] = _fixtures.png_bytes(_image(1000 + 100 * c + i))
    members["leakset/test/copy.png"] = _fixtures.png_bytes(_image(103))
    members["leakset/test/reencoded.jpg"] = _fixtures.jpeg_bytes(_image(5), quality=60)
    _fixtures.write_zip(artifacts_dir / "leakset.zip", members)
    return {"train": 16, "test": 8}


leakset = DatasetSpec(
    name="leakset",
    description="Test-only dataset with planted train/test leakage.",
    homepage="https://example.invalid/",
    citation="none",
    license="CC0",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
)
