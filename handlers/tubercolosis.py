"""Tuberculosis (TB) Chest X-ray Database: chest X-rays, normal or tuberculosis.

Homepage https://www.kaggle.com/datasets/tawsifurrahman/tuberculosis-tb-chest-xray-dataset
(Rahman et al., "Reliable Tuberculosis Detection using Chest X-ray with Deep Learning,
Segmentation and Visualization", IEEE Access 2020). The registry name keeps dm_nevis's
spelling. One Kaggle zip: ``TB_Chest_Radiography_Database/Normal/Normal-<n>.png`` (3,500)
and ``.../Tuberculosis/Tuberculosis-<n>.png`` (700), 512x512; the label is the class
folder. The ``<class>.metadata.xlsx`` spreadsheets and ``README.md.txt`` are not images
and are skipped; a PNG in any other folder fails the build. Stored as RGB, as dm_nevis
declares it (the X-rays are grey, a few PNGs are RGB). No official split: every image is
drawn into train/dev/dev-test/test (0.56/0.12/0.12/0.20) by a hash of its member path.

Evidence: the provider's figures (3,500 + 700) and, in a public repository, the two
metadata spreadsheets, whose ``FILE NAME`` column names ``Tuberculosis-1`` ...
``Tuberculosis-700`` and ``Normal-1`` ... ``Normal-700`` (PNG, 512*512) -- only 700
normal rows, so whether the Normal folder runs to ``Normal-3500`` is not shown and the
split sizes are not declared.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import KAGGLE_REPACKED, Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("tuberculosis-tb-chest-xray-dataset.zip", kaggle="tawsifurrahman/tuberculosis-tb-chest-xray-dataset",
             md5="3abdda8a1100ff97c9dce7cc2413d941"),
)
ROOT = "TB_Chest_Radiography_Database/"
CLASS_NAMES = ("Normal", "Tuberculosis")
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}
# Provider figures: images per class.
CLASS_SIZES = {"Normal": 3500, "Tuberculosis": 700}


def examples(artifacts_dir: Path):
    path = artifacts_dir / ARTIFACTS[0].file
    for name, data in _readers.zip_members(path, suffixes=(".png",)):
        label = _readers.folder_label(name, _LABELS, path.name)
        yield Example(key=name, image=data, label=label, split=_splits.by_fraction(name, _splits.ALL))


def write_fixture(artifacts_dir: Path, per_class: int = 9) -> dict[str, int]:
    """Both class folders, one RGB PNG, the spreadsheets and the README."""
    members: dict[str, bytes] = {f"{ROOT}README.md.txt": b"fixture\n"}
    counts = _splits.SplitSizes()
    for c, folder in enumerate(CLASS_NAMES):
        members[f"{ROOT}{folder}.metadata.xlsx"] = b"PK\x03\x04not really a spreadsheet"
        for i in range(1, per_class + 1):
            name = _member(folder, i)
            members[name] = _fixtures.png_bytes(_fixtures.pixels(c * 100 + i, 22, 22, 3 if i == 2 else 1))
            split = _splits.by_fraction(name, _splits.ALL)
            counts.add(split)
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


def _member(folder: str, number: int) -> str:
    return f"{ROOT}{folder}/{folder}-{number}.png"


tubercolosis = DatasetSpec(
    name="tubercolosis",
    description="4,200 chest X-rays (3,500 normal, 700 tuberculosis) from several public collections.",
    homepage="https://www.kaggle.com/datasets/tawsifurrahman/tuberculosis-tb-chest-xray-dataset",
    citation=(
        "Rahman, T., Khandakar, A., Kadir, M. A., Islam, K. R., Islam, K. F., Mahbub, Z. B., "
        "Ayari, M. A., Chowdhury, M. E. H. Reliable Tuberculosis Detection using Chest X-ray with "
        "Deep Learning, Segmentation and Visualization. IEEE Access 8, 2020."
    ),
    license="see the Kaggle page (images gathered from several public sources)",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # Split sizes need the member names; only Normal-1..700 and Tuberculosis-1..700 are attested.
    num_examples=None,
    unconfirmed=(
        KAGGLE_REPACKED
        + "; the Normal names beyond Normal-700 (provider: 3,500 normal); "
          "the license"
    ),
    evidence=Evidence(
        "documentation",
        source=(
            "Kaggle page and IEEE Access 2020 paper (3,500 normal, 700 TB, 512x512 PNG); "
            "vaibhavi454/Project@7e230a23387a:Normal.metadata.xlsx, Tuberculosis.metadata.xlsx "
            "(FILE NAME columns: Normal-1..700, Tuberculosis-1..700)"
        ),
    ),
)
