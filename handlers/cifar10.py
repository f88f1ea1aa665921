"""CIFAR-10: 32x32 colour images of 10 object classes.

Homepage https://www.cs.toronto.edu/~kriz/cifar.html (Krizhevsky, 2009). The python
release is one tar.gz holding ``cifar-10-batches-py/data_batch_1..5`` (training) and
``test_batch``: Python 2 pickles of dicts with byte-string keys whose ``data`` is
N x 3072 uint8 (the red plane, then green, then blue, each 32x32 row-major).
``batches.meta`` and ``readme.html`` are not examples. Official split only.
"""

import pickle
from pathlib import Path

import numpy as np
from PIL import Image

from data.types import Example, Features
from handlers import _fixtures, _readers
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
        if batch in TRAIN_BATCHES:
            yield from _batch_examples(batch, data, "train")
        elif batch == "test_batch":
            yield from _batch_examples(batch, data, "test")


def _batch_examples(batch: str, data: bytes, split: str):
    content = _readers.load_array_pickle(data)
    pixels = np.asarray(content[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
    labels = content[b"labels"]
    if len(pixels) != len(labels):
        raise ValueError(f"{batch}: {len(pixels)} images but {len(labels)} labels")
    hwc = pixels.transpose(0, 2, 3, 1)
    for index in range(len(hwc)):
        yield Example(
            key=f"{batch}/{index:05d}",
            image=Image.fromarray(np.ascontiguousarray(hwc[index]), "RGB"),
            label=int(labels[index]),
            split=split,
        )


def write_fixture(artifacts_dir: Path, per_batch: int = 6) -> dict[str, int]:
    """The real archive layout (all six batches, meta, readme), ``per_batch`` images each."""
    members = {}
    for seed, batch in enumerate((*TRAIN_BATCHES, "test_batch")):
        images = np.stack([_fixtures.pixels(seed * 100 + i, 32, 32, 3) for i in range(per_batch)])
        members[f"{FOLDER}/{batch}"] = pickle.dumps(
            {
                b"batch_label": f"fixture {batch}".encode(),
                b"labels": [int(v) for v in (np.arange(per_batch) * 3 + seed) % 10],
                b"data": images.transpose(0, 3, 1, 2).reshape(per_batch, 3072),
                b"filenames": [f"img_{seed}_{i}.png".encode() for i in range(per_batch)],
            },
            protocol=2,
        )
    members[f"{FOLDER}/batches.meta"] = pickle.dumps(
        {b"label_names": [n.encode() for n in CLASS_NAMES], b"num_cases_per_batch": per_batch,
         b"num_vis": 3072},
        protocol=2,
    )
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
