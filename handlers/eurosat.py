"""EuroSAT (RGB): 27,000 Sentinel-2 satellite image patches of 10 land-cover classes.

Homepage https://github.com/phelber/EuroSAT (Helber, Bischke, Dengel, Borth, "EuroSAT:
A Novel Dataset and Deep Learning Benchmark for Land Use and Land Cover
Classification", IEEE JSTARS 2019). The RGB release is one zip of 64x64 JPEGs,
``2750/<Class>/<Class>_<n>.jpg``; the label is the folder (checked against the file
name's prefix), classes sorted (the TFDS order). The 13-band TIFF release is not used.
The original host may be unreachable; torchvision fetches the same file (same md5)
from a pinned Hugging Face copy. No official split: every image is drawn into
train/dev/dev-test/test (ALL) by a hash of its member path.

Evidence: the provider's README (27,000 images, 10 classes, the RGB zip's URL) only; the
``2750/<Class>/`` layout is what every loader that reads the zip assumes, but no member
list of the real zip was found, so no split sizes are declared.
"""

import posixpath
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("EuroSAT.zip", "http://madm.dfki.de/files/sentinel/EuroSAT.zip", size=94280567,
             sha256="8ebea626349354c5328b142b96d0430e647051f26efc2dc974c843f25ecf70bd"),
)
ROOT = "2750/"

CLASS_NAMES = ("AnnualCrop", "Forest", "HerbaceousVegetation", "Highway", "Industrial",
               "Pasture", "PermanentCrop", "Residential", "River", "SeaLake")
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path):
    for name, data in _readers.zip_members(artifacts_dir / ARTIFACTS[0].file, suffixes=(".jpg",)):
        folder = _readers.class_folder(name)
        if folder not in _LABELS or not name.startswith(ROOT):
            raise ValueError(f"{name}: not in a known class folder under {ROOT}")
        if not posixpath.basename(name).startswith(folder + "_"):
            raise ValueError(f"{name}: file name does not match its class folder")
        yield Example(key=name, image=data, label=_LABELS[folder],
                      split=_splits.by_fraction(name, _splits.ALL))


def write_fixture(artifacts_dir: Path, per_class: int = 12) -> dict[str, int]:
    """The zip layout (2750/<Class>/<Class>_<n>.jpg, 64x64 JPEGs) with three classes."""
    members, counts = {}, _splits.SplitSizes()
    for c, folder in enumerate(("AnnualCrop", "HerbaceousVegetation", "SeaLake")):
        for n in range(1, per_class + 1):
            key = f"{ROOT}{folder}/{folder}_{n}.jpg"
            members[key] = _fixtures.jpeg_bytes(_fixtures.pixels(c * 100 + n, 64, 64, 3))
            split = _splits.by_fraction(key, _splits.ALL)
            counts.add(split)
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


eurosat = DatasetSpec(
    name="eurosat",
    description="27,000 64x64 RGB Sentinel-2 patches of European land cover in 10 classes (2,000-3,000 per class).",
    homepage="https://github.com/phelber/EuroSAT",
    citation=(
        "Helber, P., Bischke, B., Dengel, A., Borth, D. EuroSAT: A Novel Dataset and Deep Learning "
        "Benchmark for Land Use and Land Cover Classification. IEEE Journal of Selected Topics in "
        "Applied Earth Observations and Remote Sensing 12(7), 2019."
    ),
    license="MIT License (as stated for the authors' release)",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # Split sizes follow from the member paths, and the per-class file numbering
    # (<Class>_1..<Class>_<count>) is only commonly cited, not verified.
    num_examples=None,
    unconfirmed="the zip's member list (names and per-class counts); the size and sha256 are TFDS's",
    evidence=Evidence(
        "documentation",
        source=(
            "phelber/EuroSAT@353fc2ff01447cbcf84c4496dd98e82f197515bd:README.md (27,000 labelled "
            "images in 10 classes; RGB release EuroSAT.zip at madm.dfki.de, now also on Zenodo 7711810)"
        ),
    ),
)
