"""MNIST: 28x28 greyscale handwritten digits, labels 0-9.

Homepage http://yann.lecun.com/exdb/mnist/ (LeCun, Bottou, Bengio, Haffner, 1998).
Four gzip-compressed idx files, an official 60,000 / 10,000 train/test split and no
other. The original host is often down, so the URLs point at the CVDF mirror that
TFDS uses; the checksums are the ones TFDS pins for those files.

Evidence: vendored copies of three of the files match the pinned sha256 (the test pair
reads as 10,000 28x28 images and labels, the training labels' header says 60,000); the
training images are known by the size and md5 in a DataLad mirror's annex key.
"""

from pathlib import Path

import numpy as np

from data.types import Features
from handlers import _fixtures, _readers
from handlers._spec import Artifact, DatasetSpec, Evidence

_MIRROR = "https://storage.googleapis.com/cvdf-datasets/mnist/"
ARTIFACTS = (
    Artifact("train-images-idx3-ubyte.gz", _MIRROR + "train-images-idx3-ubyte.gz", size=9912422,
             sha256="440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    Artifact("train-labels-idx1-ubyte.gz", _MIRROR + "train-labels-idx1-ubyte.gz", size=28881,
             sha256="3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    Artifact("t10k-images-idx3-ubyte.gz", _MIRROR + "t10k-images-idx3-ubyte.gz", size=1648877,
             sha256="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    Artifact("t10k-labels-idx1-ubyte.gz", _MIRROR + "t10k-labels-idx1-ubyte.gz", size=4542,
             sha256="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
)

CLASS_NAMES = tuple(str(digit) for digit in range(10))

FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def examples(artifacts_dir: Path):
    return _readers.idx_pair_examples(artifacts_dir, FILES)


def write_fixture(artifacts_dir: Path, sizes=(("train", 40), ("test", 12))) -> dict[str, int]:
    """Idx files like the real ones (same names, magic numbers, 28x28), fewer records."""
    counts = {}
    for seed, (split, count) in enumerate(sizes):
        images_file, labels_file = FILES[split]
        images = np.stack([_fixtures.pixels(seed * 1000 + i, 28, 28, 1) for i in range(count)])
        labels = (np.arange(count) * 7 + seed) % 10
        _fixtures.write_gz(artifacts_dir / images_file, _fixtures.idx_bytes(images))
        _fixtures.write_gz(artifacts_dir / labels_file, _fixtures.idx_bytes(labels))
        counts[split] = count
    return counts


mnist = DatasetSpec(
    name="mnist",
    description="Handwritten digits 0-9, 28x28 greyscale, centred by centre of mass.",
    homepage="http://yann.lecun.com/exdb/mnist/",
    citation=(
        "LeCun, Y., Bottou, L., Bengio, Y., Haffner, P. Gradient-based learning applied to "
        "document recognition. Proceedings of the IEEE 86(11), 1998."
    ),
    license="Creative Commons Attribution-Share Alike 3.0 (as distributed by TFDS)",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    num_examples={"train": 60000, "test": 10000},
    evidence=Evidence(
        "real artifact",
        source="lynnlangit/AdvancedPythonForBio@5d50664c78bc:t10k-images-idx3-ubyte.gz, "
        "t10k-labels-idx1-ubyte.gz, train-labels-idx1-ubyte.gz (sizes and sha256 = the pinned "
        "ones); datasets-mila/datasets--mnist@7ec3e57e1df2:train-images-idx3-ubyte.gz (annex key "
        "MD5E-s9912422--f68b3c2dcbeaaa9fbdd348bbdeb94873: the pinned size, LeCun's md5)",
    ),
)
