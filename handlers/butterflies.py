"""Butterflies (Lazebnik, Schmid, Ponce): photos of 7 butterfly species, about 619 in all.

Homepage http://www-cvr.ai.uiuc.edu/ponce_grp/data/ (now only on web.archive.org;
Lazebnik, Schmid, Ponce, "Semi-local affine parts for object recognition", BMVC 2004).
One zip: ``<species>/<letters><number>.jpg``; the label is the species folder, classes
in sorted order (dm_nevis numbered them in set order). The authors' test set
(``butterflies_f_order.txt``, not in the zip) is the ten image numbers per species
below: those 70 images are ``test``; every other image goes to train/dev/dev-test by a
hash of its member path. Any folder above the species folder is ignored, as are
non-JPEG members. A listed test image that is missing is an error.

Evidence: none of the real zip's listing. dm_nevis's reader, run on the zip with the
pinned md5, takes every member's folder as its species, asserts the folders are
exactly these seven and parses each base name as lower-case letters, a number and
``.jpg``: so the species folders sit at the zip's root with nothing beside them.
"""

import re
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact(
        "butterflies.zip",
        "https://web.archive.org/web/20070829035029/http://www-cvr.ai.uiuc.edu/ponce_grp/data/butterflies/butterflies.zip",
        md5="cc9bfe5e22f9001262b785ff33221581",
    ),
)

TEST_NUMBERS = {
    "admiral": (6, 9, 14, 41, 53, 55, 66, 86, 92, 103),
    "black_swallowtail": (2, 4, 15, 22, 25, 27, 28, 31, 35, 41),
    "machaon": (12, 14, 20, 24, 25, 29, 52, 53, 82, 83),
    "monarch_closed": (9, 23, 27, 28, 29, 36, 44, 58, 67, 72),
    "monarch_open": (8, 15, 21, 34, 35, 46, 58, 76, 78, 83),
    "peacock": (1, 20, 22, 52, 59, 86, 96, 124, 126, 131),
    "zebra": (6, 18, 21, 26, 31, 43, 57, 75, 78, 90),
}
CLASS_NAMES = tuple(sorted(TEST_NUMBERS))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}
_FILE = re.compile(r"[A-Za-z_]+0*(\d+)\.jpg", re.IGNORECASE)


def examples(artifacts_dir: Path):
    unseen = {(species, number) for species, numbers in TEST_NUMBERS.items() for number in numbers}
    for name, data in _readers.zip_members(artifacts_dir / ARTIFACTS[0].file, suffixes=(".jpg",)):
        species, match = _readers.class_folder(name), _FILE.fullmatch(name.rsplit("/", 1)[-1])
        if species not in _LABELS or not match:
            raise ValueError(f"{name}: unknown species folder or file name")
        number = int(match.group(1))
        is_test = number in TEST_NUMBERS[species]
        unseen.discard((species, number))
        split = "test" if is_test else _splits.by_fraction(name, _splits.TR3)
        yield Example(key=name, image=data, label=_LABELS[species], split=split)
    if unseen:
        raise ValueError(f"{len(unseen)} official test images are missing, e.g. {min(unseen)}")


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """All seven species folders at the zip's root (as dm_nevis's reader requires) with
    their test images plus a few others, named <letters><number>.jpg, one greyscale."""
    members, counts = {}, _splits.SplitSizes()
    for c, species in enumerate(CLASS_NAMES):
        prefix = species[:3]
        for number in sorted({*TEST_NUMBERS[species], 140 + c, 141 + c, 150}):
            key = f"{species}/{prefix}{number:03d}.jpg"
            members[key] = _fixtures.jpeg_bytes(_fixtures.pixels(c * 200 + number, 12, 14, 1 if number == 150 else 3))
            split = "test" if number in TEST_NUMBERS[species] else _splits.by_fraction(key, _splits.TR3)
            counts.add(split)
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


butterflies = DatasetSpec(
    name="butterflies",
    description="About 619 photos of 7 butterfly species, with the authors' 70-image test set.",
    homepage="https://web.archive.org/web/2007/http://www-cvr.ai.uiuc.edu/ponce_grp/data/",
    citation="Lazebnik, S., Schmid, C., Ponce, J. Semi-local affine parts for object recognition. BMVC 2004.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The total is only quoted (619); the hash carving of the rest needs the file names.
    num_examples=None,
    unconfirmed="the file names' letter prefixes and the 619 total",
    evidence=Evidence(
        "unverified",
        source="deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/butterflies.py "
        "(its reader's assertions on the real zip: member folder = one of the seven species, "
        "base name [a-z]+<number>.jpg)",
    ),
    dm_nevis_differences="Classes are numbered in sorted order; dm_nevis numbered them in the "
    "order of a Python set, which can change from run to run.",
)
