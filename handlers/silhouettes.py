"""Caltech 101 Silhouettes: binary object outlines of 101 Caltech-101 classes, 16x16 or 28x28.

Homepage https://people.cs.umass.edu/~marlin/data.shtml (Marlin, Swersky, Chen, de Freitas,
"Inductive principles for restricted Boltzmann machine learning", AISTATS 2010). Each
size has a ``caltech101_silhouettes_<size>_split1.mat`` holding ``train_data``,
``val_data``, ``test_data`` (one flattened size x size binary image per row, values 0/1,
stored as 0/255), ``train_labels``/``val_labels``/``test_labels`` (1-based column
vectors) and ``classnames`` (a 1 x 101 cell, in label order; checked against
``CLASS_NAMES`` when present). The rows were flattened by MATLAB, so they are reshaped
column-major (dm_nevis reshaped row-major, which transposes every image). The companion
``caltech101_silhouettes_<size>.mat`` (all images at once) is not needed. Splits: the
official training part is drawn into train/dev (0.8/0.2) by a hash of
``train/<row>``; the validation part is ``dev-test``; the test part is ``test``.

Evidence: a user's notebook printed the real 28x28 split1 file's parts (4,100 / 2,264 /
2,307 rows of 784 values in 0..1) and its 101 class names, which ``CLASS_NAMES`` copies.
Nothing was found for the 16x16 file beyond loaders reading the same variable names.
"""

import functools
from pathlib import Path

import numpy as np
from PIL import Image

from data.types import Example, Features
from handlers import _fixtures, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "https://people.cs.umass.edu/~marlin/data/"
ARTIFACTS = {
    16: (Artifact("caltech101_silhouettes_16_split1.mat", _HOST + "caltech101_silhouettes_16_split1.mat",
                  md5="3baf9e2c023aa4a187e1d1b92b5a734a"),),
    28: (Artifact("caltech101_silhouettes_28_split1.mat", _HOST + "caltech101_silhouettes_28_split1.mat",
                  md5="4483e9c14b188fd09937f9ea6f9ea777"),),
}

# The split1 file's ``classnames``, in label order (label 1 = "Airplanes Side 2").
CLASS_NAMES = (
    "Airplanes Side 2", "Faces 2", "Faces 3", "Leopards", "Motorbikes 16", "accordion", "anchor",
    "ant", "barrel", "bass", "beaver", "binocular", "bonsai", "brain", "brontosaurus", "buddha",
    "butterfly", "camera", "cannon", "car side", "ceiling fan", "cellphone", "chair",
    "chandelier", "cougar body", "cougar face", "crab", "crayfish", "crocodile",
    "crocodile head", "cup", "dalmatian", "dollar bill", "dolphin", "dragonfly",
    "electric guitar", "elephant", "emu", "euphonium", "ewer", "ferry", "flamingo",
    "flamingo head", "garfield", "gerenuk", "gramophone", "grand piano", "hawksbill",
    "headphone", "hedgehog", "helicopter", "ibis", "inline skate", "joshua tree", "kangaroo",
    "ketch", "lamp", "laptop", "llama", "lobster", "lotus", "mandolin", "mayfly", "menorah",
    "metronome", "minaret", "nautilus", "octopus", "okapi", "pagoda", "panda", "pigeon", "pizza",
    "platypus", "pyramid", "revolver", "rhino", "rooster", "saxophone", "schooner", "scissors",
    "scorpion", "sea horse", "snoopy", "soccer ball", "stapler", "starfish", "stegosaurus",
    "stop sign", "strawberry", "sunflower", "tick", "trilobite", "umbrella", "watch",
    "water lilly", "wheelchair", "wild cat", "windsor chair", "wrench", "yin yang",
)
# Rows per part of the 28x28 split1 file, as printed from the real file.
PART_ROWS_28 = {"train": 4100, "val": 2264, "test": 2307}
# .mat prefix -> split (None: drawn into train/dev by hash)
PARTS = {"train": None, "val": "dev-test", "test": "test"}


def examples(artifacts_dir: Path, size: int):
    from scipy.io import loadmat

    content = loadmat(artifacts_dir / ARTIFACTS[size][0].file)
    if "classnames" in content:
        names = tuple(str(np.asarray(cell).ravel()[0]) for cell in content["classnames"].ravel())
        if names != CLASS_NAMES:
            raise ValueError(f"classnames differ from CLASS_NAMES: {names[:5]}...")
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
    """A split1 .mat as MATLAB saves it: float rows of 0/1, 1-based column-vector labels and
    the 1 x 101 ``classnames`` cell."""
    from scipy.io import savemat

    classnames = np.empty((1, len(CLASS_NAMES)), dtype=object)
    classnames[0, :] = CLASS_NAMES
    content, counts = {"classnames": classnames}, _splits.SplitSizes()
    for seed, (part, count) in enumerate(rows):
        content[f"{part}_data"] = np.stack([
            (_fixtures.pixels(seed * 100 + i, size, size, 1) > 128).ravel(order="F").astype(np.float64)
            for i in range(count)])
        content[f"{part}_labels"] = (np.arange(count) % 4 * 33 + 1).reshape(-1, 1).astype(np.float64)
        for row in range(count):
            split = PARTS[part] or _splits.by_fraction(f"{part}/{row:04d}", _splits.TR2)
            counts.add(split)
    savemat(artifacts_dir / ARTIFACTS[size][0].file, content)
    return counts


def _part_counts(rows: dict[str, int]) -> dict[str, int]:
    """Split sizes from part sizes: keys are row numbers, so the train/dev draw is known."""
    counts = _splits.tally((f"train/{row:04d}" for row in range(rows["train"])), _splits.TR2)
    return {**counts, "dev-test": rows["val"], "test": rows["test"]}


_NOTEBOOK = ("BecTome/CNN_CalTech101Silhouettes@886f6d72f56bd22e8a27dc5971abd10567e9f789:"
             "notebooks/load_write.ipynb")
_EVIDENCE = {
    28: Evidence("real listing", source=_NOTEBOOK + " (output of loading the real "
                 "caltech101_silhouettes_28_split1.mat: train/val/test_data of 4,100 / 2,264 / "
                 "2,307 x 784 values in 0..1, labels as column vectors, the 101 classnames)"),
    16: Evidence("unverified", source=_NOTEBOOK + " (the 28x28 file only; the 16x16 one is "
                 "assumed to share its variables)"),
}


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
        num_examples=_part_counts(PART_ROWS_28) if size == 28 else None,
        source="silhouettes",
        unconfirmed=(
            "column-major pixel order" if size == 28 else
            "that the 16x16 file has the 28x28 file's parts (4,100 / 2,264 / 2,307) and "
            "classnames; column-major pixel order"
        ),
        evidence=_EVIDENCE[size],
        dm_nevis_differences=(
            "Rows are reshaped column-major, as MATLAB flattened them, so images are upright "
            "where dm_nevis's are transposed; the all-images .mat dm_nevis also downloads is not "
            "fetched, since the split file carries the class names."
        ),
    )


silhouettes_16 = _spec(16)
silhouettes_28 = _spec(28)
