"""A test-only dataset: a zip of PNGs in class folders, sized so tests can steer it.

Registered through DATASETS_STORAGE_HANDLERS=toyset (with this folder on PYTHONPATH).
``TOYSET_BIG`` names the one member that is 64x64 instead of 12x12, so a test can
trip the decompression-bomb guard for exactly one shard.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers
from handlers._spec import Artifact, DatasetSpec

ARTIFACTS = (Artifact("toyset.zip", "https://example.invalid/toyset.zip", sha256="0" * 64),)
CLASS_NAMES = ("circle", "square", "triangle")
BIG_MEMBER = "toyset/square/0007.png"


def examples(artifacts_dir: Path):
    for name, data in _readers.zip_members(artifacts_dir / "toyset.zip", suffixes=(".png",)):
        split = "test" if name.endswith(("0.png", "5.png")) else "train"
        label = CLASS_NAMES.index(_readers.class_folder(name))
        yield Example(key=name, image=data, label=label, split=split)


def write_fixture(artifacts_dir: Path, per_class: int = 20) -> dict[str, int]:
    members = {}
    for c, folder in enumerate(CLASS_NAMES):
        for i in range(per_class):
            name = f"toyset/{folder}/{i:04d}.png"
            side = 64 if name == BIG_MEMBER else 12
            members[name] = _fixtures.png_bytes(_fixtures.pixels(c * 1000 + i, side, side, 3))
    members["toyset/Thumbs.db"] = b"junk"
    _fixtures.write_zip(artifacts_dir / "toyset.zip", members)
    test = sum(1 for name in members if name.endswith(("0.png", "5.png")))
    return {"train": len(members) - 1 - test, "test": test}


toyset = DatasetSpec(
    name="toyset",
    description="Test-only toy dataset.",
    homepage="https://example.invalid/",
    citation="none",
    license="CC0",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
)

# The same source, declaring its oversized member as known-bad.
toyset_skipping = DatasetSpec(
    name="toyset_skipping",
    description="Test-only toy dataset that skips a known-bad member.",
    homepage="https://example.invalid/",
    citation="none",
    license="CC0",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    source="toyset",
    skip_members=frozenset({BIG_MEMBER}),
)
