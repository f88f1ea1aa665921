"""BelgiumTS Classification (BelgiumTSC): cropped Belgian traffic signs, 62 classes.

Homepage https://btsd.ethz.ch/shareddata/ (Timofte, Zimmermann, Van Gool, "Multi-view
traffic sign detection, recognition, and 3D localisation", Machine Vision and
Applications, 2014). Two zips, ``Training/<class>/<nnnnn>_<nnnnn>.ppm`` and the same
under the testing zip's top folder; the label is the five-digit class folder
(00000-00061), and classes are named by it. Each class folder also holds a
ground-truth CSV (``GT-<class>.csv``), which is ignored with every other non-PPM
member. The provider's ``reducedSetTS.txt`` (one header line, then 62 sign names)
is not downloaded: its names were not available offline, and the folder ids are the
labels anyway. Splits: the official test zip is ``test``; the training zip is carved
into train/dev/dev-test by a hash of the member path.

Evidence: no listing of the zips. dm_nevis reads every member of both pinned zips
except ``.csv`` and ``.txt`` files as an image labelled by its parent folder, so the
zips hold nothing else; public code opens ``Training/00000/01153_00000.ppm`` and
``Testing/00000/00017_00000.ppm``, the two top folders.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _ppm, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "http://www.vision.ee.ethz.ch/~timofter/BelgiumTSC/"
ARTIFACTS = (
    Artifact("BelgiumTSC_Training.zip", _HOST + "BelgiumTSC_Training.zip",
             md5="c727ca9d00e3964ca676286a1808ccee"),
    Artifact("BelgiumTSC_Testing.zip", _HOST + "BelgiumTSC_Testing.zip",
             md5="d208de4566388791c0028da8d6a545cc"),
)

CLASS_NAMES = tuple(f"{index:05d}" for index in range(62))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path):
    for artifact, test in zip(ARTIFACTS, (False, True), strict=True):
        for name, data in _readers.zip_members(artifacts_dir / artifact.file, suffixes=(".ppm",)):
            label = _readers.folder_label(name, _LABELS, artifact.file)
            split = "test" if test else _splits.by_fraction(name, _splits.TR3)
            yield Example(key=name, image=data, label=label, split=split)


def write_fixture(artifacts_dir: Path, per_class: int = 6) -> dict[str, int]:
    """Both zips with PPMs in class folders, a GT CSV per class and a readme."""
    counts = _splits.SplitSizes()
    for top, artifact in zip(("Training", "Testing"), ARTIFACTS, strict=True):
        members = {}
        for c in (0, 7, 61):
            folder = f"{top}/{c:05d}"
            members[f"{folder}/GT-{c:05d}.csv"] = b"Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n"
            for i in range(per_class if top == "Training" else 2):
                name = f"{folder}/{i * 37 + c:05d}_{i % 3:05d}.ppm"
                members[name] = _ppm.ppm_bytes(_fixtures.pixels(c * 50 + i, 12 + i, 14, 3))
                split = "test" if top == "Testing" else _splits.by_fraction(name, _splits.TR3)
                counts.add(split)
        members[f"{top}/Readme.txt"] = b"fixture\n"
        _fixtures.write_zip(artifacts_dir / artifact.file, members)
    return counts



belgium_tsc = DatasetSpec(
    name="belgium_tsc",
    description="Cropped Belgian traffic signs in 62 classes (about 4.6k training, 2.5k test images), variable size, colour.",
    homepage="https://btsd.ethz.ch/shareddata/",
    citation=(
        "Timofte, R., Zimmermann, K., Van Gool, L. Multi-view traffic sign detection, "
        "recognition, and 3D localisation. Machine Vision and Applications 25(3), 2014."
    ),
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The official pool sizes are only quoted approximately; the hash split needs the keys.
    num_examples=None,
    unconfirmed="the 62 sign names (reducedSetTS.txt) and the image counts",
    evidence=Evidence(
        "unverified",
        source="deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/belgium_tsc.py "
        "(every non-.csv/.txt member of both zips an image, labelled by its parent folder's number)",
    ),
    dm_nevis_differences="Classes are named by their five-digit folder; dm_nevis named them from "
    "reducedSetTS.txt, which is not fetched here. The labels (folder numbers) are the same.",
)
