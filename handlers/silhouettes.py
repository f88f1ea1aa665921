"""Caltech 101 Silhouettes: binary object outlines of 101 Caltech-101 classes, 16x16 or 28x28.

Homepage https://people.cs.umass.edu/~marlin/data.shtml (Marlin, Swersky, Chen, de Freitas,
"Inductive principles for restricted Boltzmann machine learning", AISTATS 2010). Each
size has a ``caltech101_silhouettes_<size>_split1.mat`` holding ``train_data``,
``val_data``, ``test_data`` (one flattened size x size binary image per row, values 0/1,
stored as 0/255) and ``train_labels``/``val_labels``/``test_labels`` (1-based column
vectors). The rows were flattened by MATLAB, so they are reshaped column-major (dm_nevis
reshaped row-major, which transposes every image). The companion
``caltech101_silhouettes_<size>.mat`` (all images at once, plus ``classnames``) is not
needed. Class names were not available offline: classes are named by their 1-based
label. Splits: the official training part is drawn into train/dev (0.8/0.2) by a hash
of ``train/<row>``; the validation part is ``dev-test``; the test part is ``test``.
"""

import functools
from pathlib import Path

import numpy as np
from PIL import Image

from data.types import Example, Features
from handlers import _fixtures, _splits
from handlers._spec import Artifact, DatasetSpec

_HOST = "https://people.cs.umass.edu/~marlin/data/"
ARTIFACTS = {
    16: (Artifact("caltech101_silhouettes_16_split1.mat", _HOST + "caltech101_silhouettes_16_split1.mat",
                  md5="3baf9e2c023aa4a187e1d1b92b5a734a"),),
    28: (Artifact("caltech101_silhouettes_28_split1.mat", _HOST + "caltech101_silhouettes_28_split1.mat",
                  md5="4483e9c14b188fd09937f9ea6f9ea777"),),
}

CLASS_NAMES = tuple(f"class_{label:03d}" for label in range(1, 102))
# .mat prefix -> split (None: drawn into train/dev by hash)
PARTS = {"train": None, "val": "dev-test", "test": "test"}


def examples(artifacts_dir: Path, size: int):
    from scipy.io import loadmat

    content = loadmat(artifacts_dir / ARTIFACTS[size][0].file)
    for part, split in PARTS.items():
        images, labels = content[f"{part}_data"], content[f"{part}_labels"].ravel()
        if images.shape != (len(labels), size * size):
            raise ValueError(f"{part}_data has shape {images.shape} for {len(labels)} labels")
        for row in range(len(labels)):
            key = f"{part}/{row:04d}"
            pixels = (images[row].reshape(size, size, order="F") > 0.5).astype(np.uint8) * 255
            label = int(labels[row]) - 1
            if not 0 <= label < len(CLASS_NAMES):
                raise ValueError(f"{part}_labels row {row}: label {label + 1} outside 1..101")
            yield Example(key=key, image=Image.fromarray(pixels, "L"), label=label,
                          split=split or _splits.by_fraction(key, _splits.TR2))


def write_fixture(artifacts_dir: Path, size: int, rows=(("train", 20), ("val", 5), ("test", 6))) -> dict[str, int]:
    """A split1 .mat as MATLAB saves it: float rows of 0/1, 1-based column-vector labels."""
    from scipy.io import savemat

    content, counts = {}, {}
    for seed, (part, count) in enumerate(rows):
        content[f"{part}_data"] = np.stack([
            (_fixtures.pixels(seed * 100 + i, size, size, 1) > 128).ravel(order="F").astype(np.float64)
            for i in range(count)])
        content[f"{part}_labels"] = (np.arange(count) % 4 * 33 + 1).reshape(-1, 1).astype(np.float64)
        for row in range(count):
            split = PARTS[part] or _splits.by_fraction(f"{part}/{row:04d}", _splits.TR2)
            counts[split] = counts.get(split, 0) + 1
    savemat(artifacts_dir / ARTIFACTS[size][0].file, content)
    return counts


def _spec(size: int) -> DatasetSpec:
    return DatasetSpec(
        name=f"silhouettes_{size}",
        description=f"Silhouettes of Caltech-101 objects, {size}x{size} binary images in 101 classes (Marlin's split1).",
        homepage="https://people.cs.umass.edu/~marlin/data.shtml",
        citation=(
            "Marlin, B., Swersky, K., Chen, B., de Freitas, N. Inductive principles for restricted "
            "Boltzmann machine learning. AISTATS 2010."
        ),
        license="unknown; see homepage",
        artifacts=ARTIFACTS[size],
        features=Features(channels=1, class_names=CLASS_NAMES),
        examples=functools.partial(examples, size=size),
        write_fixture=functools.partial(write_fixture, size=size),
        # Part sizes (often quoted as 4,100 / 2,264 / 2,307) were not confirmed offline.
        num_examples=None,
        source="silhouettes",
        unconfirmed="class names (the .mat classnames), column-major pixel order, part sizes",
    )


silhouettes_16 = _spec(16)
silhouettes_28 = _spec(28)
