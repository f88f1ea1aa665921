"""CIFAR-10: 32x32 colour images of 10 object classes.

Homepage https://www.cs.toronto.edu/~kriz/cifar.html (Krizhevsky, 2009). The python
release is one tar.gz holding ``cifar-10-batches-py/data_batch_1..5`` (training) and
``test_batch``: Python 2 pickles of dicts with byte-string keys whose ``data`` is
N x 3072 uint8 (the red plane, then green, then blue, each 32x32 row-major).
``batches.meta`` and ``readme.html`` are not examples. Official split only.
"""

from pathlib import Path

import numpy as np

from data.types import Features
from handlers import _cifar, _fixtures, _readers
from handlers._spec import Artifact, DatasetSpec

ARTIFACTS = (
    Artifact("cifar-10-python.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
             md5="c58f30108f718f92721af3b95e74349a", size=170498071),
)

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck")

FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))


def examples(artifacts_dir: Path):
    for name, data in _readers.tar_members(artifacts_dir / ARTIFACTS[0].file):
        batch = name.rsplit("/", 1)[-1]
        if batch.startswith("data_batch_"):  # 1..5 in the release
            yield from _cifar.batch_examples(batch, data, "train")
        elif batch == "test_batch":
            yield from _cifar.batch_examples(batch, data, "test")


def write_fixture(artifacts_dir: Path, per_batch: int = 6) -> dict[str, int]:
    """The real archive layout (all six batches, meta, readme), ``per_batch`` images each."""
    members = {}
    for seed, batch in enumerate((*TRAIN_BATCHES, "test_batch")):
        images = np.stack([_fixtures.pixels(seed * 100 + i, 32, 32, 3) for i in range(per_batch)])
        labels = (np.arange(per_batch) * 3 + seed) % 10
        members[f"{FOLDER}/{batch}"] = _cifar.batch_bytes(images, f"fixture {batch}", {b"labels": labels})
    members[f"{FOLDER}/batches.meta"] = _cifar.meta_bytes(
        {b"label_names": CLASS_NAMES}, num_cases_per_batch=per_batch, num_vis=3072)
    members[f"{FOLDER}/readme.html"] = b"<html>fixture</html>"
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, members)
    return {"train": 5 * per_batch, "test": per_batch}


cifar10 = DatasetSpec(
    name="cifar10",
    description="60,000 32x32 colour images in 10 classes, 6,000 per class.",
    homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
    citation="Krizhevsky, A. Learning Multiple Layers of Features from Tiny Images. Technical report, University of Toronto, 2009.",
    license="No license stated by the provider; cite the technical report.",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    num_examples={"train": 50000, "test": 10000},
)
