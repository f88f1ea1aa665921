"""Synthetic COVID-19 chest X-rays, labelled by the collection they were translated from.

Homepage https://github.com/hasibzunair/synthetic-covid-cxr-dataset (Zunair & Hamza,
"Synthesis of COVID-19 chest X-rays using unpaired image-to-image translation", Social
Network Analysis and Mining, 2021). 21,295 synthetic COVID-19 images made by
translating real chest X-rays; release v0.1 ships them in two zips, ``G_NC.zip`` and
``G_PC.zip``. Images sit in a folder ``G1`` (translated from normal X-rays) or ``G2``
(translated from pneumonia X-rays) at the zip root; that folder is the label, and any
other folder is an error. Keys are ``<zip stem>/<member path>``. Declared RGB as
dm_nevis does (the images are converted if they are stored grey). No official split:
every image is drawn into train/dev/dev-test/test by a hash of its key.

Evidence: the provider's README (21,295 images) and generation notebook, which saves the
translations of normal X-rays as ``<n>.jpg`` and those of pneumonia X-rays as
``<n>_g2.jpg``, 256x256 RGB JPEGs; dm_nevis's reader, which only accepts members whose
folder is exactly ``G1`` or ``G2``. No listing of the zips was found.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_RELEASE = "https://github.com/hasibzunair/synthetic-covid-cxr-dataset/releases/download/v0.1/"
ARTIFACTS = (
    Artifact("G_NC.zip", _RELEASE + "G_NC.zip", md5="bd82149d00283fca892bc41e997a3070"),
    Artifact("G_PC.zip", _RELEASE + "G_PC.zip", md5="acf56668f97be81fd8c05c4308f80c61"),
)

FOLDERS = {"G1": 0, "G2": 1}
CLASS_NAMES = ("from normal", "from pneumonia")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def examples(artifacts_dir: Path):
    for artifact in ARTIFACTS:
        stem = artifact.file.removesuffix(".zip")
        for name, data in _readers.zip_members(artifacts_dir / artifact.file, suffixes=IMAGE_SUFFIXES):
            folder = name.rsplit("/", 1)[0] if "/" in name else ""
            if folder not in FOLDERS:
                raise ValueError(f"{artifact.file}: {name} is not in G1/ or G2/")
            key = f"{stem}/{name}"
            yield Example(key=key, image=data, label=FOLDERS[folder],
                          split=_splits.by_fraction(key, _splits.ALL))


def write_fixture(artifacts_dir: Path, per_zip: int = 14) -> dict[str, int]:
    """G_NC.zip holding G1/<n>.jpg, G_PC.zip holding G2/<n>_g2.jpg (the generator's names),
    RGB JPEGs with one grey, plus a .DS_Store to skip."""
    counts = _splits.SplitSizes()
    for z, (artifact, folder) in enumerate(zip(ARTIFACTS, FOLDERS, strict=True)):
        members = {f"{folder}/.DS_Store": b"\0\0\0\1Bud1"}
        for i in range(1, per_zip + 1):
            name = f"{folder}/{i}.jpg" if folder == "G1" else f"{folder}/{i}_g2.jpg"
            channels = 1 if (z, i) == (0, 3) else 3
            members[name] = _fixtures.jpeg_bytes(_fixtures.pixels(z * 100 + i, 24, 24, channels))
            split = _splits.by_fraction(f"{artifact.file.removesuffix('.zip')}/{name}", _splits.ALL)
            counts.add(split)
        _fixtures.write_zip(artifacts_dir / artifact.file, members)
    return counts


synthetic_covid19_xray = DatasetSpec(
    name="synthetic_covid19_xray",
    description="21,295 synthetic COVID-19 chest X-rays, classed by whether they were generated from normal or from pneumonia X-rays.",
    homepage="https://github.com/hasibzunair/synthetic-covid-cxr-dataset",
    citation=(
        "Zunair, H., Hamza, A. B. Synthesis of COVID-19 chest X-rays using unpaired image-to-image "
        "translation. Social Network Analysis and Mining, 2021."
    ),
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # Member names (the split keys) and per-zip counts were not available offline.
    num_examples=None,
    unconfirmed="that G_NC.zip holds G1/ and G_PC.zip holds G2/ (only the folder is used); the count per zip",
    evidence=Evidence(
        "documentation",
        source="hasibzunair/synthetic-covid-cxr-gen@cb246409184451655894641d7c8c9520124e4218:"
        "notebooks/2b. generate_covid19.ipynb (saves <n>.jpg from normal and <n>_g2.jpg from "
        "pneumonia X-rays) and hasibzunair/synthetic-covid-cxr-dataset@"
        "9c557eafcd8e43dc9853edbdb6f21a5a4867d909:README.md (21,295 images)",
    ),
    dm_nevis_differences=(
        "Same ids, but the classes are named 'from normal' / 'from pneumonia' where dm_nevis says "
        "'Normal' / 'Pneumonia': every image is a synthetic COVID-19 X-ray, named by its source."
    ),
)
