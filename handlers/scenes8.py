"""Eight outdoor scene categories (Oliva & Torralba's spatial-envelope set), 256x256 colour.

Homepage https://people.csail.mit.edu/torralba/code/spatialenvelope/ (Oliva & Torralba,
IJCV 2001). The zip holds JPEGs named ``<category>_<name>.jpg`` (e.g. ``coast_arnat59.jpg``)
in one folder, ``spatial_envelope_256x256_static_8outdoorcategories/``; the label is the
text before the first underscore of the file name, so the folder name does not matter.
Non-JPEG members are ignored. No official split: every example is drawn into
train/dev/dev-test/test (0.56/0.12/0.12/0.20) by a hash of its member path.

Evidence: scripts that unzip the artifact and read the folder it makes, and many loaders'
paths (``coast_arnat59.jpg``, ``tallbuilding_urban989.jpg``, ``forest_natu934.jpg``); no
complete listing was found.
"""

import posixpath
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact(
        "spatial_envelope_256x256_static_8outdoorcategories.zip",
        "https://people.csail.mit.edu/torralba/code/spatialenvelope/spatial_envelope_256x256_static_8outdoorcategories.zip",
        md5="c26fe529d49848091a759d7aadd267f5",
    ),
)
_FOLDER = "spatial_envelope_256x256_static_8outdoorcategories"

CLASS_NAMES = ("coast", "forest", "highway", "insidecity", "mountain", "opencountry", "street", "tallbuilding")
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path):
    for name, data in _readers.zip_members(artifacts_dir / ARTIFACTS[0].file, suffixes=(".jpg",)):
        category = posixpath.basename(name).split("_", 1)[0]
        if category not in _LABELS:
            raise ValueError(f"{ARTIFACTS[0].file}: unknown category {category!r} ({name})")
        yield Example(key=name, image=data, label=_LABELS[category],
                      split=_splits.by_fraction(name, _splits.ALL))


def write_fixture(artifacts_dir: Path, per_class: int = 12) -> dict[str, int]:
    """Three categories in one folder, plus a side file and a Thumbs.db to ignore."""
    members, counts = {}, _splits.SplitSizes()
    for c, (category, source) in enumerate((("coast", "arnat"), ("insidecity", "urb"), ("tallbuilding", "urban"))):
        for i in range(per_class):
            name = f"{_FOLDER}/{category}_{source}{c * 100 + i}.jpg"
            members[name] = _fixtures.jpeg_bytes(_fixtures.pixels(c * 100 + i, 16, 16, 3))
            split = _splits.by_fraction(name, _splits.ALL)
            counts.add(split)
    members[f"{_FOLDER}/Thumbs.db"] = b"\x00junk"
    members[f"{_FOLDER}/readme.txt"] = b"unused\n"
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


scenes8 = DatasetSpec(
    name="scenes8",
    description="About 2,688 colour photos (256x256) of eight outdoor scene categories: coast, forest, highway, inside city, mountain, open country, street, tall building.",
    homepage="https://people.csail.mit.edu/torralba/code/spatialenvelope/",
    citation="Oliva, A., Torralba, A. Modeling the Shape of the Scene: A Holistic Representation of the Spatial Envelope. International Journal of Computer Vision 42(3), 2001.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The file names are not known in advance, so hash-split sizes are not either.
    num_examples=None,
    unconfirmed="the zip's complete member list; the total of 2,688 images",
    evidence=Evidence(
        "unverified",
        source="whitphx/lear-gist-python@2379740c1830449b733f33657b09a4191d39a4b2:"
        "sample/download-8scene.sh and README.md (unzipping gives the folder "
        "spatial_envelope_256x256_static_8outdoorcategories; class = file name before '_')",
    ),
    dm_nevis_differences=(
        "Class ids follow the sorted category names; dm_nevis uses its own fixed order "
        "(highway, street, tallbuilding, ...)."
    ),
)
