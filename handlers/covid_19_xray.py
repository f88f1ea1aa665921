"""COVID-19 Radiography Database: chest X-rays labelled COVID-19, lung opacity, normal
or viral pneumonia.

Homepage https://www.kaggle.com/datasets/tawsifurrahman/covid19-radiography-database
(Chowdhury et al., "Can AI help in screening viral and COVID-19 pneumonia?", IEEE Access
2020; Rahman et al., Computers in Biology and Medicine 2021). One Kaggle zip of PNGs in
one folder per class (``COVID``, ``Lung_Opacity``, ``Normal``, ``Viral Pneumonia``, with
the space); the label is that folder. Later versions of the upload put the X-rays in
``<class>/images/`` beside lung masks in ``<class>/masks/``: the class is then the folder
above ``images/`` and the masks are skipped. The metadata spreadsheets and the README are
not images and are skipped; a PNG in any other folder fails the build. Images are
greyscale (stored as such). Exact duplicates, the same decoded pixels under the same label,
are dropped, keeping the first in member-name order, as dm_nevis does. No official split:
every image is drawn into train/dev/dev-test/test (0.56/0.12/0.12/0.20) by a hash of its
member path.

Evidence: dm_nevis's reader of the pinned zip (same md5) labels every member that is not
a spreadsheet or the README by its parent folder and would stop on any other folder, so
the pinned version has the flat layout. A copy of that version (its ``README.md.txt``
gives 3,616 / 10,192 / 6,012 / 1,345 images, with ``<class>.metadata.xlsx`` beside the
class folders) and a second copy of its ``COVID`` and ``Normal`` folders show
``COVID-19_Radiography_Dataset/<class>/<class>-<n>.png``, n = 1 ... count, no gaps. The
``Lung_Opacity`` and ``Viral Pneumonia`` folders were not listed; the ``images/`` +
``masks/`` layout is kept for re-packed downloads.
"""

import posixpath
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import KAGGLE_REPACKED, Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("covid19-radiography-database.zip", kaggle="tawsifurrahman/covid19-radiography-database",
             md5="1888824db56de7f47b886a536961b763"),
)

CLASS_NAMES = ("COVID", "Lung_Opacity", "Normal", "Viral Pneumonia")
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path):
    path = artifacts_dir / ARTIFACTS[0].file
    return _readers.drop_exact_duplicates(_xrays(path), "L", path.name)


def _xrays(path: Path):
    """Every X-ray of the zip (masks left out), duplicates included."""
    for name, data in _readers.zip_members(path, suffixes=(".png",)):
        label = member_label(name, path.name)
        if label is not None:
            yield Example(key=name, image=data, label=label, split=_splits.by_fraction(name, _splits.ALL))


def member_label(name: str, archive: str) -> int | None:
    """The class of a PNG member; None for a lung mask."""
    folder = posixpath.dirname(name)
    if posixpath.basename(folder) == "masks":
        return None
    if posixpath.basename(folder) == "images":
        folder = posixpath.dirname(folder)
    category = posixpath.basename(folder)
    if category not in _LABELS:
        raise ValueError(f"{archive}: {name} is in folder {category!r}, which is not one of {CLASS_NAMES}")
    return _LABELS[category]


def write_fixture(artifacts_dir: Path, per_class: int = 8) -> dict[str, int]:
    """The newer layout (images/ beside masks/) for two classes, the flat one for the
    others, spreadsheets and a README, an RGB PNG of grey content, and two duplicates:
    one within a class (dropped) and one across classes (kept)."""
    root = "COVID-19_Radiography_Dataset/"
    members: dict[str, bytes] = {root + "README.md.txt": b"fixture\n"}
    counts = _splits.SplitSizes()
    first_pixels = {}
    for c, category in enumerate(CLASS_NAMES):
        members[f"{root}{category}.metadata.xlsx"] = b"PK\x03\x04not really a spreadsheet"
        folder = f"{root}{category}/images/" if c < 2 else f"{root}{category}/"
        for i in range(1, per_class + 1):
            grey = _fixtures.pixels(c * 100 + i, 24, 24, 1)
            if i == per_class and c == 0:
                grey = first_pixels[0]  # same class: a duplicate, dropped
            elif i == per_class and c == 1:
                grey = first_pixels[0]  # same pixels, another class: kept
            first_pixels.setdefault(c, grey)
            image = grey if i != 2 else grey[..., None].repeat(3, axis=-1)
            name = f"{folder}{category}-{i}.png"
            members[name] = _fixtures.png_bytes(image)
            if c < 2:
                members[f"{root}{category}/masks/{category}-{i}.png"] = _fixtures.png_bytes(grey > 128)
            if not (i == per_class and c == 0):
                split = _splits.by_fraction(name, _splits.ALL)
                counts.add(split)
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


covid_19_xray = DatasetSpec(
    name="covid_19_xray",
    description="About 21,000 chest X-rays (COVID-19, lung opacity, normal, viral pneumonia), exact duplicates removed.",
    homepage="https://www.kaggle.com/datasets/tawsifurrahman/covid19-radiography-database",
    citation=(
        "Chowdhury, M. E. H., Rahman, T., Khandakar, A., et al. Can AI help in screening viral and "
        "COVID-19 pneumonia? IEEE Access 8, 2020. Rahman, T., Khandakar, A., Qiblawey, Y., et al. "
        "Exploring the effect of image enhancement techniques on COVID-19 detection using chest X-ray "
        "images. Computers in Biology and Medicine 132, 2021."
    ),
    license="see the Kaggle page (images gathered from several public sources)",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # How many exact duplicates the zip holds is not known, nor the hash draw.
    num_examples=None,
    unconfirmed=(
        KAGGLE_REPACKED
        + "; the Lung_Opacity and Viral Pneumonia members (only the README's counts, 6,012 and "
          "1,345, are known); the number of exact duplicates; the license"
    ),
    evidence=Evidence(
        "documentation",
        source=(
            "deepmind/dm_nevis@37ccf1e2dd894a13a8a4f6ceb150d2e7599301d0:dm_nevis/datasets_storage/handlers/"
            "covid_19_xray.py (label = parent folder; metadata.xlsx and README.md.txt ignored); "
            "ChristianConchari/COVID-19-detection-with-Chest-X-Ray-using-PyTorch@ad413dd2b390:"
            "COVID-19_Radiography_Dataset/README.md.txt (the 2021 release: 3,616 COVID, 10,192 Normal, "
            "6,012 Lung_Opacity, 1,345 Viral Pneumonia; per-class metadata.xlsx beside the folders); "
            "rtchanon/Machine-Learning-for-COVID-19-detection-from-chest-X-RAYS@744af3631b60:"
            "COVID-19_Radiography_Dataset/ (COVID/COVID-1..3616.png and Normal/Normal-1..10192.png, flat; "
            "the other two classes absent, so no complete listing)"
        ),
    ),
    dm_nevis_differences=(
        "dm_nevis de-duplicates in archive order and draws the four splits at random; here the first "
        "duplicate in member-name order is kept and the split is a hash of the member path."
    ),
)
