"""UIUC texture database: greyscale photos of 25 textures (bark, wood, fabric, ...).

Homepage http://www-cvr.ai.uiuc.edu/ponce_grp/data/ (now only on web.archive.org;
Lazebnik, Schmid, Ponce, "A sparse texture representation using local affine
regions", IEEE TPAMI, 2005). 40 JPEGs per class (1,000), 640x480, with strong
viewpoint, scale and non-rigid changes. Five zips (``T01-T05.zip`` ...) hold five
class folders each, named ``T<nn>_<texture>`` (``T01_bark1`` ... ``T25_plaid``), with
images ``T<nn>_<kk>.jpg`` (kk = 01 ... 40); the label is the folder, in the order of the
sorted folder names, which is dm_nevis's order too. Non-JPEG members are ignored. No
official split: every image is drawn into train/dev/dev-test/test (0.56/0.12/0.12/0.20)
by a hash of its file name.

Evidence: the provider's description (25 classes x 40, 640x480) and third-party loaders
that read every ``<folder>/T<nn>_<kk>.jpg`` with exactly these 25 folder names and kk
zero-padded 01-40; dm_nevis takes the class folders from the zips' directory entries.
No listing or copy of the zips was found.
"""

import posixpath
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "https://web.archive.org/web/20070829035029/http://www-cvr.ai.uiuc.edu/ponce_grp/data/texture_database/"
ARTIFACTS = (
    Artifact("T01-T05.zip", _HOST + "T01-T05.zip", md5="e622e4708e336d51b3bbd45503618af1"),
    Artifact("T06-T10.zip", _HOST + "T06-T10.zip", md5="50ab35564058d3f1d05e6f5d767db5df"),
    Artifact("T11-T15.zip", _HOST + "T11-T15.zip", md5="d1c7584aeb0ab1e41c7157c60e84c3ad"),
    Artifact("T16-T20.zip", _HOST + "T16-T20.zip", md5="d527ba7d820e1eeaef49f9c07b82aa34"),
    Artifact("T21-T25.zip", _HOST + "T21-T25.zip", md5="74a29af10123f2be70ea481e5af3ec36"),
)

CLASS_NAMES = (
    "T01_bark1", "T02_bark2", "T03_bark3", "T04_wood1", "T05_wood2", "T06_wood3", "T07_water",
    "T08_granite", "T09_marble", "T10_floor1", "T11_floor2", "T12_pebbles", "T13_wall", "T14_brick1",
    "T15_brick2", "T16_glass1", "T17_glass2", "T18_carpet1", "T19_carpet2", "T20_upholstery",
    "T21_wallpaper", "T22_fur", "T23_knit", "T24_corduroy", "T25_plaid",
)
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}
PER_CLASS = 40


def examples(artifacts_dir: Path):
    for artifact in ARTIFACTS:
        for name, data in _readers.zip_members(artifacts_dir / artifact.file, suffixes=(".jpg",)):
            label = _readers.folder_label(name, _LABELS, artifact.file)
            base = posixpath.basename(name)
            yield Example(key=name, image=data, label=label, split=_splits.by_fraction(base, _splits.ALL))


def write_fixture(artifacts_dir: Path, per_class: int = 6) -> dict[str, int]:
    """The five zips, the first class of each present, plus a stray text file."""
    names = []
    for z, artifact in enumerate(ARTIFACTS):
        folder = CLASS_NAMES[5 * z]
        members = {f"{folder}/readme.txt": b"unused\n"}
        for k in range(1, per_class + 1):
            base = f"{folder[:3]}_{k:02d}.jpg"
            members[f"{folder}/{base}"] = _fixtures.jpeg_bytes(_fixtures.pixels(z * 100 + k, 12, 16, 1))
            names.append(base)
        _fixtures.write_zip(artifacts_dir / artifact.file, members)
    return _splits.tally(names, _splits.ALL)


uiuc_texture = DatasetSpec(
    name="uiuc_texture",
    description="1,000 greyscale texture photos (640x480) in 25 classes, 40 each, with viewpoint, scale and non-rigid changes.",
    homepage="https://web.archive.org/web/20070829035029/http://www-cvr.ai.uiuc.edu/ponce_grp/data/",
    citation="Lazebnik, S., Schmid, C., Ponce, J. A sparse texture representation using local affine regions. IEEE Transactions on Pattern Analysis and Machine Intelligence 27(8):1265-1278, 2005.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # File names are T<nn>_<kk>.jpg, kk = 01..40, so the hash splits are known.
    num_examples=_splits.tally((f"T{c:02d}_{k:02d}.jpg" for c in range(1, 26) for k in range(1, PER_CLASS + 1)), _splits.ALL),
    unconfirmed="that the class folders sit at each zip's root with nothing else beside them (dm_nevis numbers every directory entry)",
    evidence=Evidence(
        "documentation",
        source=(
            "provider page (web.archive.org snapshot of www-cvr.ai.uiuc.edu/ponce_grp/data); "
            "deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/uiuc_texture.py (folders "
            "from directory entries); third-party loaders reading <folder>/T<nn>_01..40.jpg"
        ),
    ),
)
