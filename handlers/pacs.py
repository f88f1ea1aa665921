"""PACS: 9,991 pictures of 7 object classes in four styles (photo, art painting, cartoon,
sketch), for domain generalisation.

Homepage https://dali-dl.github.io/project_iccv2017.html (Li, Yang, Song, Hospedales,
"Deeper, Broader and Artier Domain Generalization", ICCV 2017). The authors' HDF5
release: for each domain, ``<domain>_train.hdf5``, ``<domain>_val.hdf5`` and
``<domain>_test.hdf5``, twelve Google Drive files. Each holds ``images`` (N x 227 x 227
x 3, channels in BGR order: reversed here) and ``labels`` (1-7, so label - 1).
The authors' train/val/test parts are not used as splits, as in dm_nevis: the
domain decides. Photo, art painting and cartoon files are pooled and drawn into
train/dev (TR2, 0.8/0.2); sketch files are drawn 50/50 into dev-test and test.
Each pool is de-duplicated on (pixels, label), keeping the first occurrence with files
read in name order (the published test file of a domain appears to repeat its train
and val images). Keys are ``<file>/<row>``; splits hash the key.
Which Drive id holds which file is not recorded anywhere we could check: the names
below are assigned in dm_nevis's listing order, alphabetically, and each artifact
requires Drive to announce its declared name, so a wrong pairing fails the fetch with
the served name (fix the pairing here) instead of mixing sketches into training.
Files are read in blocks of rows, never whole.

Evidence: the file names and their ``images``/``labels`` datasets (labels 1-7) are those the
domain-generalisation loaders of the authors' circle read; no copy of a file, nor the
id-to-name pairing, was found.
"""

import hashlib
from pathlib import Path

import numpy as np

from data.types import Example, Features
from handlers import _fixtures, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

DOMAINS = ("art_painting", "cartoon", "photo", "sketch")
TEST_DOMAINS = ("sketch",)
PARTS = ("test", "train", "val")
TEST_FRACTIONS = {"dev-test": 0.5, "test": 0.5}
FILES = tuple(f"{domain}_{part}.hdf5" for domain in DOMAINS for part in PARTS)

# (Drive id, md5 from dm_nevis), in dm_nevis's order; paired with FILES (unconfirmed).
_DRIVE = (
    ("1e2WfiUmpv25FzRHYrA_8rooqEWicwbGA", "7cd392ecb9e0ab0f0e8be9d8fc5ed5a2"),
    ("1qvJeF3WgfZgBgNBnzJGOLVOMncLgi5uN", "d5df8be042fd2525efeb29cfb2252026"),
    ("10yRj3m8bB_PAiKqOcct1viTGu0DuT5un", "a91c0ee93df8278028ff49072317e24a"),
    ("1ID0Y-v0EvKz1VL7XIKfZtb2FOxF89gVQ", "e9205c7d19484ea8b5082abe1560dad3"),
    ("1BpaNvaSRXZ09xwnC5TWBv3ktOBj36mp7", "988c767ea2e542268be87044e3da60f5"),
    ("16pF2YwohULpkXV3NNRiBvDy4SBWyhxvz", "e1c23f2990c290b38a07c970750b6226"),
    ("1gNHdceC8tS1JLcb6sZGaT7w6zwwTkiXp", "4578bcf9207ffa2ad9608976e8f4cf37"),
    ("14_xcxAYTsURyhBKS2FBNwqQFNGIkDbP7", "d2d58d2df269ffa2f79d68f5942e4109"),
    ("1e8PvYV1Rbc3uDDKt0iADNNT6fXH95FIC", "77fb7329500a70150d1b4637652720b9"),
    ("1xj-PJhD4xBtPv6EETGImlA0Pju7KdIH0", "52c846632c2b903536c097e6ccd91c39"),
    ("1li1j1-315EmjXbuqRnMIxiH_u7Kpj81b", "44293bc45b2a41fba17cf163c8a01c0a"),
    ("1OQnAweOPYbwhNt9uQ07aVV1GNmkTAcD2", "9ea4965e0c61ad295437be4b6cf10681"),
)
ARTIFACTS = tuple(
    Artifact(file, gdrive_id=drive_id, content_disposition=True, md5=md5)
    for file, (drive_id, md5) in zip(FILES, _DRIVE, strict=True)
)

CLASS_NAMES = ("dog", "elephant", "giraffe", "guitar", "horse", "house", "person")
_BLOCK = 64  # rows read at a time: about 10 MB of 227x227 images


def examples(artifacts_dir: Path):
    seen: dict[bool, set[tuple[bytes, int]]] = {True: set(), False: set()}
    for file in sorted(FILES):
        held_out = file.startswith(TEST_DOMAINS)
        fractions = TEST_FRACTIONS if held_out else _splits.TR2
        for row, image, label in read_rows(artifacts_dir / file):
            fingerprint = (hashlib.md5(image.tobytes()).digest(), label)
            if fingerprint in seen[held_out]:
                continue
            seen[held_out].add(fingerprint)
            key = f"{file}/{row:05d}"
            yield Example(key=key, image=image, label=label, split=_splits.by_fraction(key, fractions))


def read_rows(path: Path):
    """(row, RGB uint8 image, 0-based label) of one PACS HDF5 file, in row order."""
    import h5py

    # Opened from Python so the read is one visible open of the file.
    with open(path, "rb") as stream, h5py.File(stream, "r") as content:
        images, labels = content["images"], content["labels"][()].reshape(-1)
        if images.ndim != 4 or images.shape[-1] != 3 or len(images) != len(labels):
            raise ValueError(f"{path.name}: images {images.shape} and labels {labels.shape} "
                             "are not N x H x W x 3 and N")
        for start in range(0, len(labels), _BLOCK):
            block = _as_uint8(images[start : start + _BLOCK], path.name)
            for offset, bgr in enumerate(block):
                row = start + offset
                yield row, np.ascontiguousarray(bgr[..., ::-1]), _label(labels[row], path.name, row)


def _as_uint8(block: np.ndarray, file: str) -> np.ndarray:
    """Pixels as uint8; the stored dtype is not documented, so any whole 0-255 values pass."""
    if block.dtype == np.uint8:
        return block
    if block.size and (block.min() < 0 or block.max() > 255 or not np.all(block == np.round(block))):
        raise ValueError(f"{file}: images of dtype {block.dtype} hold values outside whole 0-255")
    return block.astype(np.uint8)


def _label(value, file: str, row: int) -> int:
    label = int(value) - 1
    if value != label + 1 or not 0 <= label < len(CLASS_NAMES):
        raise ValueError(f"{file}: row {row} has label {value}, not one of 1-{len(CLASS_NAMES)}")
    return label


def write_fixture(artifacts_dir: Path, per_domain: int = 8, size: int = 12) -> dict[str, int]:
    """Twelve HDF5 files: per domain, train and val rows and a test file repeating both
    (duplicates the handler drops), images stored BGR as uint8, labels 1-based."""
    import h5py

    counts = _splits.SplitSizes()
    for d, domain in enumerate(DOMAINS):
        rgb = [_fixtures.pixels(100 * d + i, size, size, 3) for i in range(per_domain)]
        labels = [1 + (d + i) % len(CLASS_NAMES) for i in range(per_domain)]
        cut = per_domain * 3 // 4
        rows = {"train": range(cut), "val": range(cut, per_domain), "test": range(per_domain)}
        for part, indices in rows.items():
            with h5py.File(artifacts_dir / f"{domain}_{part}.hdf5", "w") as content:
                bgr = np.stack([rgb[i][..., ::-1] for i in indices])
                content.create_dataset("images", data=bgr, dtype="uint8", track_times=False)
                content.create_dataset("labels", data=[labels[i] for i in indices], dtype="uint8",
                                       track_times=False)
        # The test file sorts first: its rows are the ones kept.
        fractions = TEST_FRACTIONS if domain in TEST_DOMAINS else _splits.TR2
        for row in range(per_domain):
            split = _splits.by_fraction(f"{domain}_test.hdf5/{row:05d}", fractions)
            counts.add(split)
    return dict(sorted(counts.items()))


pacs = DatasetSpec(
    name="pacs",
    description=(
        "9,991 227x227 pictures of 7 classes in four domains: photo, art painting, cartoon "
        "(training) and sketch (testing), de-duplicated."
    ),
    homepage="https://dali-dl.github.io/project_iccv2017.html",
    citation=(
        "Li, D., Yang, Y., Song, Y.-Z., Hospedales, T. M. Deeper, Broader and Artier Domain "
        "Generalization. IEEE International Conference on Computer Vision (ICCV), 2017."
    ),
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    num_examples=None,
    unconfirmed=(
        "which Drive id holds which of the twelve files (pairing guessed, checked at fetch by "
        "the announced name); the images' stored dtype; that each <domain>_test.hdf5 repeats "
        "its domain's train and val images (the 9,991 total after de-duplication)"
    ),
    evidence=Evidence(
        "documentation",
        source="Li et al., ICCV 2017 and its project page (9,991 images, 7 classes, 4 domains, "
        "227x227); MLDG-style PACS loaders reading <domain>_{train,val,test}.hdf5 with datasets "
        "images and labels (label - 1)",
    ),
)
