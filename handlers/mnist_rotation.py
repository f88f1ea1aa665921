"""MNIST-rotation: MNIST digits whose training images are rotated by a per-image angle.

Built from the original MNIST files (LeCun, Bottou, Bengio, Haffner, 1998; homepage
http://yann.lecun.com/exdb/mnist/), the same artifacts as the ``mnist`` dataset (the
CVDF mirror, TFDS's checksums). As in dm_nevis, each training image is rotated about
its centre on the same 28x28 canvas (scipy's default cubic spline, zero fill) by an
integer angle in 0-359; test images are not rotated. dm_nevis draws the angles from a
global random generator that keeps advancing as files are re-read, so its angles are
not reproducible; here the angle is a stable hash of the example key
(``train/<index>``), so every build rotates every image the same way. Splits: the
official training file is drawn into train/dev/dev-test (TR3) by a hash of the key;
the official (unrotated) test file is ``test``.

Evidence: the ``mnist`` artifacts (three read with matching sha256; the training labels'
header gives the 60,000 records the TR3 counts are tallied over).
"""

import dataclasses
from pathlib import Path

import numpy as np
from PIL import Image

from data.hashing import key_hash
from handlers import _readers, _splits, mnist
from handlers._spec import DatasetSpec

ARTIFACTS = mnist.ARTIFACTS
CLASS_NAMES = mnist.CLASS_NAMES
TRAIN_SIZE = 60000


def examples(artifacts_dir: Path):
    for example in _readers.idx_pair_examples(artifacts_dir, mnist.FILES):
        if example.split == "train":
            yield dataclasses.replace(example, image=_rotated(example.image, angle(example.key)),
                                      split=_splits.by_fraction(example.key, _splits.TR3))
        else:
            yield example


def angle(key: str) -> int:
    """The rotation of the training image ``key``, in degrees (0-359)."""
    return key_hash(key, "rotation") % 360


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """MNIST's fixture files; the training part is counted as the TR3 draw splits it."""
    counts = dict(mnist.write_fixture(artifacts_dir))
    return {"test": counts["test"], **_splits.tally(_train_keys(counts["train"]), _splits.TR3)}


def _rotated(image: Image.Image, degrees: int) -> Image.Image:
    from scipy import ndimage

    turned = ndimage.rotate(np.asarray(image, dtype=np.float32), degrees, reshape=False)
    return Image.fromarray(np.clip(np.rint(turned), 0, 255).astype(np.uint8), "L")


def _train_keys(count: int):
    return (f"train/{index:05d}" for index in range(count))


def derived_counts() -> dict[str, int]:
    """Keys are the record indices, so the hash draw over the training file is known
    (slow: 60,000 hashes; NUM_EXAMPLES holds the result and a test recomputes it)."""
    return {"test": 10000, **_splits.tally(_train_keys(TRAIN_SIZE), _splits.TR3)}


NUM_EXAMPLES = {"train": 42194, "dev": 8891, "dev-test": 8915, "test": 10000}


mnist_rotation = DatasetSpec(
    name="mnist_rotation",
    description="MNIST with every training digit rotated by a stable per-image angle (0-359 degrees); test digits upright.",
    homepage="http://yann.lecun.com/exdb/mnist/",
    citation=(
        "LeCun, Y., Bottou, L., Bengio, Y., Haffner, P. Gradient-based learning applied to "
        "document recognition. Proceedings of the IEEE 86(11), 1998."
    ),
    license=mnist.mnist.license,
    artifacts=ARTIFACTS,
    features=mnist.mnist.features,
    examples=examples,
    write_fixture=write_fixture,
    num_examples=NUM_EXAMPLES,
    evidence=mnist.mnist.evidence,
    dm_nevis_differences=(
        "Each training image's angle is a hash of its key instead of a draw from dm_nevis's "
        "global generator (seed 99999), whose sequence shifts with every re-read of the file, "
        "so the angles differ from dm_nevis's but are the same in every build."
    ),
)
