"""A test-only dataset whose provider URL the test chooses (FETCHSET_URL), and a
manual-download variant: for builds that exercise fetching through the real graph.

Registered in luigi subprocesses with DATASETS_STORAGE_HANDLERS=...,fetchset and this
folder on PYTHONPATH. Both variants read a zip of PNGs in class folders.
"""

import os
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers
from handlers._spec import Artifact, DatasetSpec

URL = os.environ.get("FETCHSET_URL", "http://127.0.0.1:9/fetchset.zip")
CLASS_NAMES = ("dark", "light")


def _examples(file: str):
    def examples(artifacts_dir: Path):
        for name, data in _readers.zip_members(artifacts_dir / file, suffixes=(".png",)):
            label = CLASS_NAMES.index(_readers.class_folder(name))
            yield Example(key=name, image=data, label=label, split="train")
    return examples


def write_zip(path: Path, per_class: int = 12) -> dict[str, int]:
    members = {
        f"{folder}/{i:03d}.png": _fixtures.png_bytes(_fixtures.pixels(c * 100 + i, 24, 24, 3))
        for c, folder in enumerate(CLASS_NAMES) for i in range(per_class)
    }
    _fixtures.write_zip(path, members)
    return {"train": len(members)}


def _spec(name: str, artifact: Artifact) -> DatasetSpec:
    return DatasetSpec(
        name=name,
        description="Test-only dataset for fetch tests.",
        homepage="https://example.invalid/fetchset",
        citation="none",
        license="CC0",
        artifacts=(artifact,),
        features=Features(channels=3, class_names=CLASS_NAMES),
        examples=_examples(artifact.file),
        write_fixture=lambda folder: write_zip(folder / artifact.file),
    )


fetchset = _spec("fetchset", Artifact("fetchset.zip", URL))
fetchset_manual = _spec("fetchset_manual", Artifact(
    "fetchset_manual.zip", manual="sign the licence at https://example.invalid/fetchset/licence"))
