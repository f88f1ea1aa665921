"""CIFAR-10: 32x32 colour images of 10 object classes.

Homepage https://www.cs.toronto.edu/~kriz/cifar.html (Krizhevsky, 2009). The python
release is one tar.gz holding ``cifar-10-batches-py/data_batch_1..5`` (training) and
``test_batch``: Python 2 pickles of dicts with byte-string keys whose ``data`` is
N x 3072 uint8 (the red plane, then green, then blue, each 32x32 row-major).
``batches.meta`` (checked to list exactly the class names below, in order) and
``readme.html`` are not examples. Official split only.

Evidence: an extracted copy of the archive (the eight files above; its ``batches.meta``
is byte-equal to the one torchvision pins) and the archive's size and md5 in a DataLad
mirror, equal to the pins here.
"""

from pathlib import Path

import numpy as np

from data.types import Features
from handlers import _cifar, _fixtures, _readers
from handlers._spec import Artifact, DatasetSpec, Evidence

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
        elif batch == "batches.meta":
            _cifar.check_names(_readers.load_array_pickle(data), b"label_names", CLASS_NAMES, name)


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
    evidence=Evidence(
        "real listing",
        source=(
            "1012598167/CNN_RNN_GAN_Keras@4e0b7c72015a7e05c65c5a4ef0d04c2c1453250d:cifar-10-batches-py/ "
            "(the extracted archive: batches.meta, data_batch_1..5, readme.html, test_batch; its "
            "1/batches.meta has torchvision's md5 5ff9c542... and lists the ten names here); "
            "datasets-mila/datasets--cifar10@03844c7e72166b464f13c1b04aa8f30c60f56fcf:cifar-10-python.tar.gz "
            "(annex key: 170,498,071 bytes, md5 c58f3010..., as pinned)"
        ),
    ),
    dm_nevis_differences=(
        "dm_nevis reads TFDS cifar10 and carves dev / dev-test out of the train split's tail "
        "(70/15/15 by position) at read time; here only the official train/test are stored."
    ),
)
