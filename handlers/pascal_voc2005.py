"""PASCAL VOC 2005: photos of bikes, cars, motorbikes and people, one class per photo.

Homepage http://host.robots.ox.ac.uk/pascal/VOC/voc2005/ (Everingham et al., "The 2005
PASCAL Visual Object Classes Challenge", MLCW 2005 / LNAI 3944, 2006). Two tar.gz: set 1
(``voc2005_1``, the training pool) and set 2 (``voc2005_2``, the harder test set), each
with ``VOC2005_<n>/PNGImages/<source folder>/<image>.png``. The class is given by the
source folder (table below: set 1 names folders after the collection, set 2 after the
class in English and French); the box annotations are not used. Only the folders of the
table are read, as dm_nevis reads them: set 1 also holds other collections (at least
``ETHZ_motorbike-testset`` and ``UIUC_TestImages_Scale``, whose photos may show several
classes), and those are skipped. Splits: set 2 is ``test``; set 1 is carved into
train/dev/dev-test (0.70/0.15/0.15) by a hash of the member path.

Evidence: the provider's development kit documentation and the 2005 challenge paper;
member paths such as ``VOC2005_1/PNGImages/TUGraz_bike/bike_313.png`` and the two extra
set-1 folders appear in code that reads the unpacked tars. No complete member list was
found.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "http://host.robots.ox.ac.uk/pascal/VOC/download/"
ARTIFACTS = (
    Artifact("voc2005_1.tar.gz", _HOST + "voc2005_1.tar.gz", md5="6fbeaee73a81c462b190ca837b977896"),
    Artifact("voc2005_2.tar.gz", _HOST + "voc2005_2.tar.gz", md5="15ec3d318b84ffdfa25f1e05de0014e2"),
)

CLASS_NAMES = ("bike", "car", "motorbike", "person")
# (set folder, PNGImages sub-folder) -> class
FOLDERS = {
    **{("VOC2005_1", f): "car" for f in ("Caltech_cars", "ETHZ_sideviews-cars", "TUGraz_cars")},
    ("VOC2005_1", "TUGraz_bike"): "bike",
    ("VOC2005_1", "Caltech_motorbikes_side"): "motorbike",
    ("VOC2005_1", "TUGraz_person"): "person",
    **{("VOC2005_2", f): "car" for f in ("car", "voiture")},
    **{("VOC2005_2", f): "bike" for f in ("bicycle", "bike", "velo")},
    **{("VOC2005_2", f): "motorbike" for f in ("motocyclette", "motorbike", "motorcycle")},
    **{("VOC2005_2", f): "person" for f in ("INRIA_graz-person-test", "INRIA_inria-person-test", "pedestrian", "pieton")},
}


def examples(artifacts_dir: Path):
    for artifact in ARTIFACTS:
        for name, data in _readers.tar_members(artifacts_dir / artifact.file, suffixes=(".png",), keep=_is_image):
            yield Example(key=name, image=data, label=_label(name), split=_split(name))


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Both tars with some folders of each set, annotation files, a greyscale PNG and a
    set-1 collection outside the table (skipped)."""
    chosen = {"VOC2005_1": ("Caltech_cars", "TUGraz_bike", "Caltech_motorbikes_side", "TUGraz_person", "ETHZ_sideviews-cars",
                            "ETHZ_motorbike-testset"),
              "VOC2005_2": ("voiture", "velo", "motorbike", "pieton")}
    counts = _splits.SplitSizes()
    for s, (artifact, (root, folders)) in enumerate(zip(ARTIFACTS, chosen.items(), strict=True)):
        members = []
        for f, folder in enumerate(folders):
            for i in range(1, 7 if s == 0 else 4):
                stem = f"{folder.lower()}_{i:03d}"
                grey = f == 3 and i == 1
                members.append((f"{root}/PNGImages/{folder}/{stem}.png",
                                _fixtures.png_bytes(_fixtures.pixels(s * 1000 + f * 10 + i, 20, 28, 1 if grey else 3))))
                members.append((f"{root}/Annotations/{folder}/{stem}.txt", b"# PASCAL Annotation Version 1.00\n"))
                if (root, folder) in FOLDERS:
                    split = _split(members[-2][0])
                    counts.add(split)
        _fixtures.write_tar(artifacts_dir / artifact.file, members)
    return counts


def _is_image(name: str) -> bool:
    """A PNG in one of the table's folders (other collections are skipped)."""
    parts = name.split("/")
    return len(parts) == 4 and parts[1] == "PNGImages" and (parts[0], parts[2]) in FOLDERS


def _label(name: str) -> int:
    root, _, folder = name.split("/")[:3]
    return CLASS_NAMES.index(FOLDERS[root, folder])


def _split(name: str) -> str:
    return "test" if name.startswith("VOC2005_2/") else _splits.by_fraction(name, _splits.TR3)


pascal_voc2005 = DatasetSpec(
    name="pascal_voc2005",
    description="PASCAL VOC 2005 photos of bikes, cars, motorbikes and people (whole images, one class each); set 2 is the test set.",
    homepage="http://host.robots.ox.ac.uk/pascal/VOC/voc2005/",
    citation="Everingham, M., Zisserman, A., Williams, C. K. I., Van Gool, L., et al. The 2005 PASCAL Visual Object Classes Challenge. Machine Learning Challenges Workshop, LNAI 3944, 2006.",
    license="unknown; see homepage (images collected from several research databases)",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # Image names are known only from the tars, so the hash-split sizes are not computed.
    num_examples=None,
    unconfirmed=(
        "the full list of PNGImages folders in each tar (only the 16 of the table are read), "
        "and whether the table's folders hold sub-folders"
    ),
    evidence=Evidence(
        "documentation",
        source="http://host.robots.ox.ac.uk/pascal/VOC/voc2005/htmldoc/index.html and Everingham et "
        "al., The 2005 PASCAL Visual Object Classes Challenge, LNAI 3944 (sets 1 and 2, four "
        "classes); the folder table as deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/"
        "handlers/pascal_voc2005.py lists it",
    ),
    dm_nevis_differences=(
        "Class ids are in sorted order (bike, car, motorbike, person) as everywhere in this "
        "project; dm_nevis numbers them car, motorbike, bike, person."
    ),
)
