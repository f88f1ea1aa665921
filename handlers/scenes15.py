"""15 Scene Categories: greyscale photos of 15 indoor and outdoor scene types.

Homepage http://www-cvr.ai.uiuc.edu/ponce_grp/data/ (Lazebnik, Schmid, Ponce, CVPR 2006;
the set joins Oliva & Torralba's eight outdoor scenes (the MIT* folders), Fei-Fei &
Perona's suburb/office/kitchen/bedroom and Lazebnik's industrial/store/living room).
The original host is gone; the artifact is the web.archive.org copy dm_nevis used. The
zip holds ``<category>/image_<NNNN>.jpg``: the label is the folder name. Images are
greyscale (a colour one would be converted). No official split: every example is drawn
into train/dev/dev-test/test (0.56/0.12/0.12/0.20) by a hash of its member path.

Evidence: none beyond dm_nevis's reader, whose label is the member's whole directory
name looked up in the 15 category names, so the category folders must sit at the zip
root; the ``image_<NNNN>.jpg`` file names and the 4,485 total are not confirmed.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact(
        "scene_categories.zip",
        "https://web.archive.org/web/20070829035029/http://www-cvr.ai.uiuc.edu/ponce_grp/data/scene_categories/scene_categories.zip",
        md5="58828019197b2ad0a7efb472e7a85c2a",
    ),
)

CLASS_NAMES = tuple(sorted("""
bedroom CALsuburb industrial kitchen livingroom MITcoast MITforest MIThighway
MITinsidecity MITmountain MITopencountry MITstreet MITtallbuilding PARoffice store
""".split()))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path):
    for name, data in _readers.zip_members(artifacts_dir / ARTIFACTS[0].file, suffixes=(".jpg",)):
        label = _readers.folder_label(name, _LABELS, ARTIFACTS[0].file)
        yield Example(key=name, image=data, label=label,
                      split=_splits.by_fraction(name, _splits.ALL))


def write_fixture(artifacts_dir: Path, per_class: int = 12) -> dict[str, int]:
    """Three category folders, a Thumbs.db, and one colour JPEG among the grey ones."""
    members, counts = {}, _splits.SplitSizes()
    for c, folder in enumerate(("CALsuburb", "MITcoast", "store")):
        for i in range(1, per_class + 1):
            name = f"{folder}/image_{i:04d}.jpg"
            members[name] = _fixtures.jpeg_bytes(_fixtures.pixels(c * 100 + i, 16, 20, 3 if i == 5 else 1))
            split = _splits.by_fraction(name, _splits.ALL)
            counts.add(split)
        members[f"{folder}/Thumbs.db"] = b"\x00junk"
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


scenes15 = DatasetSpec(
    name="scenes15",
    description="4,485 greyscale photos of 15 scene categories (coast, forest, kitchen, office, store...), about 300x250 pixels.",
    homepage="http://www-cvr.ai.uiuc.edu/ponce_grp/data/",
    citation="Lazebnik, S., Schmid, C., Ponce, J. Beyond Bags of Features: Spatial Pyramid Matching for Recognizing Natural Scene Categories. CVPR, 2006.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The total (4,485) is documented, the member names are not, so hash-split sizes are unknown.
    num_examples=None,
    unconfirmed="the file names inside the category folders; the total of 4,485",
    evidence=Evidence(
        "unverified",
        source="deepmind/dm_nevis@37ccf1e2dd894a13a8a4f6ceb150d2e7599301d0:"
        "dm_nevis/datasets_storage/handlers/scenes15.py (label = the member's directory, one of "
        "the 15 category names: category folders at the zip root)",
    ),
    dm_nevis_differences=(
        "Class ids follow the sorted category names; dm_nevis uses its own fixed order "
        "(PARoffice, kitchen, MITinsidecity, ...)."
    ),
)
